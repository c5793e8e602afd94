// Real files for one test file: a temporary folder made before each test and removed after it.
import * as nodefs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach } from 'vitest';

export interface TempFiles {
  /** The folder of the test running now. */
  readonly dir: string;
  /** `name`'s path in that folder. */
  path(name: string): string;
  /** Writes `data` to `name` and answers its path. */
  file(name: string, data: Uint8Array): string;
  /** A file of `pages` pages of `pageSize` bytes (then `extra` zeros), page k filled with k + 1, so every page names itself. */
  paged(name: string, pages: number, extra?: number, pageSize?: number): string;
}

/** Call at the top of a test file: every test gets a fresh folder under the system's temporary one. */
export function tempFiles(prefix: string): TempFiles {
  let dir = '';
  beforeEach(() => {
    dir = nodefs.mkdtempSync(path.join(os.tmpdir(), prefix));
  });
  afterEach(() => nodefs.rmSync(dir, { recursive: true, force: true }));
  const at = (name: string): string => path.join(dir, name);
  const file = (name: string, data: Uint8Array): string => {
    nodefs.writeFileSync(at(name), data);
    return at(name);
  };
  return {
    get dir() {
      return dir;
    },
    path: at,
    file,
    paged(name, pages, extra = 0, pageSize = 4096) {
      const data = new Uint8Array(pages * pageSize + extra);
      for (let k = 0; k < pages; k++) data.fill(k + 1, k * pageSize, (k + 1) * pageSize);
      return file(name, data);
    },
  };
}
