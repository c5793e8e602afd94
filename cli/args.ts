import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Where a command writes: the process's streams, or a test's capture. */
export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses a command's arguments strictly. Answers the values and positionals, or the exit code when the
 * command is done already: 0 after `--help` printed the usage, 2 after a usage error was reported.
 */
export function parseCommand<V>(command: string, usage: string, argv: string[], options: Options, io: CommandIo): { values: V; positionals: string[] } | number {
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { ...options, help: { type: 'boolean', short: 'h' } } });
  } catch (err) {
    return usageError(command, usage, io, err instanceof Error ? err.message : String(err));
  }
  if (parsed.values.help) {
    io.out(usage);
    return 0;
  }
  return { values: parsed.values as V, positionals: parsed.positionals };
}

/** Reports a usage error with the usage text; answers the exit code 2. */
export function usageError(command: string, usage: string, io: CommandIo, message: string): number {
  io.err(`spinvm ${command}: ${message}\n\n${usage}`);
  return 2;
}
