import { readFileSync } from 'node:fs';
import { processIo, suggest, type CommandIo } from './args.js';

/** What a command's module exports: `run(argv, io)` answers the exit code. */
export interface CommandModule {
  run(argv: string[], io?: CommandIo & { readonly cwd: string }): Promise<number>;
}

/** `spinvm <command> [args]`: each command is a module loaded when it runs. */
export const COMMANDS: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  demo: { summary: 'the main job: a memory object far larger than the pool, through eviction', load: () => import('./demo.js') },
  simulate: { summary: 'replay a page-reference trace against the replacement policies and Belady MIN', load: () => import('./simulate/command.js') },
  conformance: { summary: 'prove a pager right: run the conformance kit against a pager module', load: () => import('./conformance/command.js') },
  bench: { summary: 'measure spinvm against its peers (Uint8Array, memory-pager, lru-cache, fs, mmap)', load: () => import('../bench/index.js') },
};

export const USAGE = `usage: spinvm <command> [options]
       spinvm help <command>     what a command does and its options (also: spinvm <command> --help)
       spinvm --version          the version of spinvm

commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(12)} ${c.summary}`)
  .join('\n')}

With no command, spinvm runs the demo.
`;

/** spinvm's version, from its package.json (one folder up from the sources, two from dist/). */
export function version(): string {
  for (const candidate of ['../package.json', '../../package.json']) {
    try {
      const manifest = JSON.parse(readFileSync(new URL(candidate, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'spinvm' && typeof manifest.version === 'string') return manifest.version;
    } catch {
      // Not this one.
    }
  }
  return 'unknown';
}

/** The io a command gets: the caller's streams, and the process's working directory. */
function commandIo(io: CommandIo): CommandIo & { readonly cwd: string } {
  return {
    out: (text) => io.out(text),
    err: (text) => io.err(text),
    get errIsTTY() {
      return io.errIsTTY;
    },
    get cwd() {
      return process.cwd();
    },
  };
}

function unknownCommand(name: string, io: CommandIo): number {
  const close = suggest(name, Object.keys(COMMANDS));
  io.err(`spinvm: unknown command '${name}'${close ? ` (did you mean ${close}?)` : ''}\n\n${USAGE}`);
  return 2;
}

/** Runs `spinvm ...argv`; answers the exit code: 0 done, 1 failed, 2 a command line that cannot be read. */
export async function main(argv: string[], io: CommandIo = processIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) return (await COMMANDS.demo!.load()).run([], commandIo(io));
  if (first === '--version' || first === '-v') {
    if (rest.length > 0) return unknownArgument(rest[0]!, io);
    io.out(`spinvm ${version()}\n`);
    return 0;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    if (rest.length === 0) {
      io.out(USAGE);
      return 0;
    }
    const [name, ...extra] = rest;
    if (extra.length > 0) return unknownArgument(extra[0]!, io);
    if (!Object.hasOwn(COMMANDS, name!)) return unknownCommand(name!, io);
    return (await COMMANDS[name!]!.load()).run(['--help'], commandIo(io));
  }
  if (first.startsWith('-')) {
    const close = suggest(first, ['--help', '--version']);
    io.err(`spinvm: unknown option '${first}'${close ? ` (did you mean ${close}?)` : "; a command's options go after its name"}\n\n${USAGE}`);
    return 2;
  }
  if (!Object.hasOwn(COMMANDS, first)) return unknownCommand(first, io);
  return (await COMMANDS[first]!.load()).run(rest, commandIo(io));
}

function unknownArgument(arg: string, io: CommandIo): number {
  io.err(`spinvm: unexpected argument '${arg}'\n\n${USAGE}`);
  return 2;
}
