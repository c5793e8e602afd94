import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Where a command writes: the process's streams, or a test's capture. */
export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
  /** Whether `err` is a terminal (where progress may show unasked); absent means not. */
  readonly errIsTTY?: boolean;
}

/** The process's standard output and error. */
export const processIo: CommandIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  get errIsTTY() {
    return process.stderr.isTTY === true;
  },
};

type Options = NonNullable<ParseArgsConfig['options']>;

/** A command line that cannot be read; the message says why (and suggests the option meant, when one is close). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * Parses `argv` strictly with node:util's parseArgs: an unknown option, a missing value or a value given to a
 * flag is a UsageError, and an unknown option that looks like a known one says which ("did you mean --frames?").
 * With `positionals: false`, any positional argument is an error too.
 */
export function parseStrict<V>(argv: readonly string[], options: Options, config: { positionals?: boolean } = {}): { values: V; positionals: string[] } {
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, strict: true, options });
  } catch (err) {
    throw new UsageError(explain(err, options));
  }
  if (config.positionals === false && parsed.positionals.length > 0) {
    const [first] = parsed.positionals;
    throw new UsageError(`unexpected argument '${first}'${first!.startsWith('-') ? '' : ' (this command takes options only)'}`);
  }
  return { values: parsed.values as V, positionals: parsed.positionals };
}

/** parseArgs's error in our words: `unknown option '--fames' (did you mean --frames?)`. */
function explain(err: unknown, options: Options): string {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: string }).code;
  const unknown = /^Unknown option '([^']+)'/.exec(message);
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown) {
    const given = unknown[1]!;
    const names = Object.entries(options).flatMap(([long, o]) => [`--${long}`, ...(o.short ? [`-${o.short}`] : [])]);
    const close = suggest(given, names);
    return `unknown option '${given}'${close ? ` (did you mean ${close}?)` : ''}`;
  }
  // "Option '--frames <value>' argument missing", "Option '--help' does not take an argument", "Option '--size'
  // argument is ambiguous.\nDid you forget...": node's words, on one line.
  return message.replace(/\s*\n\s*/g, ' ').replace(/^Option/, 'option');
}

/**
 * The candidate closest to `word` when it is close enough to be what was meant: a candidate `word` is the start
 * of (when only one is), else, for words of three letters or more, the nearest by edit distance (a transposition
 * counts as one edit) when it is within a third of the word's length (at least one edit).
 */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  const strip = (s: string): string => s.replace(/^-+/, '').toLowerCase();
  const w = strip(word);
  if (w === '') return undefined;
  const prefixed = candidates.filter((c) => strip(c).startsWith(w) && strip(c) !== w);
  if (prefixed.length === 1 && w.length >= 2) return prefixed[0];
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(w, strip(c));
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return w.length >= 3 && bestDistance <= Math.max(1, Math.floor(w.length / 3)) ? best : undefined;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent transpositions. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d = new Array<number>(rows * cols);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[(i - 1) * cols + j]! + 1, d[i * cols + j - 1]! + 1, d[(i - 1) * cols + j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[(i - 2) * cols + j - 2]! + 1);
      d[i * cols + j] = v;
    }
  }
  return d[rows * cols - 1]!;
}

/**
 * Parses a command's arguments strictly. Answers the values and positionals, or the exit code when the
 * command is done already: 0 after `--help` printed the usage (on `io.out`), 2 after a usage error was
 * reported (with the usage, on `io.err`).
 */
export function parseCommand<V>(
  command: string,
  usage: string,
  argv: string[],
  options: Options,
  io: CommandIo,
): { values: V; positionals: string[] } | number {
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseStrict(argv, { ...options, help: { type: 'boolean', short: 'h' } });
  } catch (err) {
    return usageError(command, usage, io, err instanceof Error ? err.message : String(err));
  }
  if (parsed.values.help) {
    io.out(usage.endsWith('\n') ? usage : `${usage}\n`);
    return 0;
  }
  return { values: parsed.values as V, positionals: parsed.positionals };
}

/** Reports a usage error with the usage text on `io.err`; answers the exit code 2. */
export function usageError(command: string, usage: string, io: CommandIo, message: string): number {
  io.err(`spinvm ${command}: ${message}\n\n${usage.endsWith('\n') ? usage : `${usage}\n`}`);
  return 2;
}
