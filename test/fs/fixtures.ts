import * as nodeFs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MemoryFileSystem, NodeFileSystem, type FileSystem } from '../../fs/index.js';

/** One file system under test, with a fresh directory to work in. */
export interface Fixture {
  readonly fs: FileSystem;
  /** A fresh, empty directory (already created). */
  readonly root: string;
  /** Sets a file's permission bits (real chmod, or MemoryFileSystem.chmod). */
  chmod(path: string, mode: number): void;
  /** False on real files when running as root (chmod 000 does not stop root). */
  readonly enforcesPermissions: boolean;
  cleanup(): Promise<void>;
}

export interface FixtureKind {
  readonly name: string;
  make(): Promise<Fixture>;
}

const nodeKind: FixtureKind = {
  name: 'NodeFileSystem',
  async make() {
    const fs = new NodeFileSystem();
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'spinvm-fs-test-'));
    const probe = path.join(root, '.probe');
    nodeFs.writeFileSync(probe, 'x');
    nodeFs.chmodSync(probe, 0);
    let enforces = true;
    try {
      nodeFs.closeSync(nodeFs.openSync(probe, 'r'));
      enforces = false;
    } catch {
      enforces = true;
    }
    nodeFs.rmSync(probe, { force: true });
    return {
      fs,
      root,
      chmod: (p, mode) => nodeFs.chmodSync(p, mode),
      enforcesPermissions: enforces,
      cleanup: () => nodeFs.promises.rm(root, { recursive: true, force: true }),
    };
  },
};

const memoryKind: FixtureKind = {
  name: 'MemoryFileSystem',
  async make() {
    const fs = new MemoryFileSystem();
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'spinvm-fs-test-'));
    return {
      fs,
      root,
      chmod: (p, mode) => fs.chmod(p, mode),
      enforcesPermissions: true,
      cleanup: () => fs.rmdir(root),
    };
  },
};

export const kinds: FixtureKind[] = [nodeKind, memoryKind];

/** `n` bytes counting up from `start` (mod 256). */
export function pattern(n: number, start = 1): Uint8Array {
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i++) bytes[i] = (start + i) & 0xff;
  return bytes;
}

/** Reads a whole file through the FileSystem under test. */
export async function slurp(fs: FileSystem, p: string): Promise<Uint8Array> {
  const h = await fs.open(p);
  try {
    const bytes = new Uint8Array(h.sizeSync());
    expectFull(h.readSync(bytes, 0), bytes.length);
    return bytes;
  } finally {
    await h.close();
  }
}

/** Writes a whole file through the FileSystem under test (created or truncated). */
export async function spit(fs: FileSystem, p: string, bytes: Uint8Array): Promise<void> {
  const h = await fs.open(p, { create: true, writable: true, truncate: true });
  try {
    h.writeSync(bytes, 0);
  } finally {
    await h.close();
  }
}

function expectFull(got: number, want: number): void {
  if (got !== want) throw new Error(`short read: ${got} of ${want}`);
}

/** A promise with its resolve, for holding MemoryFileSystem calls in flight. */
export function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}
