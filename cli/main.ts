#!/usr/bin/env node
import 'reflect-metadata';
import { main } from './commands.js';

/** The `spinvm` command: see cli/commands.ts for the commands and `spinvm --help`. */
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? `spinvm: ${err.message}` : err);
    process.exitCode = 1;
  },
);
