import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  Pager,
  ResultCode,
  TOKENS,
  createVm,
  type AddressSpace,
  type FileMapper,
  type MappableFile,
  type MemoryObject,
  type PagerAnswer,
  type Vm,
  createAddressSpace,
} from '../../vmcore/index.js';
import { RecordingPager } from '../helpers/pagers.js';

/**
 * A test-only file pager whose store is the file itself: page-in reads it with fs.readSync (bytes past the
 * end of the file are zero), page-out writes it with fs.writeSync, never past the file's size.
 */
class FilePagerForTests extends Pager {
  pageOuts = 0;
  constructor(
    private readonly fd: number,
    private readonly fileSize: number,
    private readonly async: boolean,
  ) {
    super();
  }

  override get refillsCleanPages(): boolean {
    return true;
  }

  override pageIn(page: number, frame: Uint8Array): PagerAnswer {
    const work = (): ResultCode => {
      const at = page * frame.length;
      const n = at < this.fileSize ? fs.readSync(this.fd, frame, 0, Math.min(frame.length, this.fileSize - at), at) : 0;
      frame.fill(0, n);
      return ResultCode.Success;
    };
    return this.async ? new Promise((resolve) => setImmediate(() => resolve(work()))) : work();
  }

  override pageOut(page: number, frame: Uint8Array, dirty: boolean): PagerAnswer {
    if (!dirty) return ResultCode.Success;
    const copy = frame.slice();
    const work = (): ResultCode => {
      const at = page * copy.length;
      if (at < this.fileSize) fs.writeSync(this.fd, copy, 0, Math.min(copy.length, this.fileSize - at), at);
      this.pageOuts++;
      return ResultCode.Success;
    };
    return this.async ? new Promise((resolve) => setImmediate(() => resolve(work()))) : work();
  }
}

interface Entry {
  object: MemoryObject;
  fd: number;
  size: number;
  refs: number;
}

/**
 * A FileMapper over node:fs for the tests: one memory object per file (its size rounded up to whole
 * pages), shared by every open of the file; `sync` flushes and fsyncs; the last `close` flushes, destroys
 * the object and closes the descriptor. Paths in `readOnly` are never granted write access.
 */
export class NodeFileMapper implements FileMapper {
  readonly entries = new Map<string, Entry>();
  readonly readOnly = new Set<string>();
  opens = 0;
  closes = 0;
  syncs = 0;
  /** Makes the next sync fail once, as a full disk would. */
  failNextSync = false;

  constructor(
    private readonly vm: Vm,
    private readonly async = false,
  ) {}

  open(file: string, writable: boolean): Promise<MappableFile> {
    let entry = this.entries.get(file);
    if (!entry) {
      const fd = fs.openSync(file, 'r+');
      const size = fs.fstatSync(fd).size;
      const ps = this.vm.pageSize;
      const object = this.vm.createMemoryObject({
        size: Math.max(ps, Math.ceil(size / ps) * ps),
        pager: new FilePagerForTests(fd, size, this.async),
        name: path.basename(file),
      });
      entry = { object, fd, size, refs: 0 };
      this.entries.set(file, entry);
    }
    const e = entry;
    e.refs++;
    this.opens++;
    let closed = false;
    const granted = writable && !this.readOnly.has(file);
    return Promise.resolve({
      object: e.object,
      size: e.size,
      writable: granted,
      sync: async () => {
        if (closed) throw new Error('sync after close');
        if (this.failNextSync) {
          this.failNextSync = false;
          throw new Error('ENOSPC: simulated');
        }
        await e.object.flush();
        fs.fsyncSync(e.fd);
        this.syncs++;
      },
      close: async () => {
        if (closed) throw new Error('closed twice');
        closed = true;
        this.closes++;
        if (--e.refs > 0) return;
        this.entries.delete(file);
        try {
          if (!e.object.isDestroyed) await e.object.flush();
        } finally {
          await e.object.destroy();
          fs.closeSync(e.fd);
        }
      },
    });
  }
}

export interface Setup {
  vm: Vm;
  space: AddressSpace;
  mapper: NodeFileMapper;
  dir: string;
  ps: number;
  /** Writes a file in the test's directory and answers its path. */
  file(name: string, contents: Uint8Array): string;
  /** The file's bytes as on disk, read with plain fs. */
  disk(file: string): Uint8Array;
  /** Destroys the instance and removes the directory. */
  done(): Promise<void>;
}

export interface SetupOptions {
  pageSize?: number;
  frames?: number;
  /** Anonymous memory over a RecordingPager (pages out) instead of the bogopager. */
  swap?: boolean | 'async';
  /** File pages in and out asynchronously. */
  asyncFiles?: boolean;
}

export function setup(options: SetupOptions = {}): Setup {
  const vm = createVm({ pageSize: options.pageSize ?? 4096, frames: options.frames ?? 64 });
  if (options.swap) {
    const async = options.swap === 'async';
    vm.container
      .rebind<Pager>(TOKENS.DefaultPager)
      .toDynamicValue(() => new RecordingPager({ async }))
      .inTransientScope();
  }
  const mapper = new NodeFileMapper(vm, options.asyncFiles ?? false);
  vm.container.bind<FileMapper>(TOKENS.FileMapper).toConstantValue(mapper);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spinvm-as-'));
  return {
    vm,
    space: createAddressSpace(vm),
    mapper,
    dir,
    ps: vm.pageSize,
    file(name, contents) {
      const p = path.join(dir, name);
      fs.writeFileSync(p, contents);
      return p;
    },
    disk(file) {
      return new Uint8Array(fs.readFileSync(file));
    },
    async done() {
      await vm.destroy().catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `length` bytes, every one `value`. */
export function filled(length: number, value: number): Uint8Array {
  return new Uint8Array(length).fill(value);
}

/** Every frame is back in the pool and no memory object is alive. */
export function expectNothingLeaked(vm: Vm): void {
  const stat = vm.stat();
  if (stat.freeFrames !== stat.frames) throw new Error(`frames leaked: ${stat.frames - stat.freeFrames} of ${stat.frames} still in use`);
  const alive = vm.memoryObjects();
  if (alive.length !== 0) throw new Error(`memory objects still alive: ${alive.map((o) => o.name).join(', ')}`);
}
