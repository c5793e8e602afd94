// spinvm as `npm pack` publishes it, made once per test run and shared by every test file that needs it.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REPO = join(import.meta.dirname, '../..');

export interface Packed {
  /** The tarball `npm pack` made (prepack builds from a clean dist/). */
  tarball: string;
  /** The tarball unpacked: package.json, README.md, LICENSE and dist/ as published, with the repo's node_modules linked. */
  dir: string;
}

/**
 * The folder one test run shares: vitest's workers are children of one runner process, so their parent's pid
 * names the run; `test/global-setup.ts` (in that process) removes it at the end.
 */
export function packedFolder(runner = process.ppid): string {
  return join(tmpdir(), `spinvm-packed-${runner}`);
}

/** Packs spinvm, or waits while another test file of the run does, under a lock (an exclusive mkdir). */
export async function packedSpinvm(): Promise<Packed> {
  const base = packedFolder();
  const done = join(base, 'done.json');
  const lock = `${base}.lock`;
  for (;;) {
    if (existsSync(done)) return JSON.parse(await import('node:fs/promises').then((f) => f.readFile(done, 'utf8'))) as Packed;
    try {
      mkdirSync(lock);
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 250)); // another file is packing
      continue;
    }
    try {
      if (existsSync(done)) continue;
      mkdirSync(base, { recursive: true });
      execFileSync('npm', ['pack', '--pack-destination', base, '--silent'], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      const name = readdirSync(base).find((f) => f.endsWith('.tgz'));
      if (!name) throw new Error('npm pack made no tarball');
      const tarball = join(base, name);
      execFileSync('tar', ['-xzf', tarball, '-C', base]);
      const dir = join(base, 'package');
      symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'), 'dir');
      writeFileSync(done, JSON.stringify({ tarball, dir } satisfies Packed));
    } finally {
      rmdirSync(lock);
    }
  }
}
