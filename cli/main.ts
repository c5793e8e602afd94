#!/usr/bin/env node
import 'reflect-metadata';

/** `spinvm <command> [args]`: each command is a module with a `run(argv)` that answers an exit code. */
const COMMANDS: Record<string, { summary: string; load: () => Promise<{ run(argv: string[]): Promise<number> }> }> = {
  demo: { summary: 'the main job: a memory object far larger than the pool, through eviction', load: () => import('./demo.js') },
  simulate: { summary: 'replay a page-reference trace against the replacement policies and Belady MIN', load: () => import('./simulate/command.js') },
  conformance: { summary: 'prove a pager right: run the conformance kit against a pager module', load: () => import('./conformance/command.js') },
  bench: { summary: 'measure spinvm against its peers (Uint8Array, memory-pager, lru-cache, fs, mmap): table + JSON', load: () => import('../bench/command.js') },
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const command = name === undefined ? COMMANDS.demo : COMMANDS[name];
  if (name === '--help' || name === '-h' || name === 'help' || !command) {
    if (name && !command && !['--help', '-h', 'help'].includes(name)) console.error(`spinvm: unknown command '${name}'\n`);
    console.log('usage: spinvm <command> [options]\n\ncommands:');
    for (const [n, c] of Object.entries(COMMANDS)) console.log(`  ${n.padEnd(12)} ${c.summary}`);
    return command || name === undefined || ['--help', '-h', 'help'].includes(name) ? 0 : 2;
  }
  return (await command.load()).run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? `spinvm: ${err.message}` : err);
    process.exitCode = 1;
  },
);
