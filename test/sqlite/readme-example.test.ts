// The README's SQLite examples (the main thread's and the worker's), each run verbatim as a user would: spinvm
// as `npm pack` makes it, and wa-sqlite beside it, in a fresh folder. (Until the lead moves them into README.md
// they live in NOTES-README.md.)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { packedSpinvm } from '../helpers/packed.js';

const REPO = join(import.meta.dirname, '../..');

function example(file: string): { code: string; expected: string } {
  const MARKER = new RegExp(`^<!--\\s*node:\\s*app/${file.replace(/\./g, '\\.')}\\s+expect:\\s*(.*?)\\s*-->\\s*$`);
  for (const doc of ['NOTES-README.md', 'README.md']) {
    if (!existsSync(join(REPO, doc))) continue;
    const lines = readFileSync(join(REPO, doc), 'utf8').split('\n');
    const at = lines.findIndex((l) => MARKER.test(l));
    if (at < 0) continue;
    const start = lines.findIndex((l, i) => i > at && l.startsWith('```')) + 1;
    const end = lines.findIndex((l, i) => i >= start && l.startsWith('```'));
    return { code: lines.slice(start, end).join('\n'), expected: lines[at]!.match(MARKER)![1]! };
  }
  throw new Error(`no app/${file} example in NOTES-README.md or README.md`);
}

let work = '';
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

it.each(['sqlite.mjs', 'sqlite-worker.mjs'])(
  'the example app/%s runs verbatim and prints what it says',
  async (file) => {
    const { dir } = await packedSpinvm();
    if (!work) {
      work = mkdtempSync(join(tmpdir(), 'spinvm-sqlite-readme-'));
      mkdirSync(join(work, 'node_modules'));
      symlinkSync(dir, join(work, 'node_modules/spinvm'), 'dir');
      symlinkSync(join(REPO, 'node_modules/wa-sqlite'), join(work, 'node_modules/wa-sqlite'), 'dir');
    }
    const { code, expected } = example(file);
    writeFileSync(join(work, file), code);
    const r = spawnSync(process.execPath, [file], { cwd: work, encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(expected);
    expect(r.status).toBe(0);
  },
  300_000,
);
