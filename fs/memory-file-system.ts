import * as os from 'node:os';
import { posix } from 'node:path';
import { InvalidArgumentError } from '../vmcore/index.js';
import { describeReason, FileSystemError, type FileOperation, type FileSystemReason } from './errors.js';
import type { FileHandle, FileSystem, OpenOptions } from './file-system.js';
import { InFlight } from './in-flight.js';
import { checkFlags, checkIndex, checkPath, checkTransfer } from './validate.js';

/**
 * Decides how long an async call on a MemoryFileSystem takes: a number of milliseconds, or a promise the call
 * waits for (so a test can hold a write in flight and release it when it likes). Nothing means "one microtask".
 */
export type LatencyHook = (operation: FileOperation, path: string) => number | PromiseLike<unknown> | void;

export interface MemoryFileSystemOptions {
  /** Total bytes all files may hold; growing past it fails with ENOSPC. Default Infinity. */
  capacity?: number;
  /** Largest size of one file; growing past it fails with EFBIG. Default 2^31 bytes. */
  maxFileSize?: number;
  /** Refuse every change (EROFS); files still open for writing keep working. Default false. */
  readOnly?: boolean;
  /** Directories that exist from the start besides "/"; default [os.tmpdir()] so tests can share prefixes with NodeFileSystem. */
  directories?: readonly string[];
  latency?: LatencyHook;
}

interface FileNode {
  readonly kind: 'file';
  /** Bytes [0, size) are the file; bytes from size to data.length are always zero (so growth reads zeros). */
  data: Uint8Array;
  size: number;
  mode: number;
  /** 1 while a directory entry names it, 0 once removed; an unlinked file lives on while handles are open. */
  links: number;
  opens: number;
}

interface DirNode {
  readonly kind: 'dir';
}

type Node = FileNode | DirNode;

const OPEN_KEYS = ['create', 'writable', 'truncate'] as const;
const TEMP_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/**
 * An in-memory file system: canonical absolute paths map to directories or growable byte arrays. Relative
 * paths are relative to "/", there are no symbolic links, so `realpath` is the path with ".", ".." and
 * duplicate slashes resolved (checking, like the kernel, that every component before the last is a directory).
 *
 * For tests it injects faults: `failNext` makes a chosen call fail, `capacity` makes growth fail with ENOSPC,
 * `readOnly` gives EROFS, `chmod` gives EACCES (mode bits 0o400 and 0o200 of files are enforced at open;
 * there is no root here), `corrupt` flips bits of a stored byte, and `latency` delays async calls. A write
 * that would pass `capacity` or `maxFileSize` fails whole, changing nothing.
 */
export class MemoryFileSystem implements FileSystem {
  /** Total bytes all files may hold (Infinity: no limit). May be changed at any time. */
  capacity: number;
  readonly maxFileSize: number;
  readOnly: boolean;
  latency: LatencyHook | undefined;

  private readonly nodes = new Map<string, Node>();
  private readonly faults = new Map<string, Array<FileSystemReason | Error>>();
  private usedBytes = 0;

  constructor(options: MemoryFileSystemOptions = {}) {
    const capacity = options.capacity ?? Infinity;
    if (typeof capacity !== 'number' || !(capacity === Infinity || (Number.isSafeInteger(capacity) && capacity >= 0))) {
      throw new InvalidArgumentError('options.capacity', capacity, 'a non-negative integer or Infinity');
    }
    const max = options.maxFileSize ?? 2 ** 31;
    if (typeof max !== 'number' || !Number.isSafeInteger(max) || max < 0) {
      throw new InvalidArgumentError('options.maxFileSize', max, 'a non-negative integer below 2^53');
    }
    this.capacity = capacity;
    this.maxFileSize = max;
    this.latency = options.latency;
    this.readOnly = false;
    this.nodes.set('/', { kind: 'dir' });
    for (const dir of options.directories ?? [os.tmpdir()]) this.makeDirectories('mkdir', checkPath('options.directories[]', dir));
    this.readOnly = options.readOnly === true;
  }

  /** Bytes held by files (including removed files still open). */
  get used(): number {
    return this.usedBytes;
  }

  // ---- test helpers -------------------------------------------------------------------------------------

  /**
   * Makes the next `times` calls of `operation` on `path` fail with `error` (an errno reason, default EIO, or
   * an Error to wrap). Sync and async forms share a name ('read' covers readSync and read); handle calls match
   * on the path the file was opened by, compared after resolving "." and "..".
   */
  failNext(path: string, operation: FileOperation, error: FileSystemReason | Error = 'EIO', times = 1): void {
    checkPath('path', path);
    checkIndex('times', times);
    const key = faultKey(operation, path);
    const queue = this.faults.get(key) ?? [];
    for (let i = 0; i < times; i++) queue.push(error);
    if (queue.length > 0) this.faults.set(key, queue);
  }

  /** Forgets every fault not yet triggered. */
  clearFaults(): void {
    this.faults.clear();
  }

  /** XORs the byte at `position` of a file with `mask` (default 0xff: every bit flipped). */
  corrupt(path: string, position: number, mask = 0xff): void {
    const file = this.fileAt('write', path);
    checkIndex('position', position);
    if (position >= file.size) throw new InvalidArgumentError('position', position, `below the file's size (${file.size})`);
    if (!Number.isInteger(mask) || mask < 1 || mask > 0xff) throw new InvalidArgumentError('mask', mask, 'an integer from 1 to 255');
    file.data[position] ^= mask;
  }

  /** Sets a file's permission bits: 0o400 allows opening it, 0o200 opening it writable. */
  chmod(path: string, mode: number): void {
    const file = this.fileAt('open', path);
    if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) throw new InvalidArgumentError('mode', mode, 'a permission mode from 0 to 0o7777');
    file.mode = mode;
  }

  /** A copy of a file's bytes. */
  contents(path: string): Uint8Array {
    const file = this.fileAt('read', path);
    return file.data.slice(0, file.size);
  }

  // ---- FileSystem ---------------------------------------------------------------------------------------

  openSync(path: string, options?: OpenOptions): FileHandle {
    checkPath('path', path);
    const o = checkFlags('options', options, OPEN_KEYS);
    if (o.truncate === true && o.writable !== true) throw new InvalidArgumentError('options.truncate', true, 'false unless options.writable is true');
    return this.openNow(path, o.create === true, o.writable === true, o.truncate === true);
  }

  async open(path: string, options?: OpenOptions): Promise<FileHandle> {
    checkPath('path', path);
    const o = checkFlags('options', options, OPEN_KEYS);
    if (o.truncate === true && o.writable !== true) throw new InvalidArgumentError('options.truncate', true, 'false unless options.writable is true');
    await this.delay('open', path);
    return this.openNow(path, o.create === true, o.writable === true, o.truncate === true);
  }

  async remove(path: string): Promise<void> {
    checkPath('path', path);
    await this.delay('remove', path);
    this.fault('remove', path);
    const { canonical, node } = this.walk('remove', path, false);
    if (node!.kind === 'dir') throw new FileSystemError('remove', path, 'EISDIR');
    if (this.readOnly) throw new FileSystemError('remove', path, 'EROFS');
    this.nodes.delete(canonical);
    this.unlink(node as FileNode);
  }

  async mkdtemp(prefix: string): Promise<string> {
    checkPath('prefix', prefix);
    await this.delay('mkdtemp', prefix);
    this.fault('mkdtemp', prefix);
    const slash = prefix.endsWith('/');
    const dir = slash ? prefix : posix.dirname(prefix);
    const base = slash ? '' : posix.basename(prefix);
    const parent = this.walk('mkdtemp', dir, false);
    if (parent.node!.kind !== 'dir') throw new FileSystemError('mkdtemp', prefix, 'ENOTDIR');
    if (this.readOnly) throw new FileSystemError('mkdtemp', prefix, 'EROFS');
    for (;;) {
      let suffix = '';
      for (let i = 0; i < 6; i++) suffix += TEMP_CHARS[Math.floor(Math.random() * TEMP_CHARS.length)];
      const canonical = posix.join(parent.canonical, base + suffix);
      if (!this.nodes.has(canonical)) {
        this.nodes.set(canonical, { kind: 'dir' });
        return prefix + suffix;
      }
    }
  }

  async mkdir(path: string): Promise<void> {
    checkPath('path', path);
    await this.delay('mkdir', path);
    this.fault('mkdir', path);
    this.makeDirectories('mkdir', path);
  }

  async rmdir(path: string): Promise<void> {
    checkPath('path', path);
    await this.delay('rmdir', path);
    this.fault('rmdir', path);
    const { canonical, node } = this.walk('rmdir', path, false);
    if (node!.kind !== 'dir') throw new FileSystemError('rmdir', path, 'ENOTDIR');
    if (canonical === '/') throw new FileSystemError('rmdir', path, 'EBUSY', { detail: 'cannot remove the root directory' });
    if (this.readOnly) throw new FileSystemError('rmdir', path, 'EROFS');
    const under = canonical + '/';
    for (const [key, child] of this.nodes) {
      if (key !== canonical && !key.startsWith(under)) continue;
      this.nodes.delete(key);
      if (child.kind === 'file') this.unlink(child);
    }
  }

  async realpath(path: string): Promise<string> {
    checkPath('path', path);
    await this.delay('realpath', path);
    this.fault('realpath', path);
    return this.walk('realpath', path, false).canonical;
  }

  async exists(path: string): Promise<boolean> {
    checkPath('path', path);
    await this.delay('realpath', path);
    try {
      this.walk('realpath', path, false);
      return true;
    } catch {
      return false;
    }
  }

  // ---- internals shared with MemoryFileHandle -----------------------------------------------------------

  /** @internal Waits as the latency hook says (at least a microtask, so async calls are really async). */
  async delay(operation: FileOperation, path: string): Promise<void> {
    const wait = this.latency?.(operation, path);
    if (typeof wait === 'number') {
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      else await undefined;
    } else {
      await wait;
    }
  }

  /** @internal Throws the next injected fault for (operation, path), if any. */
  fault(operation: FileOperation, path: string): void {
    if (this.faults.size === 0) return;
    const key = faultKey(operation, path);
    const queue = this.faults.get(key);
    if (!queue) return;
    const error = queue.shift()!;
    if (queue.length === 0) this.faults.delete(key);
    if (error instanceof FileSystemError) throw error;
    if (error instanceof Error) throw FileSystemError.from(error, operation, path);
    throw new FileSystemError(operation, path, error, { detail: `${describeReason(error) ?? 'failed'} (injected)` });
  }

  /** @internal Changes a live file's size, charging or refunding `capacity`; fails whole with ENOSPC/EFBIG. */
  resize(operation: FileOperation, path: string, file: FileNode, size: number): void {
    if (size > file.size) {
      if (size > this.maxFileSize) {
        throw new FileSystemError(operation, path, 'EFBIG', {
          detail: `file too large: ${size} bytes is over this file system's limit of ${this.maxFileSize}`,
        });
      }
      if (this.usedBytes + (size - file.size) > this.capacity) throw new FileSystemError(operation, path, 'ENOSPC');
      if (size > file.data.length) {
        let grown: Uint8Array;
        try {
          grown = new Uint8Array(Math.min(this.maxFileSize, Math.max(size, file.data.length * 2, 64)));
        } catch (cause) {
          throw new FileSystemError(operation, path, 'ENOSPC', { cause, detail: `no memory for ${size} bytes` });
        }
        grown.set(file.data.subarray(0, file.size));
        file.data = grown;
      }
    } else {
      file.data.fill(0, size, file.size); // keep the invariant: bytes past size are zero
    }
    this.usedBytes += size - file.size;
    file.size = size;
  }

  /** @internal A handle closed: the file's bytes are freed if it was removed meanwhile. */
  released(file: FileNode): void {
    file.opens--;
    this.maybeFree(file);
  }

  private openNow(path: string, create: boolean, writable: boolean, truncate: boolean): FileHandle {
    this.fault('open', path);
    const found = this.walk('open', path, create);
    let node = found.node;
    if (node === undefined) {
      if (this.readOnly) throw new FileSystemError('open', path, 'EROFS');
      if (path.endsWith('/')) throw new FileSystemError('open', path, 'EISDIR');
      node = { kind: 'file', data: new Uint8Array(0), size: 0, mode: 0o666, links: 1, opens: 0 };
      this.nodes.set(found.canonical, node);
    }
    if (node.kind === 'dir') throw new FileSystemError('open', path, 'EISDIR');
    if ((node.mode & 0o400) === 0 || (writable && (node.mode & 0o200) === 0)) throw new FileSystemError('open', path, 'EACCES');
    if (writable && this.readOnly) throw new FileSystemError('open', path, 'EROFS');
    if (truncate) this.resize('open', path, node, 0);
    node.opens++;
    return new MemoryFileHandle(this, node, path, writable);
  }

  private fileAt(operation: FileOperation, path: string): FileNode {
    checkPath('path', path);
    const { node } = this.walk(operation, path, false);
    if (node!.kind !== 'file') throw new FileSystemError(operation, path, 'EISDIR');
    return node as FileNode;
  }

  private makeDirectories(operation: FileOperation, path: string): void {
    const parts = absolute(path).split('/');
    let canonical = '/';
    for (let i = 1; i < parts.length; i++) {
      const part = parts[i]!;
      if (part === '' || part === '.') continue;
      canonical = part === '..' ? posix.dirname(canonical) : posix.join(canonical, part);
      const node = this.nodes.get(canonical);
      if (node === undefined) {
        if (this.readOnly) throw new FileSystemError(operation, path, 'EROFS');
        this.nodes.set(canonical, { kind: 'dir' });
      } else if (node.kind !== 'dir') {
        throw new FileSystemError(operation, path, isLast(parts, i) ? 'EEXIST' : 'ENOTDIR');
      }
    }
  }

  /**
   * Resolves `path` one component at a time, as the kernel does: every component followed by another must
   * be an existing directory (ENOTDIR, ENOENT). With `missingLeaf`, a missing last component is answered
   * with `node: undefined` and its canonical path (for create).
   */
  private walk(operation: FileOperation, path: string, missingLeaf: boolean): { canonical: string; node: Node | undefined } {
    const parts = absolute(path).split('/');
    let canonical = '/';
    let node: Node = this.nodes.get('/')!;
    for (let i = 1; i < parts.length; i++) {
      if (node.kind !== 'dir') throw new FileSystemError(operation, path, 'ENOTDIR');
      const part = parts[i]!;
      if (part === '' || part === '.') continue;
      canonical = part === '..' ? posix.dirname(canonical) : posix.join(canonical, part);
      const next = this.nodes.get(canonical);
      if (next === undefined) {
        if (missingLeaf && isLast(parts, i)) return { canonical, node: undefined };
        throw new FileSystemError(operation, path, 'ENOENT');
      }
      node = next;
    }
    return { canonical, node };
  }

  private unlink(file: FileNode): void {
    file.links = 0;
    this.maybeFree(file);
  }

  private maybeFree(file: FileNode): void {
    if (file.links === 0 && file.opens === 0 && file.size > 0) {
      this.usedBytes -= file.size;
      file.size = 0;
      file.data = new Uint8Array(0);
    }
  }
}

/** True when parts[i] is the last component that names something ("a/b/" ends at b too). */
function isLast(parts: string[], i: number): boolean {
  for (let j = i + 1; j < parts.length; j++) if (parts[j] !== '' && parts[j] !== '.') return false;
  return true;
}

function absolute(path: string): string {
  return path.startsWith('/') ? path : '/' + path;
}

function faultKey(operation: FileOperation, path: string): string {
  return `${operation}\0${posix.resolve('/', path)}`;
}

/** A handle on a MemoryFileSystem file; async calls take effect after the file system's latency. */
class MemoryFileHandle implements FileHandle {
  private isClosed = false;
  private readonly inflight = new InFlight();
  private closing: Promise<void> | undefined;

  constructor(
    private readonly fs: MemoryFileSystem,
    private readonly file: FileNode,
    readonly path: string,
    readonly writable: boolean,
  ) {}

  get closed(): boolean {
    return this.isClosed;
  }

  readSync(buffer: Uint8Array, position: number, offset?: number, length?: number): number {
    this.checkOpen('read');
    const want = checkTransfer(buffer, position, offset, length);
    return this.readNow(buffer, position, offset ?? 0, want);
  }

  writeSync(buffer: Uint8Array, position: number, offset?: number, length?: number): number {
    this.checkWritable('write');
    const want = checkTransfer(buffer, position, offset, length);
    return this.writeNow(buffer, position, offset ?? 0, want);
  }

  sizeSync(): number {
    this.checkOpen('size');
    this.fs.fault('size', this.path);
    return this.file.size;
  }

  async read(buffer: Uint8Array, position: number, offset?: number, length?: number): Promise<number> {
    this.checkOpen('read');
    const want = checkTransfer(buffer, position, offset, length);
    return this.later('read', () => this.readNow(buffer, position, offset ?? 0, want));
  }

  async write(buffer: Uint8Array, position: number, offset?: number, length?: number): Promise<number> {
    this.checkWritable('write');
    const want = checkTransfer(buffer, position, offset, length);
    return this.later('write', () => this.writeNow(buffer, position, offset ?? 0, want));
  }

  async size(): Promise<number> {
    this.checkOpen('size');
    return this.later('size', () => {
      this.fs.fault('size', this.path);
      return this.file.size;
    });
  }

  async truncate(size: number): Promise<void> {
    this.checkWritable('truncate');
    checkIndex('size', size);
    return this.later('truncate', () => {
      this.fs.fault('truncate', this.path);
      this.fs.resize('truncate', this.path, this.file, size);
    });
  }

  async sync(): Promise<void> {
    this.checkOpen('sync');
    return this.later('sync', () => this.fs.fault('sync', this.path));
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.isClosed = true;
    this.closing = (async () => {
      await this.inflight.idle();
      await this.fs.delay('close', this.path);
      this.fs.released(this.file);
      this.fs.fault('close', this.path); // like close(2): the handle is gone even when close reports an error
    })();
    return this.closing;
  }

  private readNow(buffer: Uint8Array, position: number, offset: number, want: number): number {
    this.fs.fault('read', this.path);
    const size = this.file.size;
    const n = position >= size ? 0 : Math.min(want, size - position);
    if (n > 0) buffer.set(this.file.data.subarray(position, position + n), offset);
    return n;
  }

  private writeNow(buffer: Uint8Array, position: number, offset: number, want: number): number {
    this.fs.fault('write', this.path);
    const end = position + want;
    if (end > this.file.size) this.fs.resize('write', this.path, this.file, end);
    this.file.data.set(buffer.subarray(offset, offset + want), position);
    return want;
  }

  /** Runs `now` after the latency, counted as in flight so close() waits for it. */
  private later<T>(operation: FileOperation, now: () => T): Promise<T> {
    return this.inflight.track(async () => {
      await this.fs.delay(operation, this.path);
      return now();
    });
  }

  private checkOpen(operation: FileOperation): void {
    if (this.isClosed) throw new FileSystemError(operation, this.path, 'EBADF', { detail: 'the file handle is closed' });
  }

  private checkWritable(operation: FileOperation): void {
    this.checkOpen(operation);
    if (!this.writable) throw new FileSystemError(operation, this.path, 'EBADF', { detail: 'the file handle was opened read-only' });
  }
}
