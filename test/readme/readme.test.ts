// The README, run as a user would run it: spinvm is packed (`npm pack`, which builds from a clean dist/; once a
// run, test/helpers/packed.ts), and
// every README block marked for it is written or run in a fresh temporary folder where `npm install spinvm`
// installs that tarball. The "writing a pager" steps make a separate pager package that takes spinvm as a peer
// dependency, an application that installs spinvm and links the package with `file:` (so two copies of spinvm
// are loaded, as with `npm link`), the CLI's conformance run and the kit's vitest entry.
//
// Markers, in HTML comments just above a fenced block:
//   <!-- file: DIR/NAME -->            the block is that file's contents
//   <!-- run: DIR -->                  the block is a shell script run in DIR (made if missing)
//   <!-- run: DIR expect: TEXT -->     ... whose output must contain TEXT
//   <!-- node: DIR/NAME expect: TEXT --> a script run with node in DIR once every other block has run
// A file whose folder does not exist yet is written once a later run block has made it (as a reader would).
// In `npm install` lines the package name `spinvm` stands for the tarball; npm uses its cache first.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { packedSpinvm } from '../helpers/packed.js';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = join(import.meta.dirname, '../..');

interface Block {
  kind: 'file' | 'run' | 'node';
  target: string;
  expect: string | undefined;
  body: string;
  line: number;
}

/** The marked blocks of the README, in order. */
function markedBlocks(text: string): Block[] {
  const lines = text.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = lines[i]!.match(/^<!--\s*(file|run|node):\s*(\S+)(?:\s+expect:\s*(.*?))?\s*-->\s*$/);
    if (!m) continue;
    let j = i + 1;
    while (j < lines.length && lines[j]!.trim() === '') j++;
    if (!lines[j]?.startsWith('```')) throw new Error(`README line ${i + 1}: a marker must stand just above a fenced block`);
    const start = j + 1;
    let end = start;
    while (end < lines.length && !lines[end]!.startsWith('```')) end++;
    blocks.push({ kind: m[1] as Block['kind'], target: m[2]!, expect: m[3], body: lines.slice(start, end).join('\n') + '\n', line: i + 1 });
    i = end;
  }
  return blocks;
}

let work: string;
let tarball: string;
const blocks = markedBlocks(readFileSync(join(REPO, 'README.md'), 'utf8'));

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'spinvm-readme-'));
  tarball = (await packedSpinvm()).tarball;
}, 240_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A README shell block, with `spinvm` in `npm install` lines standing for the tarball. */
function script(body: string): string {
  return body
    .split('\n')
    .map((line) =>
      /^\s*npm (install|i)\b/.test(line)
        ? line.replace(/(\s)spinvm(?=\s|$)/g, `$1${tarball}`).replace(/^(\s*npm (install|i))\b/, '$1 --prefer-offline --no-audit --no-fund')
        : line,
    )
    .join('\n');
}

/** The environment of a user's shell: none of this test runner's own variables. */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(VITEST|__VITEST|NODE_OPTIONS$|NODE_ENV$|TEST$)/.test(k)) env[k] = v;
  return { ...env, CI: 'true', FORCE_COLOR: '0' };
}

describe('the README, followed as written on a fresh project', () => {
  it('has the blocks this test follows', () => {
    expect(blocks.filter((b) => b.kind === 'run').length).toBeGreaterThanOrEqual(4);
    expect(blocks.filter((b) => b.kind === 'file').length).toBeGreaterThanOrEqual(4);
  });

  it('every marked block works, in order', () => {
    let pending: Block[] = [];
    const writeReady = (): void => {
      pending = pending.filter((block) => {
        const path = join(work, block.target);
        if (!existsSync(dirname(path))) return true;
        writeFileSync(path, block.body);
        return false;
      });
    };
    const shell = (block: Block, cwd: string, command: string): void => {
      const where = `README line ${block.line} (${block.kind}: ${block.target})`;
      const run = spawnSync('bash', ['-euo', 'pipefail', '-c', command], { cwd, encoding: 'utf8', env: userEnv(), timeout: 240_000 });
      const output = `${run.stdout}\n${run.stderr}`;
      if (run.status !== 0) throw new Error(`${where} exited ${run.status ?? run.signal}:\n${output.slice(-4000)}`);
      if (block.expect !== undefined && !output.includes(block.expect))
        throw new Error(`${where}: its output lacks ${JSON.stringify(block.expect)}:\n${output.slice(-4000)}`);
    };
    for (const block of blocks) {
      if (block.kind !== 'run') {
        pending.push(block);
        writeReady();
        continue;
      }
      mkdirSync(join(work, block.target), { recursive: true }); // a run block's folder is made if missing
      shell(block, join(work, block.target), script(block.body));
      writeReady();
    }
    expect(pending.map((b) => `README line ${b.line}: ${b.target}`)).toEqual([]);
    for (const block of blocks.filter((b) => b.kind === 'node')) shell(block, dirname(join(work, block.target)), `node ${basename(block.target)}`);
  }, 600_000);
});
