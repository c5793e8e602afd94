// Worker threads run plain JavaScript: vitest's transform does not reach them. This transpiles the sources a
// worker script needs (vmcore, spinvm/worker, the test's worker scripts) into a temporary folder, once per
// test file, with TypeScript's own transpiler (no type check: `tsc -p tsconfig.json` does that).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

const REPO = join(import.meta.dirname, '../..');
export const FOLDERS = ['vmcore', 'extensions/worker', 'test/shared'];

function sources(folder: string): string[] {
  if (folder.endsWith('.ts')) return [join(REPO, folder)];
  return readdirSync(join(REPO, folder), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
    .map((e) => join(e.parentPath, e.name));
}

/**
 * The folder holding the JavaScript; `file('test/shared/x.worker.ts')` names one transpiled file in it.
 * `folders` are the source folders (or single files) to transpile: the bench's smoke run names its own.
 */
export function transpiled(folders: readonly string[] = FOLDERS): { dir: string; file: (source: string) => string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'spinvm-transpiled-'));
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    experimentalDecorators: true,
    esModuleInterop: true,
  };
  for (const folder of folders) {
    for (const path of sources(folder)) {
      const out = join(dir, relative(REPO, path)).replace(/\.ts$/, '.js');
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, ts.transpileModule(readFileSync(path, 'utf8'), { compilerOptions: options, fileName: path }).outputText);
    }
  }
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return {
    dir,
    file: (source) => join(dir, source.replace(/\.ts$/, '.js')),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
