// One fuzz run: a spinvm instance, its memory objects, mapped files and address spaces, and beside each a
// reference model in plain byte arrays. Every operation is run against both; any difference, any error that
// is untyped or that nothing injected explains, any DestroyedError from a live object, any pager call that
// should not happen, any frame or pin held at rest, and any hang is a Divergence.
import * as extensionDefaultPager from '../../extensions/default-pager/index.js';
import { ExtensionError, extensionsOf, type ExtensionContext } from '../../extensions/index.js';
import { FileSystemError, MemoryFileSystem, type FileOperation } from '../../fs/index.js';
import { DefaultPager, type SwapSpace, useDefaultPager } from '../../pagers/default-pager/index.js';
import { FilePager, mapFile, type MappedFile, useFilePager } from '../../pagers/file-pager/index.js';
import {
  AccessDeniedError,
  AddressInUseError,
  BogoPager,
  BusError,
  createVm,
  DestroyedError,
  InvalidArgumentError,
  MemoryFault,
  NotResidentError,
  OutOfMemoryError,
  OutOfRangeError,
  PagerFailedError,
  PagerIoError,
  PagerProtocolError,
  type Pager,
  PROT,
  ProtectionFault,
  RemapError,
  ResultCode,
  SegmentationFault,
  SpinVmError,
  TOKENS,
  UnmappedRangeError,
  type AddressSpace,
  type MemoryObject,
  type Vm,
  createAddressSpace,
} from '../../vmcore/index.js';
import { MASS_BURST, MAX_SPACES, type Config, type Op, type Spot } from './ops.js';
import { FuzzPager, HangAbort, type Delay, type PagerHooks } from './pagers.js';
import { pattern, Prng } from './prng.js';
import { ByteStore } from './store.js';
import type { Watchdog } from './watchdog.js';

/** A way spinvm and the model disagree. `kind` groups failures (a shrunk run must fail the same way). */
export class Divergence extends Error {
  constructor(
    readonly kind: string,
    message: string,
  ) {
    super(message);
    this.name = 'Divergence';
  }
}

/** What was injected into a file (or swap file system): `operation:reason` pairs, a capacity cut. */
interface Injected {
  /** Some fault was injected (any kind). */
  faulty: boolean;
  /** `read:EIO`, `write:ENOSPC`, ... as given to MemoryFileSystem.failNext. */
  errors: Set<string>;
  /** The file system's capacity was cut: writes may fail with ENOSPC (page-out answers DeviceFull). */
  full: boolean;
}

interface SwapRec extends Injected {
  swap: SwapSpace;
  /** A slot was corrupted: page-ins may fail with a SwapIntegrityError. */
  corrupt: boolean;
  /** It has a limit: page-outs may answer DeviceFull. */
  limited: boolean;
}

interface ObjEnt {
  name: string;
  /** Made through the fuzzer's extension (pager: 'fuzz'): a forced unload destroys it. */
  named: boolean;
  obj: MemoryObject;
  store: ByteStore;
  pager: Pager;
  dead: boolean;
  /** User pins by page. */
  pins: Map<number, number>;
}

interface FileEnt extends Injected {
  path: string;
  size: number;
  store: ByteStore;
  truncated: boolean;
  /** A close of one of its mappings failed (its write-back): the file's object stays until vm.destroy(). */
  kept: boolean;
}

interface MapEnt {
  file: FileEnt;
  h: MappedFile;
  writable: boolean;
  closed: boolean;
}

type Owner = { obj: ObjEnt } | { file: FileEnt } | undefined;
type MPage =
  | { kind: 'anon'; prot: number; data: ByteStore; tainted: boolean }
  | { kind: 'shared'; prot: number; store: ByteStore; page: number; writable: boolean | undefined; limit: number; owner: Owner; tainted: boolean }
  | { kind: 'private'; prot: number; store: ByteStore; page: number; copy: ByteStore | undefined; limit: number; owner: Owner; tainted: boolean };
type MSpace = Map<number, MPage>;

interface SpaceEnt {
  as: AddressSpace;
  model: MSpace;
  dead: boolean;
  /** Pages locked with lock() (each pins at most one frame). */
  locks: Set<number>;
  /** Pages lock() may have left unlocked (never-written anonymous memory is the zero page: nothing to pin). */
  maybeLocks: Set<number>;
}

type Ent = ObjEnt | MapEnt | SpaceEnt;

/** An operation's target, fitted: the entity, the byte range (objects, mappings) or address (spaces). */
interface Fitted {
  ent: Ent | undefined;
  off: number;
  len: number;
}

type Fault = { kind: typeof SegmentationFault | typeof ProtectionFault | typeof BusError; address: number };

interface Footprint {
  key: string;
  start: number;
  end: number;
  write: boolean;
}

interface Ctx {
  what: string;
  obj?: ObjEnt;
  map?: MapEnt;
  space?: SpaceEnt;
  /** The operation may fault pages in (pager errors and OutOfMemoryError can be expected). */
  faulting?: boolean;
  /** Errors this operation may answer besides the general ones. */
  expect?: (err: SpinVmError) => boolean;
}

export interface WorldLimits {
  /** Milliseconds an operation may take before it counts as a hang. */
  opTimeoutMs: number;
  /** Pager calls one operation may make before it counts as a livelock. */
  callBudget: number;
}

const DATA_DIR = '/fuzz';
const SWAP_DIR = '/swap';
const noop = (): void => {};

export class World {
  readonly vm: Vm;
  readonly ps: number;
  readonly swapFs = new MemoryFileSystem({ directories: [SWAP_DIR] });
  readonly dataFs = new MemoryFileSystem({ directories: [DATA_DIR] });
  readonly objs: ObjEnt[] = [];
  readonly maps: MapEnt[] = [];
  readonly spaces: SpaceEnt[] = [];
  readonly files: FileEnt[] = [];
  readonly swaps: SwapRec[] = [];
  /** Every FuzzPager, in creation order (shadows' too): `arm` picks among them. */
  readonly pagers: FuzzPager[] = [];
  /** Fault kinds given out, with counts. */
  readonly faults = new Map<string, number>();
  operations = 0;
  private readonly violations: string[] = [];
  private hang: string | undefined;
  private pagerCalls = 0;
  private readonly rng: Prng;
  private readonly hooks: PagerHooks;
  private readonly byName = new Map<string, Pager>();
  private readonly objectOf = new WeakMap<Pager, MemoryObject>();
  /** Set while a batch runs: what it destroys, closes or unmaps (operations on those may fail either way). */
  private batch: { doomed: Set<Ent> } | undefined;
  /** The default-pager extension was loaded (it loads once; later usedef ops call useDefaultPager). */
  private extensionLoaded = false;
  /** The fuzzer's own extension: it binds the pager named 'fuzz'. */
  private readonly extension = {
    loaded: false,
    module: {
      manifest: { name: 'spinvm-fuzz-pager', version: '1.0.0', apiVersion: '^1.0.0', description: "the fuzzer's pager, by name" },
      activate: (ctx: ExtensionContext): void => ctx.bindPager('fuzz', () => this.nextNamed()),
    },
  };
  private nextNamed: () => FuzzPager = () =>
    new FuzzPager({ key: 0, delay: 'sync', refills: true, copyAtEnd: false, noCatastrophe: false, failInit: false }, this.hooks);
  private nextName = 0;

  constructor(
    readonly config: Config,
    private readonly watchdog: Watchdog | undefined,
    private readonly limits: WorldLimits,
  ) {
    this.vm = createVm({ pageSize: config.pageSize, frames: config.frames, policy: config.policy });
    this.ps = config.pageSize;
    this.rng = new Prng(config.seed ^ 0x5eed);
    this.hooks = {
      call: () => {
        if (++this.pagerCalls > this.limits.callBudget) {
          this.hang ??= `livelock: one operation made more than ${this.limits.callBudget} pager calls`;
          throw new HangAbort(this.hang);
        }
        if (this.watchdog?.stalled) {
          this.hang ??= 'the event loop stalled (microtask starvation): the watchdog saw no heartbeat';
          throw new HangAbort(this.hang);
        }
      },
      violation: (message) => void this.violations.push(message),
      delivered: (kind) => this.count(kind),
      catastrophic: (pager) => {
        for (const e of this.objs) if (e.pager === pager) e.dead = true;
      },
      resident: (pager, page) => {
        const obj = this.objectOfPager(pager);
        if (!obj || obj.isDestroyed) return false;
        try {
          return obj.isResident(page * this.ps, 1);
        } catch {
          return false;
        }
      },
      rng: this.rng,
    };
    const ps = this.ps;
    config.files.forEach((size, i) => {
      const path = `${DATA_DIR}/f${i}`;
      const content = pattern(size, config.seed * 7 + i, 0x7f11e);
      const h = this.dataFs.openSync(path, { create: true, writable: true });
      h.writeSync(content, 0);
      void h.close();
      const initial = (p: number, out: Uint8Array): void => {
        out.fill(0);
        if (p * ps < size) out.set(content.subarray(p * ps, Math.min(size, (p + 1) * ps)));
      };
      this.files.push({
        path,
        size,
        store: new ByteStore(path, size, ps, initial, i < 2 ? 'memory' : 'none'),
        faulty: false,
        errors: new Set(),
        full: false,
        truncated: false,
        kept: false,
      });
    });
    this.vm.container.bind(TOKENS.FileSystem).toConstantValue(this.dataFs);
    useFilePager(this.vm);
    // The rest of a file's last page is memory: an eviction may zero it (it never reaches the file).
    this.vm.on('eviction', (e) => {
      const f = this.files.find((x) => x.path === e.object.name);
      if (f) f.store.tailEvicted(e.page);
    });
  }

  // ---- running operations ----

  /** Runs one top-level operation, with the hang checks around it. */
  async step(op: Op, index: number): Promise<void> {
    this.pagerCalls = 0;
    this.scan();
    const what = `#${index + 1} ${op.k}`;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Divergence('hang:timeout', `operation ${what} did not settle within ${this.limits.opTimeoutMs} ms`)),
        this.limits.opTimeoutMs,
      );
    });
    try {
      await Promise.race([this.exec(op, what), timeout]);
    } finally {
      clearTimeout(timer);
    }
    this.afterOp(what);
  }

  private afterOp(what: string): void {
    if (this.hang) throw this.hangDivergence(what);
    if (this.violations.length > 0) {
      const v = this.violations[0]!;
      throw new Divergence(v.startsWith('two page-ins') ? 'double-page-in' : 'pager-protocol', `${what}: ${v}`);
    }
  }

  private async exec(op: Op, what: string, pre?: Fitted): Promise<void> {
    switch (op.k) {
      case 'batch':
        return this.runBatch(op.ops, what);
      case 'mkobj':
        return this.mkobj(op, what);
      case 'mkdef':
        return this.mkdef(op.size, what);
      case 'usedef':
        return this.usedef(op, what);
      case 'fuzzdef':
        return this.fuzzdef(op.delay);
      case 'destroy':
        return this.destroyObj(op.i, what);
      case 'mapfile':
        return this.mapfile(op.f, op.writable, what);
      case 'close':
        return this.closeMap(op.i, what);
      case 'truncate':
        return this.truncate(op.keep);
      case 'space':
        this.operations++;
        this.spaces.push({ as: createAddressSpace(this.vm), model: new Map(), dead: false, locks: new Set(), maybeLocks: new Set() });
        return;
      case 'map':
        return this.map(op, what);
      case 'unmap':
        return this.unmap(op, what);
      case 'protect':
        return this.protect(op, what);
      case 'sync':
        return this.sync(op, what);
      case 'fork':
        return this.fork(op.s, what);
      case 'asdestroy':
        return this.asdestroy(op.s, what);
      case 'advise':
        return this.advise(op, what);
      case 'lock':
        return this.lock(op, what);
      case 'unlock':
        return this.unlock(op, what);
      case 'residency':
        return this.residency(op, what);
      case 'remap':
        return this.remap(op, what);
      case 'ext':
        return this.ext(op.action, what);
      case 'doom':
        return this.doom(op, what);
      case 'read':
      case 'readSync':
      case 'write':
      case 'writeSync':
      case 'get':
      case 'set': {
        const f = pre ?? this.fit(op);
        if (!f.ent) return;
        this.operations++;
        if (op.on === 's') return this.spaceData(op, f.ent as SpaceEnt, f.off, what);
        if (op.on === 'o') return this.objData(op, f.ent as ObjEnt, f.off, f.len, what);
        return this.mapData(op, f.ent as MapEnt, f.off, f.len, what);
      }
      case 'flush':
        return this.flush(op, what);
      case 'pin':
        return this.pin(op.i, op.off, what);
      case 'unpin':
        return this.unpin(op.i, op.off, what);
      case 'request':
        return this.request(op.i, op.off, op.write, what);
      case 'huge':
        return this.huge(op.i, op.sync, what);
      case 'burst':
        return this.burst(op, what, pre);
      case 'bad':
        return this.bad(op, what);
      case 'arm': {
        const p = pickOf(this.pagers, op.p);
        if (!p) return;
        const list = op.what === 'in' ? p.armedIn : op.what === 'out' ? p.armedOut : op.what === 'run' ? p.armedRun : p.armedDestroy;
        for (let i = 0; i < op.n; i++) (list as string[]).push(op.answer);
        return;
      }
      case 'fsfault':
        return this.fsfault(op);
      case 'capacity': {
        const fs = op.fs === 'swap' ? this.swapFs : this.dataFs;
        fs.capacity = op.pages < 0 ? Infinity : fs.used + op.pages * this.ps;
        if (op.pages >= 0) {
          this.count(`${op.fs}:capacity`);
          for (const x of op.fs === 'swap' ? this.swaps : this.files) {
            x.faulty = true;
            x.full = true;
          }
        }
        return;
      }
      case 'corrupt': {
        const rec = pickOf(this.swaps, op.f);
        if (!rec || rec.swap.closed) return;
        const path = rec.swap.paths[op.pos % rec.swap.paths.length]!;
        let size = 0;
        try {
          size = this.swapFs.contents(path).length;
        } catch {
          return;
        }
        if (size === 0) return;
        this.swapFs.corrupt(path, op.pos % size, 1 + (op.pos % 255));
        rec.faulty = true;
        rec.corrupt = true;
        this.count('swap:corrupt');
        return;
      }
      case 'latency': {
        const hook = latencyHook(op.mode);
        this.dataFs.latency = hook;
        this.swapFs.latency = hook;
        if (op.mode !== 'none') this.count(`fs:latency:${op.mode}`);
        return;
      }
    }
  }

  // ---- batches: operations at once ----

  private async runBatch(ops: Op[], what: string): Promise<void> {
    // Fit every member now, against the state before any of them starts, and drop the members whose bytes
    // overlap another's write (their order is undefined, so the model could not say what is right).
    const kept: Array<{ op: Op; fitted: Fitted | undefined }> = [];
    const taken: Footprint[] = [];
    const doomed = new Set<Ent>();
    const mapping = new Set<SpaceEnt>();
    const touched = new Set<SpaceEnt>();
    for (const op of ops) {
      if (op.k === 'batch') continue;
      if (op.k === 'map' && op.fixed) continue;
      let fitted: Fitted | undefined;
      let prints: Footprint[] = [];
      if (op.k === 'read' || op.k === 'readSync' || op.k === 'write' || op.k === 'writeSync' || op.k === 'get' || op.k === 'set' || op.k === 'burst') {
        fitted = this.fit(op);
        if (!fitted.ent) continue;
        prints = this.footprint(op, fitted);
        if (op.k !== 'burst' && op.on === 's') {
          const sp = fitted.ent as SpaceEnt;
          if (mapping.has(sp)) continue;
          touched.add(sp);
        }
      }
      // A space gets either new mappings in a batch, or accesses, unmaps, syncs and its destroy: where a map
      // lands among the others is a race the model cannot follow.
      if (op.k === 'unmap' || op.k === 'asdestroy' || op.k === 'sync') {
        const sp = pickOf(this.spaces, op.s);
        if (sp && mapping.has(sp)) continue;
        if (sp) touched.add(sp);
      }
      if (op.k === 'map') {
        const sp = pickOf(this.spaces, op.s);
        if (sp && touched.has(sp)) continue;
        if (sp) mapping.add(sp);
      }
      if (prints.some((p) => taken.some((q) => p.key === q.key && (p.write || q.write) && p.start < q.end && q.start < p.end))) continue;
      taken.push(...prints);
      if (op.k === 'destroy') {
        const e = pickOf(this.objs, op.i);
        if (e) doomed.add(e);
      } else if (op.k === 'close') {
        const m = pickOf(this.maps, op.i);
        if (m) doomed.add(m);
      } else if (op.k === 'unmap' || op.k === 'asdestroy') {
        const sp = pickOf(this.spaces, op.s);
        if (sp) doomed.add(sp);
      }
      kept.push({ op, fitted });
    }
    if (kept.length === 0) return;
    this.batch = { doomed };
    try {
      const results = await Promise.allSettled(kept.map(({ op, fitted }, j) => this.exec(op, `${what}.${j + 1} ${op.k}`, fitted)));
      const bad = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (bad) throw bad.reason;
    } finally {
      this.batch = undefined;
    }
    this.checkOneObjectPerFile(what);
  }

  /** The byte ranges of the model an operation reads or writes. */
  private footprint(op: Op & { on: string }, f: Fitted): Footprint[] {
    const write = op.k === 'write' || op.k === 'writeSync' || op.k === 'set';
    if (op.on === 'o') return [{ key: `s${(f.ent as ObjEnt).store.id}`, start: f.off, end: f.off + Math.max(f.len, 1), write }];
    if (op.on === 'm') return [{ key: `s${(f.ent as MapEnt).file.store.id}`, start: f.off, end: f.off + Math.max(f.len, 1), write }];
    const sp = f.ent as SpaceEnt;
    const out: Footprint[] = [];
    const ps = this.ps;
    const len = Math.max(f.len, 1);
    for (let pos = f.off; pos < f.off + len;) {
      const p = Math.floor(pos / ps);
      const w = pos - p * ps;
      const n = Math.min(ps - w, f.off + len - pos);
      const e = sp.model.get(p);
      if (e?.kind === 'anon') out.push({ key: `s${e.data.id}`, start: w, end: w + n, write });
      else if (e?.kind === 'shared') out.push({ key: `s${e.store.id}`, start: e.page * ps + w, end: e.page * ps + w + n, write });
      else if (e?.kind === 'private') {
        out.push({ key: `copy:${this.spaces.indexOf(sp)}:${p}`, start: w, end: w + n, write });
        if (!e.copy) out.push({ key: `s${e.store.id}`, start: e.page * ps, end: (e.page + 1) * ps, write: false });
      }
      pos += n;
    }
    return out;
  }

  // ---- memory objects ----

  private async mkobj(op: Extract<Op, { k: 'mkobj' }>, what: string): Promise<void> {
    this.operations++;
    const options = { key: this.rng.next(), delay: op.delay, refills: op.refills, copyAtEnd: op.copyAtEnd, noCatastrophe: false, failInit: op.failInit };
    const made: FuzzPager[] = [];
    this.nextNamed = () => {
      const p = new FuzzPager(options, this.hooks);
      made.push(p);
      return p;
    };
    const name = `obj${this.nextName++}`;
    let obj: MemoryObject;
    try {
      obj = this.vm.createMemoryObject({ size: op.size, pager: op.named ? 'fuzz' : this.nextNamed(), name });
    } catch (err) {
      this.judge(err, {
        what,
        expect: (e) =>
          (op.failInit && e instanceof PagerIoError && e.operation === 'init') || (op.named && !this.extension.loaded && e instanceof InvalidArgumentError),
      });
      return;
    }
    if (op.named && !this.extension.loaded)
      throw new Divergence('missing-error', `${what}: a memory object over the pager named 'fuzz' was made while no extension binds that name`);
    const pager = made[made.length - 1]!;
    if (obj.pager !== pager) throw new Divergence('wrong-pager', `${what}: the object was not given the pager the container made`);
    if (op.failInit) throw new Divergence('missing-error', `${what}: the pager's init threw, yet createMemoryObject succeeded`);
    this.pagers.push(pager);
    this.register(name, pager, obj);
    this.objs.push({
      name,
      named: op.named,
      obj,
      pager,
      store: new ByteStore(name, op.size, this.ps, (p, out) => pager.initial(p, out), 'dropped'),
      dead: false,
      pins: new Map(),
    });
  }

  private mkdef(size: number, what: string): void {
    this.operations++;
    const name = `def${this.nextName++}`;
    let obj: MemoryObject;
    try {
      obj = this.vm.createMemoryObject({ size, name });
    } catch (err) {
      return this.judge(err, { what });
    }
    const pager = obj.pager;
    this.register(name, pager, obj);
    const initial = pager instanceof FuzzPager ? (p: number, out: Uint8Array) => pager.initial(p, out) : undefined;
    this.objs.push({ name, named: false, obj, pager, store: new ByteStore(name, size, this.ps, initial, 'dropped'), dead: false, pins: new Map() });
  }

  private async usedef(op: Extract<Op, { k: 'usedef' }>, what: string): Promise<void> {
    this.operations++;
    const options = { fs: this.swapFs, directory: SWAP_DIR, files: op.files, ...(op.limit > 0 ? { limit: op.limit * this.ps } : {}) };
    try {
      let swap: SwapSpace;
      if (op.ext && !this.extensionLoaded) {
        this.extensionLoaded = true;
        await extensionsOf(this.vm).load(extensionDefaultPager, { options });
        swap = this.vm.container.get<SwapSpace>(TOKENS.SwapSpace);
      } else swap = await useDefaultPager(this.vm, options);
      const full = Number.isFinite(this.swapFs.capacity);
      this.swaps.push({ swap, faulty: full, errors: new Set(), full, corrupt: false, limited: op.limit > 0 });
    } catch (err) {
      this.judge(err, { what });
    }
  }

  private fuzzdef(delay: Delay): void {
    this.operations++;
    this.vm.container
      .rebind<Pager>(TOKENS.DefaultPager)
      .toDynamicValue(() => {
        const p = new FuzzPager(
          { key: this.rng.next(), delay, refills: this.rng.chance(0.5), copyAtEnd: this.rng.chance(0.5), noCatastrophe: true, failInit: false },
          this.hooks,
        );
        this.pagers.push(p);
        return p;
      })
      .inTransientScope();
  }

  private async destroyObj(i: number, what: string): Promise<void> {
    const e = pickOf(this.objs, i);
    if (!e) return;
    this.operations++;
    const wasDead = e.dead;
    e.dead = true;
    e.pins.clear();
    try {
      await e.obj.destroy();
    } catch (err) {
      // The first destroy reports a pager whose destroy failed; later ones resolve.
      this.judge(err, { what: `${what} ${e.name}`, faulting: !wasDead });
    }
  }

  private async objData(op: Extract<Op, { on: string }>, e: ObjEnt, off: number, len: number, what: string): Promise<void> {
    const obj = e.obj;
    const ctx: Ctx = { what: `${what} ${e.name} at ${off}+${len}`, obj: e, faulting: true };
    const dead = e.dead && !this.batch;
    switch (op.k) {
      case 'read': {
        let got: Uint8Array;
        try {
          got = await obj.read(off, len);
        } catch (err) {
          return this.judge(err, ctx);
        }
        if (dead) throw new Divergence('missing-error', `${ctx.what}: read of a destroyed object succeeded`);
        return this.checkBytes(e.store, off, got, ctx.what);
      }
      case 'write': {
        const data = pattern(len, op.seed);
        const thrown = await writeMaybeDetached(data, op.detach, ctx.what, (buf) => obj.write(off, buf));
        if (thrown !== undefined) {
          this.judge(thrown.error, { ...ctx, expect: (x) => op.detach && !(x instanceof DestroyedError) });
          e.store.failed(off, data);
          return;
        }
        if (dead) throw new Divergence('missing-error', `${ctx.what}: write to a destroyed object succeeded`);
        e.store.wrote(off, data);
        this.readYourWrite(() => obj.readSync(off, len), e.store, off, ctx.what);
        return;
      }
      case 'readSync': {
        let got: Uint8Array;
        try {
          got = obj.readSync(off, len);
        } catch (err) {
          if (err instanceof NotResidentError && !(err instanceof DestroyedError) && !dead) return;
          return this.judge(err, { ...ctx, faulting: false });
        }
        if (dead) throw new Divergence('missing-error', `${ctx.what}: readSync of a destroyed object succeeded`);
        return this.checkBytes(e.store, off, got, ctx.what);
      }
      case 'writeSync': {
        const data = pattern(len, op.seed);
        try {
          obj.writeSync(off, data);
        } catch (err) {
          if (err instanceof NotResidentError && !dead) return; // nothing written
          return this.judge(err, { ...ctx, faulting: false });
        }
        if (dead) throw new Divergence('missing-error', `${ctx.what}: writeSync to a destroyed object succeeded`);
        e.store.wrote(off, data);
        return;
      }
      case 'get':
      case 'set': {
        const size = op.size;
        if (off + size > obj.size) return;
        const bytes = op.k === 'set' ? valueBytes(op.value, size) : undefined;
        try {
          // Fault the pages in, then the synchronous accessors (they may find a page evicted meanwhile).
          for (let p = Math.floor(off / this.ps); p <= Math.floor((off + size - 1) / this.ps); p++) {
            const pending = obj.request(p, op.k === 'set' ? 'write' : 'read');
            if (pending) await pending;
          }
        } catch (err) {
          return this.judge(err, ctx);
        }
        try {
          if (op.k === 'get') {
            const seen = new Uint8Array(size);
            if (size === 8) {
              const v = obj.getBigUint64(off);
              for (let i = 0; i < 8; i++) seen[i] = Number((v >> BigInt(8 * i)) & 0xffn);
            } else {
              let v = obj.getUint(off, size);
              for (let i = 0; i < size; i++, v = Math.floor(v / 256)) seen[i] = v & 0xff;
            }
            if (dead) throw new Divergence('missing-error', `${ctx.what}: getUint of a destroyed object succeeded`);
            return this.checkBytes(e.store, off, seen, ctx.what);
          }
          if (size === 8) obj.setBigUint64(off, bigOf(bytes!));
          else obj.setUint(off, size, numOf(bytes!));
        } catch (err) {
          if (err instanceof Divergence) throw err;
          if (err instanceof NotResidentError && !dead) return;
          return this.judge(err, { ...ctx, faulting: false });
        }
        if (dead) throw new Divergence('missing-error', `${ctx.what}: setUint on a destroyed object succeeded`);
        e.store.wrote(off, bytes!);
        return;
      }
    }
  }

  private async flush(op: Extract<Op, { k: 'flush' }>, what: string): Promise<void> {
    if (op.on === 'm') {
      const m = pickOf(this.maps, op.i);
      if (!m) return;
      this.operations++;
      const ctx: Ctx = { what: `${what} ${op.sync ? 'sync' : 'flush'} of a mapping of ${m.file.path}`, map: m, faulting: true };
      try {
        if (op.sync) await m.h.sync();
        else await m.h.flush();
      } catch (err) {
        return this.judge(err, ctx);
      }
      if (m.closed && !this.batch) throw new Divergence('missing-error', `${ctx.what}: succeeded on a closed mapping`);
      if (!this.batch) this.checkDisk(m.file, ctx.what);
      return;
    }
    const e = pickOf(this.objs, op.i);
    if (!e) return;
    this.operations++;
    const ctx: Ctx = { what: `${what} ${e.name}`, obj: e, faulting: true };
    try {
      await e.obj.flush();
    } catch (err) {
      return this.judge(err, ctx);
    }
    if (e.dead && !this.batch) throw new Divergence('missing-error', `${ctx.what}: flush of a destroyed object succeeded`);
    // Every page's latest bytes are now in the pager's store: no dirty page was forgotten.
    const pager = e.pager;
    if (!this.batch && !e.dead && pager instanceof FuzzPager) {
      const ps = this.ps;
      const pages = new Set([...e.store.touchedPages(), ...pager.store.keys()]);
      for (const p of pages) {
        if (p * ps >= e.obj.size) continue;
        const n = Math.min(ps, e.obj.size - p * ps);
        const stored =
          pager.store.get(p)?.subarray(0, n) ??
          (() => {
            const out = new Uint8Array(ps);
            pager.initial(p, out);
            return out.subarray(0, n);
          })();
        if (!e.store.matches(p * ps, stored)) {
          throw new Divergence(
            'lost-write',
            `${ctx.what}: flush resolved but page ${p} in the pager's store is not what was written (${e.store.check(p * ps, stored)})`,
          );
        }
      }
    }
  }

  private async pin(i: number, r: number, what: string): Promise<void> {
    const e = pickOf(this.objs, i);
    if (!e) return;
    const page = Math.floor(this.offsetIn(e.obj.size, r) / this.ps);
    // Leave a frame free for everyone else.
    let pinned = 0;
    for (const o of this.objs) if (!o.dead) pinned += o.pins.size;
    if (!e.pins.has(page) && pinned >= this.config.frames - 1) return;
    this.operations++;
    const ctx: Ctx = { what: `${what} ${e.name} page ${page}`, obj: e, faulting: true };
    try {
      await e.obj.pin(page);
    } catch (err) {
      return this.judge(err, ctx);
    }
    if (e.dead) {
      if (!this.batch) throw new Divergence('missing-error', `${ctx.what}: pin of a destroyed object succeeded`);
      return;
    }
    e.pins.set(page, (e.pins.get(page) ?? 0) + 1);
  }

  private unpin(i: number, r: number, what: string): void {
    const e = pickOf(this.objs, i);
    if (!e) return;
    this.operations++;
    const pinned = [...e.pins.keys()];
    const page = pinned.length > 0 && r % 4 !== 0 ? pinned[r % pinned.length]! : Math.floor(this.offsetIn(e.obj.size, r) / this.ps);
    const ctx: Ctx = { what: `${what} ${e.name} page ${page}`, obj: e };
    try {
      e.obj.unpin(page);
    } catch (err) {
      // Unpinning a page that is not pinned is a typed InvalidArgumentError.
      return this.judge(err, { ...ctx, expect: (x) => x instanceof InvalidArgumentError && !e.pins.has(page) });
    }
    if (e.dead) throw new Divergence('missing-error', `${ctx.what}: unpin on a destroyed object succeeded`);
    const n = e.pins.get(page);
    if (!n) throw new Divergence('missing-error', `${ctx.what}: unpin of a page never pinned succeeded`);
    if (n === 1) e.pins.delete(page);
    else e.pins.set(page, n - 1);
  }

  private async request(i: number, r: number, write: boolean, what: string): Promise<void> {
    const e = pickOf(this.objs, i);
    if (!e) return;
    this.operations++;
    const page = Math.floor(this.offsetIn(e.obj.size, r) / this.ps);
    const ctx: Ctx = { what: `${what} ${e.name} page ${page}`, obj: e, faulting: true };
    try {
      const pending = e.obj.request(page, write ? 'write' : 'read');
      if (pending) await pending;
    } catch (err) {
      return this.judge(err, ctx);
    }
    if (this.batch) return;
    if (e.dead) throw new Divergence('missing-error', `${ctx.what}: request on a destroyed object succeeded`);
    if (!e.obj.isResident(page * this.ps, 1)) throw new Divergence('not-resident', `${ctx.what}: request resolved but the page is not resident`);
  }

  private async huge(i: number, sync: boolean, what: string): Promise<void> {
    const e = pickOf(this.objs, i);
    if (!e) return;
    this.operations++;
    const len = Math.min(2 ** 40, e.obj.size);
    const ctx: Ctx = {
      what: `${what} ${sync ? 'readSync' : 'read'} of ${len} bytes of ${e.name} (size ${e.obj.size})`,
      obj: e,
      expect: (x) => !(x instanceof DestroyedError),
    };
    try {
      if (sync) e.obj.readSync(0, len);
      else await e.obj.read(0, len);
    } catch (err) {
      return this.judge(err, ctx);
    }
    if (len > 2 ** 31) throw new Divergence('missing-error', `${ctx.what}: succeeded`);
  }

  private async burst(op: Extract<Op, { k: 'burst' }>, what: string, pre: Fitted | undefined): Promise<void> {
    const f = pre ?? this.fit(op);
    if (!f.ent) return;
    this.operations++;
    const n = op.n;
    if (op.on === 'o') {
      const e = f.ent as ObjEnt;
      const ctx: Ctx = { what: `${what} ${n} reads of ${e.name} at ${f.off}+${f.len}`, obj: e, faulting: true };
      // Tens of thousands of readers keep the event loop on microtasks for a while: tell the watchdog.
      if (n >= MASS_BURST) this.watchdog?.slack(4);
      try {
        const reads: Array<Promise<Uint8Array>> = [];
        for (let j = 0; j < n; j++) reads.push(e.obj.read(f.off, f.len));
        const results = await Promise.allSettled(reads);
        this.checkReaders(results, ctx, (got) => this.checkBytes(e.store, f.off, got, ctx.what));
      } finally {
        if (n >= MASS_BURST) this.watchdog?.slack(1);
      }
      if (n >= MASS_BURST) this.count('burst:65536-readers');
      return;
    }
    const m = f.ent as MapEnt;
    const ctx: Ctx = { what: `${what} ${n} reads of a mapping of ${m.file.path} at ${f.off}+${f.len}`, map: m, faulting: true };
    if (n >= MASS_BURST) this.watchdog?.slack(4);
    try {
      const results = await Promise.allSettled(Array.from({ length: n }, () => m.h.read(f.off, f.len)));
      this.checkReaders(results, ctx, (got) => this.checkMapRead(m, f.off, got, ctx.what, undefined));
    } finally {
      if (n >= MASS_BURST) this.watchdog?.slack(1);
    }
  }

  /** Every reader's error is judged; the bytes of the first are checked, and every other reader's must equal them. */
  private checkReaders(results: Array<PromiseSettledResult<Uint8Array>>, ctx: Ctx, check: (got: Uint8Array) => void): void {
    let first: Uint8Array | undefined;
    for (const r of results) {
      if (r.status === 'rejected') {
        this.judge(r.reason, ctx);
        continue;
      }
      if (!first) {
        first = r.value;
        check(first);
        continue;
      }
      const got = r.value;
      for (let k = 0; k < got.length; k++) if (got[k] !== first[k]) return check(got);
    }
  }

  // ---- mapped files ----

  private async mapfile(fi: number, writable: boolean, what: string): Promise<void> {
    const f = this.files[fi % this.files.length]!;
    this.operations++;
    const ctx: Ctx = {
      what: `${what} ${f.path}${writable ? ' writable' : ''}`,
      faulting: true,
      // A file truncated to nothing cannot be mapped without a size.
      expect: (x) => f.truncated && x instanceof InvalidArgumentError,
    };
    let h: MappedFile;
    try {
      h = await mapFile(this.vm, f.path, { writable });
    } catch (err) {
      return this.judge(err, ctx);
    }
    const disk = this.diskSize(f);
    if (h.size !== f.size && !(f.truncated && h.size <= f.size)) {
      throw new Divergence('wrong-size', `${ctx.what}: the mapping has ${h.size} bytes, the file ${f.size}${disk !== f.size ? ` (${disk} now)` : ''}`);
    }
    const m: MapEnt = { file: f, h, writable, closed: false };
    this.maps.push(m);
    this.register(f.path, undefined, h.object);
    if (!this.batch) this.checkOneObjectPerFile(ctx.what);
  }

  /** Every open mapping of a file shares one memory object (issue #1). */
  private checkOneObjectPerFile(what: string): void {
    for (const f of this.files) {
      const objects = new Set<MemoryObject>();
      for (const m of this.maps) if (m.file === f && !m.closed && !m.h.isClosed) objects.add(m.h.object);
      if (objects.size > 1) throw new Divergence('split-object', `${what}: ${objects.size} memory objects for ${f.path}, whose mappings must share one`);
    }
  }

  private async closeMap(i: number, what: string): Promise<void> {
    const m = pickOf(this.maps, i);
    if (!m) return;
    this.operations++;
    const wasClosed = m.closed;
    m.closed = true;
    const ctx: Ctx = { what: `${what} a mapping of ${m.file.path}`, map: m, faulting: true };
    try {
      await m.h.close();
    } catch (err) {
      m.file.kept = true;
      return this.judge(err, { ...ctx, faulting: !wasClosed });
    }
    // close writes the dirty pages back (every page of the file's object).
    if (!this.batch && !wasClosed && m.writable) this.checkDisk(m.file, ctx.what);
  }

  private async mapData(op: Extract<Op, { on: string }>, m: MapEnt, off: number, len: number, what: string): Promise<void> {
    const f = m.file;
    const ctx: Ctx = {
      what: `${what} mapping of ${f.path}${m.writable ? '' : ' (read-only)'} at ${off}+${len}`,
      map: m,
      faulting: true,
      expect: (x) => x.name === 'ReadOnlyMappingError' && !m.writable,
    };
    const closed = m.closed && !this.batch;
    const isWrite = op.k === 'write' || op.k === 'writeSync' || op.k === 'set';
    if (op.k === 'get' || op.k === 'set') len = Math.min(op.size, m.h.size - off);
    const data = isWrite ? (op.k === 'set' ? valueBytes(op.value, 8).subarray(0, len) : pattern(len, (op as { seed: number }).seed)) : undefined;
    if (op.k === 'read' || op.k === 'get') {
      const before = this.truncationProbe(m, off, len);
      let got: Uint8Array;
      try {
        got = await m.h.read(off, len);
      } catch (err) {
        return this.judge(err, ctx);
      }
      if (closed) throw new Divergence('missing-error', `${ctx.what}: read of a closed mapping succeeded`);
      return this.checkMapRead(m, off, got, ctx.what, before);
    }
    if (op.k === 'readSync') {
      let got: Uint8Array;
      try {
        got = m.h.readSync(off, len);
      } catch (err) {
        if (err instanceof NotResidentError && !closed) return;
        return this.judge(err, { ...ctx, faulting: false });
      }
      if (closed) throw new Divergence('missing-error', `${ctx.what}: readSync of a closed mapping succeeded`);
      return this.checkMapRead(m, off, got, ctx.what, undefined);
    }
    if (op.k === 'writeSync') {
      try {
        m.h.writeSync(off, data!);
      } catch (err) {
        if (err instanceof NotResidentError && !closed && m.writable) return;
        return this.judge(err, { ...ctx, faulting: false });
      }
    } else {
      const buf = op.k === 'write' && op.detach ? data!.slice() : data!;
      let done: Promise<void>;
      try {
        done = m.h.write(off, buf);
      } catch (err) {
        throw new Divergence('sync-throw', `${ctx.what}: write threw synchronously instead of rejecting: ${String(err)}`);
      }
      if (buf !== data) detach(buf);
      try {
        await done;
      } catch (err) {
        this.judge(err, { ...ctx, expect: (x) => ctx.expect!(x) || (buf !== data && !(x instanceof DestroyedError)) });
        if (m.writable) f.store.failed(off, data!);
        return;
      }
    }
    if (closed) throw new Divergence('missing-error', `${ctx.what}: write to a closed mapping succeeded`);
    if (!m.writable) throw new Divergence('missing-error', `${ctx.what}: write through a read-only mapping succeeded`);
    f.store.wrote(off, data!);
    this.readYourWrite(() => m.h.readSync(off, len), f.store, off, ctx.what);
  }

  /** Right after a write resolves, before anything else runs, the bytes read back (when still resident). */
  private readYourWrite(read: () => Uint8Array, store: ByteStore, off: number, what: string): void {
    if (this.batch) return;
    let back: Uint8Array;
    try {
      back = read();
    } catch (err) {
      if (err instanceof NotResidentError) return;
      throw new Divergence(`unexpected-error:${errName(err)}`, `${what}: reading back what was just written threw ${describeErr(err)}`);
    }
    this.checkBytes(store, off, back, `${what}, read back at once`);
  }

  /**
   * Before a read of a truncated file: which pages of the range are absent and lie past the file's end now.
   * A fault of such a page must fail (issue #13: stale read-ahead), unless a page-out grows the file again.
   */
  private truncationProbe(m: MapEnt, off: number, len: number): number[] | undefined {
    if (!m.file.truncated || this.batch || m.closed || len === 0) return undefined;
    const ps = this.ps;
    const disk = this.diskSize(m.file);
    const out: number[] = [];
    let obj: MemoryObject;
    try {
      obj = m.h.object;
    } catch {
      return undefined;
    }
    for (let p = Math.floor(off / ps); p <= Math.floor((off + len - 1) / ps); p++) {
      if (disk >= Math.min((p + 1) * ps, m.h.size)) continue;
      if (!obj.isDestroyed && !obj.isResident(p * ps, 1)) out.push(p);
    }
    return out;
  }

  private checkMapRead(m: MapEnt, off: number, got: Uint8Array, what: string, absentPastEnd: number[] | undefined): void {
    if (absentPastEnd && absentPastEnd.length > 0) {
      const ps = this.ps;
      const disk = this.diskSize(m.file);
      const stale = absentPastEnd.filter((p) => disk < Math.min((p + 1) * ps, m.h.size));
      if (stale.length > 0) {
        throw new Divergence(
          'stale-read',
          `${what}: page ${stale[0]} was not resident and lies past the end of ${m.file.path} (truncated to ${disk} bytes), yet the read succeeded instead of failing with MappedFileTruncatedError`,
        );
      }
    }
    this.checkBytes(m.file.store, off, got, what);
  }

  private async truncate(keep: number): Promise<void> {
    const f = this.files[2]!;
    const disk = this.diskSize(f);
    const size = Math.floor((f.size * keep) / 1000);
    if (size >= disk) return;
    this.operations++;
    try {
      const h = await this.dataFs.open(f.path, { writable: true });
      try {
        await h.truncate(size);
      } finally {
        await h.close();
      }
    } catch {
      return; // an injected fault hit the harness's own call: the file is as it was
    }
    f.store.truncated(size);
    f.truncated = true;
    this.count('file:truncated-under-mapping');
  }

  // ---- address spaces ----

  private async map(op: Extract<Op, { k: 'map' }>, what: string): Promise<void> {
    const sp = pickOf(this.spaces, op.s);
    if (!sp) return;
    this.operations++;
    const ps = this.ps;
    const length = op.pages * ps;
    let options: Record<string, unknown>;
    let obj: ObjEnt | undefined;
    let file: FileEnt | undefined;
    if (op.src === 'anon') options = { anonymous: true };
    else if (op.src === 'file') {
      file = this.files[op.i % 2]!;
      options = { file: file.path, offset: op.offset * ps };
    } else {
      obj = pickOf(this.objs, op.i);
      if (!obj) return;
      options = { object: obj.obj, offset: op.offset * ps };
    }
    const m = sp.model;
    const objDead = obj?.dead ?? false;
    const noreplace = op.fixed && op.noreplace;
    const inUse = noreplace && !isFree(m, op.page, op.pages);
    let expected: number | undefined;
    if (!this.batch) {
      if (op.fixed) expected = op.page;
      else if (op.hint && isFree(m, op.page, op.pages)) expected = op.page;
      else for (expected = 1; !isFree(m, expected, op.pages); expected++);
    }
    const synced = op.fixed && !noreplace ? writableFiles(m, op.page, op.pages) : new Set<FileEnt>();
    const ctx: Ctx = {
      what: `${what} ${op.src}${file ? ` ${file.path}` : obj ? ` ${obj.name}` : ''} ${op.share} prot ${op.prot} pages ${op.pages} in ${sp.as.name}`,
      space: sp,
      faulting: true,
      expect: (x) =>
        (x instanceof DestroyedError && ((obj !== undefined && (obj.dead || this.doomed(obj))) || sp.dead || this.doomed(sp))) ||
        (x instanceof AccessDeniedError && file !== undefined && this.refusable(file)) ||
        (x instanceof AddressInUseError && inUse),
    };
    let at: number;
    try {
      at = await sp.as.map({
        ...options,
        length,
        prot: op.prot,
        share: op.share,
        ...(op.fixed || op.hint ? { address: op.page * ps } : {}),
        ...(op.fixed ? { fixed: noreplace ? ('noreplace' as const) : true } : {}),
        ...(op.populate ? { populate: true } : {}),
      });
    } catch (err) {
      this.judge(err, ctx);
      // A fixed map whose write-back of the mappings it replaced failed still maps: look at what is there.
      if (!op.fixed || noreplace || sp.dead) return;
      const now = sp.as.mappings().find((x) => x.address === op.page * ps);
      if (!now || now.length !== length || now.share !== op.share || now.kind !== (op.src === 'anon' ? 'anonymous' : op.src)) return;
      at = op.page * ps;
      synced.clear(); // their write-back is what failed
    }
    if (sp.dead && !this.batch) throw new Divergence('missing-error', `${ctx.what}: map in a destroyed space succeeded`);
    if (objDead && !this.batch) throw new Divergence('missing-error', `${ctx.what}: map of a destroyed object succeeded`);
    if (inUse && !this.batch) throw new Divergence('missing-error', `${ctx.what}: fixed: 'noreplace' over a mapping succeeded (expected AddressInUseError)`);
    if (op.fixed && !noreplace) for (let p = op.page; p < op.page + op.pages; p++) dropLock(sp, p);
    const first = at / ps;
    if (expected !== undefined && first !== expected) throw new Divergence('wrong-address', `${ctx.what}: mapped at page ${first}, expected page ${expected}`);
    if (expected === undefined && !isFree(m, first, op.pages))
      throw new Divergence('wrong-address', `${ctx.what}: mapped at page ${first} over an existing mapping`);
    const shared = op.src === 'anon' && op.share === 'shared' ? new ByteStore(`${sp.as.name}:shared-anon@${first}`, length, ps, undefined, 'none') : undefined;
    for (let k = 0; k < op.pages; k++) {
      const p = first + k;
      if (op.src === 'anon' && op.share === 'private')
        m.set(p, { kind: 'anon', prot: op.prot, data: new ByteStore(`${sp.as.name}:anon@${p}`, ps, ps, undefined, 'none'), tainted: false });
      else if (shared) m.set(p, { kind: 'shared', prot: op.prot, store: shared, page: k, writable: true, limit: op.pages, owner: undefined, tainted: false });
      else {
        const store = file ? file.store : obj!.store;
        const limit = file ? Math.ceil(file.size / ps) : obj!.obj.pageCount;
        const owner: Owner = file ? { file } : { obj: obj! };
        // A shared file mapping asks for write access; it is refused only when the open is (an injected EACCES).
        const writable = obj !== undefined || (op.prot & PROT.WRITE) !== 0 || !this.refusable(file!) ? true : undefined;
        if (op.share === 'shared') m.set(p, { kind: 'shared', prot: op.prot, store, page: op.offset + k, writable, limit, owner, tainted: false });
        else m.set(p, { kind: 'private', prot: op.prot, store, page: op.offset + k, copy: undefined, limit, owner, tainted: false });
      }
    }
    if (!this.batch) for (const f of synced) this.checkDisk(f, `${ctx.what} (fixed, replacing a shared mapping)`);
  }

  private async unmap(op: Extract<Op, { k: 'unmap' }>, what: string): Promise<void> {
    const sp = pickOf(this.spaces, op.s);
    if (!sp) return;
    this.operations++;
    const first = Math.floor(this.addressOf(sp, op.at) / this.ps);
    const synced = writableFiles(sp.model, first, op.pages);
    const dead = sp.dead;
    for (let p = first; p < first + op.pages; p++) {
      sp.model.delete(p);
      dropLock(sp, p);
    }
    const ctx: Ctx = { what: `${what} pages ${first}..${first + op.pages - 1} of ${sp.as.name}`, space: sp, faulting: true };
    try {
      await sp.as.unmap(first * this.ps, op.pages * this.ps);
    } catch (err) {
      return this.judge(err, ctx);
    }
    if (dead && !this.batch) throw new Divergence('missing-error', `${ctx.what}: unmap in a destroyed space succeeded`);
    if (!this.batch) for (const f of synced) this.checkDisk(f, ctx.what);
  }

  private protect(op: Extract<Op, { k: 'protect' }>, what: string): void {
    const sp = pickOf(this.spaces, op.s);
    if (!sp) return;
    this.operations++;
    const first = Math.floor(this.addressOf(sp, op.at) / this.ps);
    let unmapped = false;
    let denied = false;
    for (let p = first; p < first + op.pages; p++) {
      const e = sp.model.get(p);
      if (!e) unmapped = true;
      else if (op.prot & PROT.WRITE && e.kind === 'shared' && e.writable !== true) denied = true;
    }
    let maybe = false;
    for (let p = first; p < first + op.pages; p++) {
      const e = sp.model.get(p);
      if (op.prot & PROT.WRITE && e?.kind === 'shared' && e.writable === undefined) maybe = true;
    }
    const ctx: Ctx = { what: `${what} pages ${first}..${first + op.pages - 1} of ${sp.as.name} to ${op.prot}`, space: sp };
    try {
      sp.as.protect(first * this.ps, op.pages * this.ps, op.prot);
    } catch (err) {
      if (!sp.dead && unmapped && err instanceof UnmappedRangeError) return;
      if (!sp.dead && !unmapped && denied && err instanceof AccessDeniedError) {
        // Refused: the mappings whose write access was unknown are read-only.
        for (let p = first; p < first + op.pages; p++) {
          const e = sp.model.get(p)!;
          if (e.kind === 'shared' && e.writable === undefined && maybe) e.writable = false;
        }
        return;
      }
      return this.judge(err, ctx);
    }
    if (sp.dead) throw new Divergence('missing-error', `${ctx.what}: protect in a destroyed space succeeded`);
    if (unmapped) throw new Divergence('missing-error', `${ctx.what}: protect of a range with unmapped pages succeeded (expected UnmappedRangeError)`);
    if (denied && !maybe)
      throw new Divergence('missing-error', `${ctx.what}: write rights on a read-only shared file mapping were granted (expected AccessDeniedError)`);
    for (let p = first; p < first + op.pages; p++) {
      const e = sp.model.get(p)!;
      e.prot = op.prot;
      if (op.prot & PROT.WRITE && e.kind === 'shared') e.writable = true;
    }
  }

  private async sync(op: Extract<Op, { k: 'sync' }>, what: string): Promise<void> {
    const sp = pickOf(this.spaces, op.s);
    if (!sp) return;
    this.operations++;
    const first = Math.floor(this.addressOf(sp, op.at) / this.ps);
    let unmapped = false;
    for (let p = first; p < first + op.pages; p++) if (!sp.model.has(p)) unmapped = true;
    const dead = sp.dead;
    // invalidate, as on Linux, keeps private copies: the model does not change.
    const ctx: Ctx = {
      what: `${what} pages ${first}..${first + op.pages - 1} of ${sp.as.name}${op.invalidate ? ' invalidate' : ''}${op.async ? ' async' : ''}`,
      space: sp,
      faulting: true,
      expect: (x) => x instanceof UnmappedRangeError && (unmapped || this.doomed(sp)),
    };
    try {
      await sp.as.sync(first * this.ps, op.pages * this.ps, { invalidate: op.invalidate, async: op.async });
    } catch (err) {
      return this.judge(err, ctx);
    }
    if (this.batch) return;
    if (dead) throw new Divergence('missing-error', `${ctx.what}: sync in a destroyed space succeeded`);
    if (unmapped) throw new Divergence('missing-error', `${ctx.what}: sync of a range with unmapped pages succeeded (expected UnmappedRangeError)`);
    if (!op.async) for (const f of writableFiles(sp.model, first, op.pages, true)) this.checkDisk(f, ctx.what);
  }

  private fork(s: number, what: string): void {
    const sp = pickOf(this.spaces, s);
    if (!sp) return;
    if (this.spaces.filter((x) => !x.dead).length >= MAX_SPACES) return;
    this.operations++;
    let child: AddressSpace;
    try {
      child = sp.as.fork();
    } catch (err) {
      return this.judge(err, { what: `${what} of ${sp.as.name}`, space: sp });
    }
    if (sp.dead) throw new Divergence('missing-error', `${what}: fork of a destroyed space succeeded`);
    this.spaces.push({ as: child, model: forkModel(sp.model, child.name), dead: false, locks: new Set(), maybeLocks: new Set() });
  }

  private async asdestroy(s: number, what: string): Promise<void> {
    const sp = pickOf(this.spaces, s);
    if (!sp) return;
    this.operations++;
    const synced = sp.dead ? new Set<FileEnt>() : writableFiles(sp.model, 0, Math.max(0, ...sp.model.keys()) + 1);
    const wasDead = sp.dead;
    sp.dead = true;
    sp.locks.clear();
    sp.maybeLocks.clear();
    try {
      await sp.as.destroy();
    } catch (err) {
      return this.judge(err, { what: `${what} ${sp.as.name}`, space: sp, faulting: !wasDead });
    }
    if (!this.batch) for (const f of synced) this.checkDisk(f, `${what} ${sp.as.name}`);
  }

  private async spaceData(op: Extract<Op, { on: string }>, sp: SpaceEnt, a: number, what: string): Promise<void> {
    const m = sp.model;
    const as = sp.as;
    const lenient = this.doomed(sp);
    const dead = sp.dead && !lenient;
    const len = op.k === 'get' || op.k === 'set' ? op.size : (op as { len: number }).len;
    const access = op.k === 'write' || op.k === 'writeSync' || op.k === 'set' ? 'write' : 'read';
    const fault = dead ? undefined : faultOf(m, a, len, access, this.ps);
    const ctx: Ctx = { what: `${what} ${as.name} at 0x${a.toString(16)}+${len}`, space: sp, faulting: true };
    const data = op.k === 'write' || op.k === 'writeSync' ? pattern(len, op.seed) : op.k === 'set' ? valueBytes(op.value, op.size) : undefined;
    // The pages the access goes to, as mapped when it starts (an unmap in the same batch may drop them first).
    const targets = this.targetsOf(m, a, len);
    /** Errors: the expected fault, anything lenient in a batch that unmaps, or a judged error. */
    const failed = (err: unknown, sync: boolean): void => {
      if (err instanceof Divergence) throw err;
      if (lenient && (err instanceof MemoryFault || err instanceof DestroyedError)) {
        if (data) this.failModel(targets, data);
        return;
      }
      if (fault && err instanceof MemoryFault) {
        if (!(err instanceof fault.kind) || err.address !== fault.address) {
          throw new Divergence(
            'wrong-fault',
            `${ctx.what}: ${err.name} at 0x${err.address.toString(16)}, expected ${fault.kind.name} at 0x${fault.address.toString(16)}`,
          );
        }
        return;
      }
      if (!dead && sync && err instanceof NotResidentError && !(err instanceof MemoryFault)) return; // nothing read or written
      if (dead && err instanceof DestroyedError) return;
      this.judge(err, {
        ...ctx,
        faulting: !sync,
        expect: (x) => op.k === 'write' && op.detach && !(x instanceof DestroyedError) && !(x instanceof MemoryFault),
      });
      if (data && access === 'write') this.failModel(targets, data);
    };
    const succeeded = (): void => {
      if (dead) throw new Divergence('missing-error', `${ctx.what}: ${op.k} in a destroyed space succeeded`);
      if (fault && !lenient)
        throw new Divergence('missing-fault', `${ctx.what}: ${op.k} succeeded where ${fault.kind.name} at 0x${fault.address.toString(16)} was expected`);
    };
    switch (op.k) {
      case 'read': {
        let got: Uint8Array;
        try {
          got = await as.read(a, len);
        } catch (err) {
          return failed(err, false);
        }
        succeeded();
        return this.checkSpace(sp, a, got, ctx.what);
      }
      case 'readSync': {
        let got: Uint8Array;
        try {
          got = as.readSync(a, len);
        } catch (err) {
          return failed(err, true);
        }
        succeeded();
        return this.checkSpace(sp, a, got, ctx.what);
      }
      case 'write': {
        const thrown = await writeMaybeDetached(data!, op.detach, ctx.what, (buf) => as.write(a, buf));
        if (thrown !== undefined) return failed(thrown.error, false);
        succeeded();
        this.writeModel(targets, data!, as.name);
        this.spaceReadBack(sp, a, len, ctx.what);
        return;
      }
      case 'writeSync': {
        try {
          as.writeSync(a, data!);
        } catch (err) {
          return failed(err, true);
        }
        succeeded();
        this.writeModel(targets, data!, as.name);
        this.spaceReadBack(sp, a, len, ctx.what);
        return;
      }
      case 'get':
      case 'set': {
        // trap until every page is ready, then the synchronous accessor must work at once.
        try {
          let rounds = 0;
          for (let p; (p = as.trap(a, access, len)); rounds++) {
            if (rounds >= 30) return; // pages evicted under one another (few frames): give up quietly
            await p;
          }
        } catch (err) {
          return failed(err, false);
        }
        if (dead) throw new Divergence('missing-error', `${ctx.what}: trap in a destroyed space succeeded`);
        if (fault && !lenient) throw new Divergence('missing-fault', `${ctx.what}: trap succeeded where ${fault.kind.name} was expected`);
        try {
          if (op.k === 'get') {
            const seen = new Uint8Array(len);
            if (len === 8) {
              const v = as.getBigUint64(a);
              for (let i = 0; i < 8; i++) seen[i] = Number((v >> BigInt(8 * i)) & 0xffn);
            } else {
              let v = len === 1 ? as.getUint8(a) : len === 2 ? as.getUint16(a) : as.getUint32(a);
              for (let i = 0; i < len; i++, v = Math.floor(v / 256)) seen[i] = v & 0xff;
            }
            return this.checkSpace(sp, a, seen, ctx.what);
          }
          if (len === 8) as.setBigUint64(a, bigOf(data!));
          else if (len === 1) as.setUint8(a, data![0]!);
          else if (len === 2) as.setUint16(a, numOf(data!.subarray(0, 2)));
          else as.setUint32(a, numOf(data!.subarray(0, 4)));
        } catch (err) {
          if (err instanceof Divergence) throw err;
          if (lenient) return failed(err, true);
          throw new Divergence('not-ready', `${ctx.what}: trap answered that the pages are ready, then the accessor threw ${describeErr(err)}`);
        }
        this.writeModel(targets, data!.subarray(0, len), as.name);
        return;
      }
    }
  }

  /** Right after a write to a space, before anything else runs, readSync must show it (when resident and readable). */
  private spaceReadBack(sp: SpaceEnt, a: number, len: number, what: string): void {
    if (this.batch || len === 0 || faultOf(sp.model, a, len, 'read', this.ps)) return;
    let back: Uint8Array;
    try {
      back = sp.as.readSync(a, len);
    } catch (err) {
      if (err instanceof NotResidentError && !(err instanceof DestroyedError)) return;
      return this.judge(err, { what: `${what}, read back at once`, space: sp });
    }
    this.checkSpace(sp, a, back, `${what}, read back at once`);
  }

  private checkSpace(sp: SpaceEnt, a: number, got: Uint8Array, what: string): void {
    const ps = this.ps;
    for (let pos = a; pos < a + got.length;) {
      const p = Math.floor(pos / ps);
      const w = pos - p * ps;
      const n = Math.min(ps - w, a + got.length - pos);
      const e = sp.model.get(p);
      const seen = got.subarray(pos - a, pos - a + n);
      pos += n;
      if (!e || e.tainted) continue;
      let problem: string | undefined;
      if (e.kind === 'anon') problem = e.data.check(w, seen);
      else if (e.kind === 'private' && e.copy) problem = e.copy.check(w, seen);
      else {
        const at = e.page * ps + w;
        if (e.kind === 'private' && at + n > e.store.size) {
          // Past the end of the file or object through a private mapping not yet copied: zeros, or the shared tail.
          for (let k = 0; k < n && !problem; k++) {
            if (at + k < e.store.size) problem = e.store.check(at + k, seen.subarray(k, k + 1));
            else if (seen[k] !== 0 && at + k < e.store.extent && !e.store.matches(at + k, seen.subarray(k, k + 1)))
              problem = `byte ${at + k} of ${e.store.label} (past its end): read 0x${seen[k]!.toString(16)}`;
          }
        } else problem = e.store.check(at, seen);
      }
      if (problem) throw new Divergence('wrong-bytes', `${what}: page ${p} (${e.kind}): ${problem}${this.whose(seen)}`);
    }
  }

  /** The model pages an access of `length` bytes at `address` goes to: entry, page, offset in the page, offset in the data, length. */
  private targetsOf(m: MSpace, address: number, length: number): Array<{ e: MPage; p: number; w: number; at: number; n: number }> {
    const ps = this.ps;
    const out: Array<{ e: MPage; p: number; w: number; at: number; n: number }> = [];
    for (let pos = address; pos < address + length;) {
      const p = Math.floor(pos / ps);
      const w = pos - p * ps;
      const n = Math.min(ps - w, address + length - pos);
      const e = m.get(p);
      if (e) out.push({ e, p, w, at: pos - address, n });
      pos += n;
    }
    return out;
  }

  private writeModel(targets: ReturnType<World['targetsOf']>, bytes: Uint8Array, label: string): void {
    for (const { e, p, w, at, n } of targets) {
      const seg = bytes.subarray(at, at + n);
      if (e.kind === 'anon') e.data.wrote(w, seg);
      else if (e.kind === 'shared') e.store.wrote(e.page * this.ps + w, seg, this.batch !== undefined);
      else (e.copy ??= ByteStore.copyOf(`${label}:copy@${p}`, e.store, e.page)).wrote(w, seg);
    }
  }

  private failModel(targets: ReturnType<World['targetsOf']>, bytes: Uint8Array): void {
    for (const { e, w, at, n } of targets) {
      const seg = bytes.subarray(at, at + n);
      if (e.kind === 'anon') e.data.failed(w, seg);
      else if (e.kind === 'shared') e.store.failed(e.page * this.ps + w, seg);
      else e.tainted = true;
    }
  }

  /** The address a spot names in a space: mostly inside a mapped page. */
  private addressOf(sp: SpaceEnt, spot: Spot): number {
    if (spot.raw || sp.model.size === 0) return spot.addr;
    const mapped = [...sp.model.keys()].sort((x, y) => x - y);
    return mapped[spot.pick % mapped.length]! * this.ps + (spot.within % this.ps);
  }

  // ---- madvise, mlock, mincore, mremap ----

  /** The pages `first .. first + count - 1` of a space that are not mapped in the model. */
  private unmappedIn(sp: SpaceEnt, first: number, count: number): boolean {
    for (let p = first; p < first + count; p++) if (!sp.model.has(p)) return true;
    return false;
  }

  private async advise(op: Extract<Op, { k: 'advise' }>, what: string): Promise<void> {
    const sp = pickOf(this.spaces, op.s);
    if (!sp) return;
    this.operations++;
    const first = Math.floor(this.addressOf(sp, op.at) / this.ps);
    const unmapped = this.unmappedIn(sp, first, op.pages);
    let locked = false;
    let maybe = false;
    for (let p = first; p < first + op.pages; p++) {
      if (sp.locks.has(p)) locked = true;
      if (sp.maybeLocks.has(p)) maybe = true;
    }
    const ctx: Ctx = {
      what: `${what} ${op.advice} pages ${first}..${first + op.pages - 1} of ${sp.as.name}`,
      space: sp,
      faulting: true,
      expect: (x) => (x instanceof UnmappedRangeError && unmapped) || (x instanceof InvalidArgumentError && (locked || maybe) && op.advice === 'dontneed'),
    };
    try {
      await sp.as.advise(first * this.ps, op.pages * this.ps, op.advice);
    } catch (err) {
      return this.judge(err, ctx);
    }
    if (this.batch) return;
    if (sp.dead) throw new Divergence('missing-error', `${ctx.what}: advise in a destroyed space succeeded`);
    if (unmapped) throw new Divergence('missing-error', `${ctx.what}: advise over unmapped pages succeeded (expected UnmappedRangeError)`);
    if (locked && op.advice === 'dontneed')
      throw new Divergence('missing-error', `${ctx.what}: dontneed over locked pages succeeded (expected InvalidArgumentError)`);
    if (op.advice !== 'dontneed') return;
    // dontneed drops private pages: a private mapping reads its file or object again, anonymous memory zeros.
    for (let p = first; p < first + op.pages; p++) {
      const e = sp.model.get(p)!;
      if (e.kind === 'private') {
        e.copy = undefined;
        e.tainted = false;
      } else if (e.kind === 'anon') {
        e.data = new ByteStore(`${sp.as.name}:anon@${p}`, this.ps, this.ps, undefined, 'none');
        e.tainted = false;
      }
    }
  }

  private lockedPages(): number {
    let n = 0;
    for (const sp of this.spaces) if (!sp.dead) n += sp.locks.size + sp.maybeLocks.size;
    return n;
  }

  private userPinnedPages(): number {
    let n = 0;
    for (const e of this.objs) if (!e.dead && !e.obj.isDestroyed) n += e.pins.size;
    return n;
  }

  private async lock(op: Extract<Op, { k: 'lock' }>, what: string): Promise<void> {
    const sp = pickOf(this.spaces, op.s);
    if (!sp) return;
    const first = Math.floor(this.addressOf(sp, op.at) / this.ps);
    // Leave frames for everyone else: never lock more than the pool can spare.
    let fresh = 0;
    for (let p = first; p < first + op.pages; p++) if (!sp.locks.has(p) && !sp.maybeLocks.has(p)) fresh++;
    if (this.userPinnedPages() + this.lockedPages() + fresh > this.config.frames - 2) return;
    this.operations++;
    const unmapped = this.unmappedIn(sp, first, op.pages);
    const ctx: Ctx = {
      what: `${what} pages ${first}..${first + op.pages - 1} of ${sp.as.name}`,
      space: sp,
      faulting: true,
      expect: (x) => x instanceof UnmappedRangeError && unmapped,
    };
    // Locking copies a writable private page first (as Linux's mlock does).
    const copyPages = (apply: boolean): void => {
      for (let p = first; p < first + op.pages; p++) {
        const e = sp.model.get(p);
        if (e?.kind !== 'private' || !(e.prot & PROT.WRITE) || e.copy || e.page >= e.limit) continue;
        if (apply) e.copy = ByteStore.copyOf(`${sp.as.name}:copy@${p}`, e.store, e.page);
        else e.tainted = true;
      }
    };
    try {
      await sp.as.lock(first * this.ps, op.pages * this.ps);
    } catch (err) {
      this.judge(err, ctx);
      if (!unmapped && !sp.dead) copyPages(false); // some pages may have been copied before it failed
      return;
    }
    if (this.batch) return;
    if (sp.dead) throw new Divergence('missing-error', `${ctx.what}: lock in a destroyed space succeeded`);
    if (unmapped) throw new Divergence('missing-error', `${ctx.what}: lock over unmapped pages succeeded (expected UnmappedRangeError)`);
    copyPages(true);
    for (let p = first; p < first + op.pages; p++) {
      const e = sp.model.get(p)!;
      // Past the end of the object there is nothing to lock; the zero page needs no lock.
      if (e.kind !== 'anon' && e.page >= e.limit && !(e.kind === 'private' && e.copy)) continue;
      if (sp.locks.has(p) || sp.maybeLocks.has(p)) continue;
      if ((e.kind === 'anon' && !(e.prot & PROT.WRITE)) || (e.kind === 'shared' && e.owner === undefined)) sp.maybeLocks.add(p);
      else sp.locks.add(p);
    }
  }

  private unlock(op: Extract<Op, { k: 'unlock' }>, what: string): void {
    const sp = pickOf(this.spaces, op.s);
    if (!sp) return;
    this.operations++;
    const first = sp.locks.size > 0 && op.at.pick % 2 === 0 ? [...sp.locks][op.at.pick % sp.locks.size]! : Math.floor(this.addressOf(sp, op.at) / this.ps);
    const unmapped = this.unmappedIn(sp, first, op.pages);
    const ctx: Ctx = {
      what: `${what} pages ${first}..${first + op.pages - 1} of ${sp.as.name}`,
      space: sp,
      expect: (x) => x instanceof UnmappedRangeError && unmapped,
    };
    try {
      sp.as.unlock(first * this.ps, op.pages * this.ps);
    } catch (err) {
      return this.judge(err, ctx);
    }
    if (sp.dead) throw new Divergence('missing-error', `${ctx.what}: unlock in a destroyed space succeeded`);
    if (unmapped) throw new Divergence('missing-error', `${ctx.what}: unlock over unmapped pages succeeded (expected UnmappedRangeError)`);
    for (let p = first; p < first + op.pages; p++) dropLock(sp, p);
  }

  private residency(op: Extract<Op, { k: 'residency' }>, what: string): void {
    const sp = pickOf(this.spaces, op.s);
    if (!sp) return;
    this.operations++;
    const first = Math.floor(this.addressOf(sp, op.at) / this.ps);
    const unmapped = this.unmappedIn(sp, first, op.pages);
    const ctx: Ctx = {
      what: `${what} pages ${first}..${first + op.pages - 1} of ${sp.as.name}`,
      space: sp,
      expect: (x) => x instanceof UnmappedRangeError && unmapped,
    };
    let got: Uint8Array;
    try {
      got = sp.as.residency(first * this.ps, op.pages * this.ps);
    } catch (err) {
      return this.judge(err, ctx);
    }
    if (sp.dead || unmapped)
      throw new Divergence('missing-error', `${ctx.what}: residency succeeded${sp.dead ? ' in a destroyed space' : ' over unmapped pages'}`);
    if (got.length !== op.pages || got.some((b) => b > 1)) throw new Divergence('wrong-answer', `${ctx.what}: residency answered [${[...got].join(', ')}]`);
    // A locked page is resident.
    for (let p = first; p < first + op.pages; p++) {
      const e = sp.model.get(p)!;
      if (sp.locks.has(p) && !this.batch && got[p - first] !== 1 && !(e.kind === 'anon' && !(e.prot & PROT.WRITE))) {
        throw new Divergence('wrong-answer', `${ctx.what}: page ${p} is locked, yet residency says it is not resident`);
      }
    }
  }

  private async remap(op: Extract<Op, { k: 'remap' }>, what: string): Promise<void> {
    const sp = pickOf(this.spaces, op.s);
    if (!sp || sp.dead) return;
    const ps = this.ps;
    const m = sp.model;
    const first = Math.floor(this.addressOf(sp, op.at) / ps);
    const start = first * ps;
    const end = start + op.pages * ps;
    const length = op.newPages * ps;
    const info = sp.as.mappings().find((x) => x.address <= start && start < x.address + x.length);
    // Growing shared anonymous memory is refused once written; the model does not follow its object: skip.
    if (info && info.kind === 'anonymous' && info.share === 'shared') return;
    this.operations++;
    const target = op.move && op.to > 0 ? op.to * ps : undefined;
    const unmapped = this.unmappedIn(sp, first, op.pages);
    const ctx: Ctx = {
      what: `${what} pages ${first}..${first + op.pages - 1} of ${sp.as.name} to ${op.newPages} pages${op.move ? ' move' : ''}${target ? ` to page ${op.to}` : ''}`,
      space: sp,
      faulting: true,
    };
    // What spinvm must answer, in the order it checks.
    let expected: 'EINVAL' | 'ENOMEM-unmapped' | 'EFAULT' | 'RemapError' | number;
    if (target !== undefined && target < end && start < target + length) expected = 'EINVAL';
    else if (unmapped) expected = 'ENOMEM-unmapped';
    else if (!info || info.address + info.length < end) expected = 'EFAULT';
    else if (target === undefined && length <= end - start) expected = start;
    else if (target === undefined && info.address + info.length === end && isFree(m, end / ps, op.newPages - op.pages)) expected = start;
    else if (!op.move) expected = 'RemapError';
    else if (target !== undefined) expected = target;
    else {
      let p = 1;
      while (!isFree(m, p, op.newPages)) p++;
      expected = p * ps;
    }
    const synced = new Set<FileEnt>();
    let at: number;
    try {
      at = await sp.as.remap(start, end - start, length, { move: op.move, ...(target !== undefined ? { address: target } : {}) });
    } catch (err) {
      if (expected === 'EINVAL' && err instanceof InvalidArgumentError) return;
      if (expected === 'ENOMEM-unmapped' && err instanceof UnmappedRangeError) return;
      if (expected === 'EFAULT' && err instanceof InvalidArgumentError) return;
      if (expected === 'RemapError' && err instanceof RemapError) return;
      if (typeof expected === 'number' && !(err instanceof InvalidArgumentError || err instanceof RemapError || err instanceof UnmappedRangeError)) {
        // The remap happened; a write-back of what it unmapped or replaced failed.
        this.judge(err, ctx);
        at = expected;
      } else {
        throw new Divergence(
          `unexpected-error:${errName(err)}`,
          `${ctx.what}: ${describeErr(err)}, expected ${typeof expected === 'number' ? `the mapping at page ${expected / ps}` : expected}`,
        );
      }
    }
    if (typeof expected !== 'number') throw new Divergence('missing-error', `${ctx.what}: remap succeeded (at page ${at / ps}), expected ${expected}`);
    if (at !== expected) throw new Divergence('wrong-address', `${ctx.what}: remapped to page ${at / ps}, expected page ${expected / ps}`);
    // The model follows: shrink, grow in place, or move (with the grown tail).
    const oldPages = op.pages;
    const newPages = op.newPages;
    const dest = at / ps;
    const moved = new Map<number, MPage>();
    for (let k = 0; k < oldPages; k++) moved.set(k, m.get(first + k)!);
    const movedLocks = [...sp.locks].filter((p) => p >= first && p < first + oldPages);
    const movedMaybe = [...sp.maybeLocks].filter((p) => p >= first && p < first + oldPages);
    if (dest !== first) {
      for (let k = 0; k < oldPages; k++) m.delete(first + k);
      for (const p of [...movedLocks, ...movedMaybe]) dropLock(sp, p);
      if (target !== undefined) {
        for (const f of writableFiles(m, dest, newPages)) synced.add(f);
        for (let p = dest; p < dest + newPages; p++) {
          m.delete(p);
          dropLock(sp, p);
        }
      }
    }
    if (newPages < oldPages && dest === first) {
      for (const f of writableFiles(m, first + newPages, oldPages - newPages)) synced.add(f);
    }
    for (let k = 0; k < newPages; k++) {
      const p = dest + k;
      if (k < oldPages) {
        if (dest !== first) m.set(p, moved.get(k)!);
        continue;
      }
      const last = moved.get(oldPages - 1)!;
      const grow = k - oldPages + 1;
      if (last.kind === 'anon')
        m.set(p, { kind: 'anon', prot: last.prot, data: new ByteStore(`${sp.as.name}:anon@${p}`, ps, ps, undefined, 'none'), tainted: false });
      else if (last.kind === 'shared') m.set(p, { ...last, page: last.page + grow, tainted: false });
      else m.set(p, { ...last, page: last.page + grow, copy: undefined, tainted: false });
    }
    for (let k = newPages; k < oldPages && dest === first; k++) {
      m.delete(first + k);
      dropLock(sp, first + k);
    }
    if (dest !== first) {
      for (const p of movedLocks) if (p - first < newPages) sp.locks.add(dest + (p - first));
      for (const p of movedMaybe) if (p - first < newPages) sp.maybeLocks.add(dest + (p - first));
    }
    if (!this.batch) for (const f of synced) this.checkDisk(f, ctx.what);
  }

  /**
   * Destroys object A while a page-out of one of its pages, started by object B's read, is in flight, and
   * makes A's pager reject it: B's read may fail (A's pager failed), but never with A's DestroyedError.
   */
  private async doom(op: Extract<Op, { k: 'doom' }>, what: string): Promise<void> {
    const a = pickOf(this.objs, op.i);
    const b = pickOf(this.objs, op.j);
    if (!a || !b || a === b || a.dead || b.dead) return;
    this.operations += 2;
    if (a.pager instanceof FuzzPager) a.pager.armedOut.unshift('reject');
    const off = this.offsetIn(b.obj.size, op.off);
    const ctx: Ctx = { what: `${what} read of ${b.name} at ${off} while ${a.name} is destroyed`, obj: b, faulting: true };
    this.batch = { doomed: new Set([a]) };
    try {
      const read = b.obj.read(off, 1);
      a.dead = true;
      a.pins.clear();
      const destroyed = a.obj.destroy();
      const [r, d] = await Promise.allSettled([read, destroyed]);
      if (r.status === 'rejected') this.judge(r.reason, ctx);
      else this.checkBytes(b.store, off, r.value, ctx.what);
      if (d.status === 'rejected') this.judge(d.reason, { what: `${what} destroy of ${a.name}`, faulting: true });
    } finally {
      this.batch = undefined;
    }
  }

  private async ext(action: 'load' | 'unload' | 'force', what: string): Promise<void> {
    this.operations++;
    const ext = this.extension;
    const name = ext.module.manifest.name;
    const live = this.objs.filter((e) => e.named && !e.dead && !e.obj.isDestroyed);
    const ctx: Ctx = { what: `${what} ${action} ${name}`, faulting: true };
    try {
      if (action === 'load') await extensionsOf(this.vm).load(ext.module);
      else await extensionsOf(this.vm).unload(name, { force: action === 'force' });
    } catch (err) {
      const reason = err instanceof ExtensionError ? (err as ExtensionError & { reason: string }).reason : undefined;
      if (action === 'load' && ext.loaded && reason === 'already-loaded') return;
      if (action !== 'load' && !ext.loaded && reason === 'not-loaded') return;
      if (action === 'unload' && live.length > 0 && reason === 'in-use') return;
      return this.judge(err, ctx);
    }
    if (action === 'load') {
      if (ext.loaded) throw new Divergence('missing-error', `${ctx.what}: loading an extension already loaded succeeded`);
      ext.loaded = true;
      return;
    }
    if (!ext.loaded) throw new Divergence('missing-error', `${ctx.what}: unloading an extension that is not loaded succeeded`);
    if (action === 'unload' && live.length > 0)
      throw new Divergence('missing-error', `${ctx.what}: unload succeeded while ${live.length} objects over its pager live`);
    ext.loaded = false;
    // A forced unload flushes and destroys the objects made with its pagers.
    for (const e of live) {
      if (!e.obj.isDestroyed) throw new Divergence('leak', `${ctx.what}: ${e.name}, made with its pager, is still alive`);
      e.dead = true;
      e.pins.clear();
    }
  }

  // ---- bad arguments: typed errors, nothing changed ----

  private async bad(op: Extract<Op, { k: 'bad' }>, what: string): Promise<void> {
    const ps = this.ps;
    let call: (() => unknown) | undefined;
    let name = '';
    if (op.on === 'o') {
      const e = pickOf(this.objs, op.i);
      if (!e) return;
      const o = e.obj;
      const calls: Array<[string, () => unknown]> = [
        ['read(-1, 1)', () => o.read(-1, 1)],
        ['read(0, size + 1)', () => o.read(0, o.size + 1)],
        ['write(size, [1])', () => o.write(o.size, Uint8Array.of(1))],
        ['readSync(1.5, 1)', () => o.readSync(1.5, 1)],
        ['pin(pageCount)', () => o.pin(o.pageCount)],
        ["request(0, 'bogus')", () => o.request(0, 'bogus' as 'read')],
        ['getUint(0, 3)', () => o.getUint(0, 3 as 4)],
        ['setUint(0, 1, 256)', () => o.setUint(0, 1, 256)],
        ['write(0, [1,2,3] as array)', () => o.write(0, [1, 2, 3] as unknown as Uint8Array)],
        ['read(NaN, 1)', () => o.read(Number.NaN, 1)],
      ];
      [name, call] = calls[op.which % calls.length]!;
      name = `${e.name}.${name}`;
    } else if (op.on === 'm') {
      const m = pickOf(this.maps, op.i);
      if (!m) return;
      const h = m.h;
      const calls: Array<[string, () => unknown]> = [
        ['read(-1, 1)', () => h.read(-1, 1)],
        ['read(size, 1)', () => h.read(h.size, 1)],
        ['write(size, [1])', () => h.write(h.size, Uint8Array.of(1))],
        ['readSync(0, -1)', () => h.readSync(0, -1)],
      ];
      [name, call] = calls[op.which % calls.length]!;
      name = `mapping of ${m.file.path}.${name}`;
    } else {
      const sp = pickOf(this.spaces, op.i);
      if (!sp) return;
      const as = sp.as;
      const calls: Array<[string, () => unknown]> = [
        ['map({ anonymous, length: 0 })', () => as.map({ anonymous: true, length: 0, prot: 3, share: 'private' })],
        ['map({ prot: 9 })', () => as.map({ anonymous: true, length: ps, prot: 9, share: 'private' })],
        ['map({ fixed, address: 0 })', () => as.map({ anonymous: true, length: ps, prot: 3, share: 'private', address: 0, fixed: true })],
        ['protect(1, ps, 3)', () => as.protect(1, ps, 3)],
        ['unmap(ps + 1, ps)', () => as.unmap(ps + 1, ps)],
        ['read(-1, 1)', () => as.read(-1, 1)],
        ["trap(ps, 'bogus')", () => as.trap(ps, 'bogus' as 'read')],
        ['setUint8(ps, 256)', () => as.setUint8(ps, 256)],
        ['sync(ps, ps, { async: 1 })', () => as.sync(ps, ps, { async: 1 as unknown as boolean })],
        ['map({ anonymous, offset: ps })', () => as.map({ anonymous: true, offset: ps, length: ps, prot: 3, share: 'private' })],
      ];
      [name, call] = calls[op.which % calls.length]!;
      name = `${as.name}.${name}`;
    }
    this.operations++;
    let err: unknown;
    try {
      await call();
    } catch (e) {
      err = e;
    }
    if (err === undefined) throw new Divergence('missing-error', `${what} ${name}: a bad argument was accepted`);
    if (!(err instanceof SpinVmError)) throw new Divergence(`untyped-error:${errName(err)}`, `${what} ${name}: threw an untyped ${describeErr(err)}`);
    if (!(err instanceof InvalidArgumentError || err instanceof OutOfRangeError || err instanceof DestroyedError || err.name === 'ReadOnlyMappingError')) {
      throw new Divergence(`unexpected-error:${err.name}`, `${what} ${name}: ${describeErr(err)} (expected InvalidArgumentError or OutOfRangeError)`);
    }
  }

  // ---- fault injection ----

  private fsfault(op: Extract<Op, { k: 'fsfault' }>): void {
    if (op.fs === 'swap') {
      const rec = pickOf(this.swaps, op.f);
      if (!rec || rec.swap.closed) return;
      const path = rec.swap.paths[op.f % rec.swap.paths.length]!;
      this.swapFs.failNext(path, op.op as FileOperation, op.reason, op.n);
      rec.faulty = true;
      rec.errors.add(`${op.op}:${op.reason}`);
      this.count(`swap:${op.op}:${op.reason}`);
      return;
    }
    const f = this.files[op.f % this.files.length]!;
    this.dataFs.failNext(f.path, op.op as FileOperation, op.reason, op.n);
    f.faulty = true;
    f.errors.add(`${op.op}:${op.reason}`);
    this.count(`file:${op.op}:${op.reason}`);
  }

  private count(kind: string): void {
    this.faults.set(kind, (this.faults.get(kind) ?? 0) + 1);
  }

  // ---- judging errors ----

  /** Accepts an error the operation may answer; throws a Divergence for any other. */
  private judge(err: unknown, c: Ctx): void {
    if (err instanceof Divergence) throw err;
    if (this.hang) throw this.hangDivergence(c.what);
    if (!(err instanceof SpinVmError)) throw new Divergence(`untyped-error:${errName(err)}`, `${c.what}: threw an untyped ${describeErr(err)}`);
    if (c.expect?.(err)) return;
    if (err instanceof DestroyedError) {
      if (this.destroyedOk(err, c)) return;
      throw new Divergence('destroyed-live', `${c.what}: ${describeErr(err)}, but what it names is alive`);
    }
    if (c.faulting) {
      if (err instanceof OutOfMemoryError) {
        if (this.oomPossible()) return;
        throw new Divergence(
          'unexplained-error:OutOfMemoryError',
          `${c.what}: ${describeErr(err)} although no frame is pinned, no pager failed and nothing is stuck (stat ${JSON.stringify(this.vm.stat())})`,
        );
      }
      if (err instanceof PagerIoError || err instanceof PagerFailedError || err instanceof PagerProtocolError) {
        if (this.mayFail(err.object, err)) return;
        throw new Divergence(`unexplained-error:${err.name}`, `${c.what}: ${describeErr(err)}, but no fault was injected into the pager of ${err.object}`);
      }
    }
    if (err instanceof FileSystemError && this.files.some((f) => f.path === err.path && this.explains(f, err))) return;
    // A mapping closed in the same batch as a sync of it: the sync may find the file already let go.
    if (err instanceof FileSystemError && err.reason === 'EBADF' && c.map && this.doomed(c.map)) return;
    throw new Divergence(`unexpected-error:${err.name}`, `${c.what}: ${describeErr(err)}`);
  }

  private hangDivergence(what: string): Divergence {
    return new Divergence(this.hang!.startsWith('livelock') ? 'hang:livelock' : 'hang:stalled-loop', `${what}: ${this.hang}`);
  }

  private doomed(e: Ent): boolean {
    return this.batch?.doomed.has(e) ?? false;
  }

  private destroyedOk(err: DestroyedError, c: Ctx): boolean {
    if (c.obj) return err.what === `memory object ${c.obj.name}` && (c.obj.dead || this.doomed(c.obj));
    if (c.map) {
      // A mapping closed under the access (the last close destroys the file's object too).
      const gone = c.map.closed || this.doomed(c.map);
      return gone && (err.what === `the mapping of ${c.map.file.path}` || err.what === `memory object ${c.map.file.path}`);
    }
    if (c.space) {
      const sp = c.space;
      if (err.what === `address space ${sp.as.name}` && (sp.dead || this.doomed(sp))) return true;
      if (this.doomed(sp)) return true; // an unmap in the same batch: levels go away under the access
      for (const e of sp.model.values()) {
        if (e.kind !== 'anon' && e.owner && 'obj' in e.owner && e.owner.obj.dead && err.what === `memory object ${e.owner.obj.name}`) return true;
      }
    }
    return false;
  }

  /**
   * Whether what was injected explains `err` from the pager of the object called `name`: for the fuzzer's
   * pagers any injected answer; for swap and files, a matching injected file system error (operation and
   * reason), a capacity cut or limit (DeviceFull), a corrupted slot, a truncated file. The bogopager cannot
   * page out at all.
   */
  private mayFail(name: string, err: PagerIoError | PagerFailedError | PagerProtocolError): boolean {
    this.scan();
    const pager = this.byName.get(name);
    if (pager instanceof FuzzPager) return pager.injected;
    if (pager instanceof BogoPager) return true;
    const cause = (err as { cause?: unknown }).cause;
    const deviceFull = err instanceof PagerFailedError && err.result === ResultCode.DeviceFull;
    if (pager instanceof DefaultPager) {
      const rec = this.swaps.find((s) => s.swap === pager.swap);
      if (!rec) return false;
      if (deviceFull) return rec.limited || rec.full || ['ENOSPC', 'EDQUOT', 'EFBIG'].some((r) => rec.errors.has(`write:${r}`));
      if (cause instanceof FileSystemError) return this.explains(rec, cause);
      return rec.corrupt && cause instanceof SpinVmError && cause.name === 'SwapIntegrityError';
    }
    if (pager instanceof FilePager || pager === undefined) {
      const f = this.files.find((x) => x.path === name);
      if (!f) return false;
      if (deviceFull) return f.full || ['ENOSPC', 'EDQUOT', 'EFBIG'].some((r) => f.errors.has(`write:${r}`));
      if (cause instanceof FileSystemError) return this.explains(f, cause);
      if (cause instanceof SpinVmError && cause.name === 'MappedFileTruncatedError') return f.truncated;
      return false;
    }
    return false;
  }

  /** Whether opening the file for writing may have been refused (an injected EACCES, EPERM or EROFS on the way in). */
  private refusable(f: FileEnt): boolean {
    return ['open', 'realpath', 'size'].some((o) => ['EACCES', 'EPERM', 'EROFS'].some((r) => f.errors.has(`${o}:${r}`)));
  }

  /** Whether a file system error is one that was injected (failNext, or ENOSPC from a capacity cut). */
  private explains(x: Injected, err: FileSystemError): boolean {
    if (x.errors.has(`${err.operation}:${err.reason}`)) return true;
    return x.full && (err.reason === 'ENOSPC' || err.reason === 'EFBIG' || err.reason === 'EDQUOT');
  }

  private oomPossible(): boolean {
    if (this.batch) return true;
    if (this.objs.some((e) => !e.dead && e.pins.size > 0)) return true;
    if (this.lockedPages() > 0) return true;
    if (this.pagers.some((p) => p.injected)) return true;
    if (this.swaps.some((s) => s.faulty || s.limited)) return true;
    if (this.files.some((f) => f.faulty || f.truncated)) return true;
    for (const o of this.vm.memoryObjects()) if (o.pager instanceof BogoPager && o.stat().dirtyPages > 0) return true;
    return false;
  }

  /** Learns the pager of every live object by name (shadow objects appear as address spaces write). */
  private scan(): void {
    for (const o of this.vm.memoryObjects()) {
      if (!this.byName.has(o.name)) this.register(o.name, o.pager, o);
    }
  }

  private register(name: string, pager: Pager | undefined, obj: MemoryObject): void {
    const p = pager ?? obj.pager;
    this.byName.set(name, p);
    this.objectOf.set(p, obj);
  }

  private objectOfPager(pager: Pager): MemoryObject | undefined {
    let obj = this.objectOf.get(pager);
    if (!obj) {
      this.scan();
      obj = this.objectOf.get(pager);
    }
    return obj;
  }

  // ---- checks ----

  private checkBytes(store: ByteStore, off: number, got: Uint8Array, what: string): void {
    const problem = store.check(off, got);
    if (problem) throw new Divergence('wrong-bytes', `${what}: ${problem}${this.whose(got)}`);
  }

  /** For a wrong read: whether the bytes seen are some other object's or page's. */
  private whose(seen: Uint8Array): string {
    if (seen.length < 8) return '';
    const probe = seen.subarray(0, Math.min(seen.length, 32));
    const ps = this.ps;
    const stores: ByteStore[] = [...this.objs.map((e) => e.store), ...this.files.map((f) => f.store)];
    for (const s of stores) {
      const pages = Math.min(Math.ceil(s.extent / ps), 64);
      for (let p = 0; p < pages; p++) {
        const bytes = s.expected(p * ps, Math.min(ps, s.extent - p * ps));
        for (let w = 0; w + probe.length <= bytes.length; w++) {
          let same = true;
          for (let k = 0; k < probe.length && same; k++) same = bytes[w + k] === probe[k];
          if (same) return ` (the bytes read are ${s.label}'s, page ${p} at ${w})`;
        }
      }
    }
    return seen.every((b) => b === 0) ? ' (the bytes read are all zero)' : '';
  }

  private diskSize(f: FileEnt): number {
    try {
      return this.dataFs.contents(f.path).length;
    } catch {
      return 0;
    }
  }

  private checkDisk(f: FileEnt, what: string): void {
    let disk: Uint8Array;
    try {
      disk = this.dataFs.contents(f.path);
    } catch {
      return;
    }
    const problem = f.store.checkDisk(disk);
    if (problem) throw new Divergence('lost-write', `${what}: resolved, but the file does not hold what was written: ${problem}`);
  }

  /** Waits until no pager call is in flight and no frame is busy; then checks that no frame is pinned or busy but by the model's pins. */
  async atRest(what: string): Promise<void> {
    const deadline = Date.now() + 3000;
    for (let i = 0; ; i++) {
      const busy = this.vm.stat().busyFrames;
      if (busy === 0 && this.pagers.every((p) => p.inflight === 0)) break;
      if (Date.now() > deadline) {
        throw new Divergence(
          'leak',
          `${what}: at rest, ${busy} frames are still busy and ${this.pagers.reduce((n, p) => n + p.inflight, 0)} pager calls in flight after 3 s`,
        );
      }
      await new Promise((resolve) => (i < 20 ? setImmediate(resolve) : setTimeout(resolve, 5)));
    }
    if (this.hang) throw this.hangDivergence(what);
    const stat = this.vm.stat();
    const pinned = this.userPinnedPages();
    const locked = this.lockedPages();
    // A locked page of an object also pinned, or of a shared mapping locked twice, pins one frame: at most.
    if (locked === 0 ? stat.pinnedFrames !== pinned : stat.pinnedFrames > pinned + locked) {
      throw new Divergence(
        'leak',
        `${what}: at rest ${stat.pinnedFrames} frames are pinned, but ${pinned} pages were pinned with pin() and ${locked} locked with lock() (stat ${JSON.stringify(stat)})`,
      );
    }
    if (stat.busyFrames !== 0) throw new Divergence('leak', `${what}: at rest ${stat.busyFrames} frames are busy`);
  }

  // ---- the end: read everything back, tear down, look for leaks ----

  async finish(): Promise<void> {
    const what = 'at the end';
    await this.atRest(`${what}, after the last operation`);
    const faulty = this.config.teardown === 'faulty';
    if (!faulty) this.disarm();
    for (const e of this.objs) {
      if (e.dead) continue;
      for (const [page, n] of [...e.pins]) {
        for (let k = 0; k < n; k++) {
          try {
            e.obj.unpin(page);
          } catch (err) {
            this.judge(err, { what: `${what}: unpin(${page}) of ${e.name}`, obj: e });
          }
        }
        e.pins.delete(page);
      }
    }
    for (const sp of this.spaces) {
      if (sp.dead) continue;
      for (const p of [...sp.locks, ...sp.maybeLocks]) {
        try {
          sp.as.unlock(p * this.ps, this.ps);
        } catch (err) {
          this.judge(err, { what: `${what}: unlock of page ${p} of ${sp.as.name}`, space: sp });
        }
        dropLock(sp, p);
      }
    }
    await this.readBack(what);
    await this.atRest(`${what}, after reading everything back`);
    const swaps = this.swaps.map((s) => s.swap);
    let clean = true;
    if (this.config.teardown === 'orderly') {
      for (const sp of this.spaces) {
        if (sp.dead) continue;
        const synced = writableFiles(sp.model, 0, Math.max(0, ...sp.model.keys()) + 1);
        sp.dead = true;
        try {
          await this.timed(sp.as.destroy(), `${what}: destroy of ${sp.as.name}`);
          for (const f of synced) this.checkDisk(f, `${what}: destroy of ${sp.as.name}`);
        } catch (err) {
          clean = false;
          this.judge(err, { what: `${what}: destroy of ${sp.as.name}`, space: sp, faulting: true });
        }
      }
      for (const m of this.maps) {
        if (m.closed) continue;
        m.closed = true;
        try {
          await this.timed(m.h.close(), `${what}: close of a mapping of ${m.file.path}`);
        } catch (err) {
          clean = false;
          this.judge(err, { what: `${what}: close of a mapping of ${m.file.path}`, map: m, faulting: true });
        }
      }
      for (const e of this.objs) {
        if (e.dead) continue;
        e.dead = true;
        try {
          await this.timed(e.obj.destroy(), `${what}: destroy of ${e.name}`);
        } catch (err) {
          this.judge(err, { what: `${what}: destroy of ${e.name}`, obj: e, faulting: true });
        }
      }
      if (clean) for (const f of this.files) this.checkDisk(f, `${what}: every mapping closed`);
      const stat = this.vm.stat();
      const kept = this.vm.memoryObjects().filter((o) => this.files.some((f) => f.kept && f.path === o.name));
      const alive = this.vm.memoryObjects().filter((o) => !kept.includes(o));
      const keptFrames = kept.reduce((n, o) => n + o.stat().residentPages, 0);
      if (stat.freeFrames + keptFrames !== stat.frames || alive.length > 0) {
        if (clean)
          throw new Divergence(
            'leak',
            `${what}: every space, mapping and object is gone, yet ${stat.frames - stat.freeFrames} frames are in use and ${alive.length} objects alive (${alive.map((o) => o.name).join(', ')})`,
          );
      }
    }
    // vm.destroy(): with everything still open (abrupt), with faults still armed (faulty), or twice at once.
    const destroys = this.config.teardown === 'double' ? [this.vm.destroy(), this.vm.destroy()] : [this.vm.destroy()];
    const settled = await this.timed(
      Promise.allSettled(
        destroys.map((d, j) =>
          d.then(() => {
            // Whichever call resolves, the instance is gone: swap files removed (issue #14).
            for (const s of swaps) {
              if (this.swapExists(s))
                throw new Divergence(
                  'early-resolve',
                  `${what}: vm.destroy() call ${j + 1} of ${destroys.length} resolved while swap directory ${s.directory} still exists`,
                );
            }
          }),
        ),
      ),
      `${what}: vm.destroy()`,
    );
    let resolved = true;
    for (const r of settled) {
      if (r.status === 'fulfilled') continue;
      resolved = false;
      if (r.reason instanceof Divergence) throw r.reason;
      this.judge(r.reason, { what: `${what}: vm.destroy()`, faulting: true });
    }
    for (const e of this.objs) e.dead = true;
    for (const m of this.maps) m.closed = true;
    for (const sp of this.spaces) sp.dead = true;
    if (resolved) {
      // Nothing written may be lost when vm.destroy() resolves (issues #2, #3).
      for (const f of this.files) this.checkDisk(f, `${what}: vm.destroy() resolved`);
    }
    const stat = this.vm.stat();
    if (stat.freeFrames !== stat.frames || stat.pinnedFrames !== 0 || stat.busyFrames !== 0) {
      throw new Divergence(
        'leak',
        `${what}: after vm.destroy() ${stat.frames - stat.freeFrames} frames are in use, ${stat.pinnedFrames} pinned, ${stat.busyFrames} busy`,
      );
    }
    if (this.vm.memoryObjects().length > 0)
      throw new Divergence('leak', `${what}: after vm.destroy() ${this.vm.memoryObjects().length} memory objects are alive`);
    if (resolved) {
      for (const s of swaps) if (this.swapExists(s)) throw new Divergence('leak', `${what}: after vm.destroy() swap directory ${s.directory} still exists`);
      if (this.swapFs.used !== 0) throw new Divergence('leak', `${what}: after vm.destroy() the swap file system still holds ${this.swapFs.used} bytes`);
    }
    // No file left open: once removed, an open file still holds its bytes (a leaked descriptor, issue #3).
    // A handle replaced when a file is reopened writable closes in the background: give it a moment.
    for (const f of this.files) await this.dataFs.remove(f.path).catch(noop);
    for (let i = 0; i < 20 && this.dataFs.used !== 0; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    if (this.dataFs.used !== 0)
      throw new Divergence('leak', `${what}: after vm.destroy() and removing the files, ${this.dataFs.used} bytes are still held: a file is still open`);
  }

  private swapExists(s: SwapSpace): boolean {
    for (const p of s.paths) {
      try {
        this.swapFs.contents(p);
        return true;
      } catch {
        // gone
      }
    }
    return false;
  }

  /** Stops injecting: every armed answer, injected file system fault, capacity and latency is cleared. */
  disarm(): void {
    for (const p of this.pagers) {
      p.armedIn.length = 0;
      p.armedOut.length = 0;
      p.armedRun.length = 0;
      p.armedDestroy.length = 0;
    }
    for (const fs of [this.swapFs, this.dataFs]) {
      fs.clearFaults();
      fs.capacity = Infinity;
      fs.latency = undefined;
    }
  }

  /** Reads every live object, mapping and space back and compares it with the model. */
  private async readBack(what: string): Promise<void> {
    const ps = this.ps;
    const attempt = async (read: () => Promise<Uint8Array>, check: (got: Uint8Array) => void, ctx: Ctx): Promise<void> => {
      for (let k = 0; k < 3; k++) {
        this.pagerCalls = 0;
        let got: Uint8Array;
        try {
          got = await this.timed(read(), ctx.what);
        } catch (err) {
          this.judge(err, ctx);
          continue;
        }
        check(got);
        return;
      }
    };
    for (const e of this.objs) {
      if (e.dead) continue;
      const pages = new Set(e.store.touchedPages().filter((p) => p * ps < e.obj.size));
      pages.add(0);
      pages.add(e.obj.pageCount - 1);
      for (const p of [...pages].sort((x, y) => x - y)) {
        if (e.dead) break;
        const off = p * ps;
        const len = Math.min(ps, e.obj.size - off);
        const ctx: Ctx = { what: `${what}: read back page ${p} of ${e.name}`, obj: e, faulting: true };
        await attempt(
          () => e.obj.read(off, len),
          (got) => this.checkBytes(e.store, off, got, ctx.what),
          ctx,
        );
      }
    }
    for (const m of this.maps) {
      if (m.closed) continue;
      for (let off = 0; off < m.h.size; off += ps) {
        const len = Math.min(ps, m.h.size - off);
        const ctx: Ctx = { what: `${what}: read back ${m.file.path} at ${off}`, map: m, faulting: true };
        await attempt(
          () => m.h.read(off, len),
          (got) => this.checkBytes(m.file.store, off, got, ctx.what),
          ctx,
        );
      }
    }
    for (const sp of this.spaces) {
      if (sp.dead) continue;
      for (const [p, e] of [...sp.model].sort((x, y) => x[0] - y[0])) {
        if (!(e.prot & PROT.READ)) continue;
        const fault = faultOf(sp.model, p * ps, ps, 'read', ps);
        const ctx: Ctx = { what: `${what}: read back page ${p} of ${sp.as.name}`, space: sp, faulting: true };
        if (fault) {
          let err: unknown;
          try {
            await this.timed(sp.as.read(p * ps, ps), ctx.what);
          } catch (x) {
            err = x;
          }
          if (!(err instanceof fault.kind))
            throw new Divergence('wrong-fault', `${ctx.what}: expected ${fault.kind.name}, got ${err === undefined ? 'success' : describeErr(err)}`);
          continue;
        }
        await attempt(
          () => sp.as.read(p * ps, ps),
          (got) => this.checkSpace(sp, p * ps, got, ctx.what),
          ctx,
        );
      }
    }
  }

  private async timed<T>(p: Promise<T>, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        p,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Divergence('hang:timeout', `${what} did not settle within ${this.limits.opTimeoutMs} ms`)),
            this.limits.opTimeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** After a failure: let go of everything, never waiting long. */
  async dispose(): Promise<void> {
    this.disarm();
    for (const p of this.pagers) p.dead = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.vm.destroy().catch(noop), new Promise<void>((resolve) => (timer = setTimeout(resolve, 1000)))]);
    clearTimeout(timer);
  }

  // ---- fitting operations to the state ----

  private fit(op: Op & { on: string; i: number }): Fitted {
    if (op.on === 's') {
      const sp = pickOf(this.spaces, op.i);
      if (!sp) return { ent: undefined, off: 0, len: 0 };
      const o = op as { at: Spot; len?: number; size?: number };
      return { ent: sp, off: this.addressOf(sp, o.at), len: o.len ?? o.size ?? 0 };
    }
    const o = op as { off: number; len?: number; size?: number };
    const want = o.len ?? o.size ?? 0;
    if (op.on === 'o') {
      const e = pickOf(this.objs, op.i);
      if (!e) return { ent: undefined, off: 0, len: 0 };
      const off = this.offsetIn(e.obj.size, o.off);
      return { ent: e, off, len: Math.min(want, e.obj.size - off) };
    }
    const m = pickOf(this.maps, op.i);
    if (!m) return { ent: undefined, off: 0, len: 0 };
    const off = this.offsetIn(m.h.size, o.off);
    return { ent: m, off, len: Math.min(want, m.h.size - off) };
  }

  /** An offset in an object of `size` bytes: anywhere in small ones; near the start, the end or page 2^32 in huge ones. */
  private offsetIn(size: number, r: number): number {
    const ps = this.ps;
    if (size <= 64 * ps) return r % size;
    const d = (r >>> 2) % (8 * ps);
    switch (r & 3) {
      case 0:
        return d;
      case 1:
        return size - 1 - d;
      case 2:
        return 2 ** 32 * ps + d < size ? 2 ** 32 * ps + d : d;
      default:
        return Math.floor((r / 2 ** 32) * (size - 1));
    }
  }
}

// ---- the address-space model ----

function faultOf(m: MSpace, address: number, length: number, access: 'read' | 'write', ps: number): Fault | undefined {
  const need = access === 'read' ? PROT.READ : PROT.WRITE;
  for (let pos = address; pos < address + length; pos = (Math.floor(pos / ps) + 1) * ps) {
    const e = m.get(Math.floor(pos / ps));
    if (!e) return { kind: SegmentationFault, address: pos };
    if (!(e.prot & need)) return { kind: ProtectionFault, address: pos };
    if (e.kind !== 'anon' && !(e.kind === 'private' && e.copy) && e.page >= e.limit) return { kind: BusError, address: pos };
  }
  return undefined;
}

function forkModel(m: MSpace, label: string): MSpace {
  const out: MSpace = new Map();
  for (const [p, e] of m) {
    if (e.kind === 'anon') out.set(p, { ...e, data: e.data.clone(`${label}:anon@${p}`) });
    else if (e.kind === 'shared') out.set(p, { ...e });
    else out.set(p, { ...e, copy: e.copy?.clone(`${label}:copy@${p}`) });
  }
  return out;
}

function dropLock(sp: SpaceEnt, page: number): void {
  sp.locks.delete(page);
  sp.maybeLocks.delete(page);
}

function isFree(m: MSpace, first: number, count: number): boolean {
  for (let p = first; p < first + count; p++) if (m.has(p)) return false;
  return true;
}

/**
 * Files a range holds shared pages of: after an unmap of the range (which syncs every file it drops) their
 * writes must be on disk; after a sync of it (`onlyWritable`), those of the writable ones.
 */
function writableFiles(m: MSpace, first: number, count: number, onlyWritable = false): Set<FileEnt> {
  const out = new Set<FileEnt>();
  for (let p = first; p < first + count; p++) {
    const e = m.get(p);
    if (e?.kind === 'shared' && (!onlyWritable || e.writable === true) && e.owner && 'file' in e.owner) out.add(e.owner.file);
  }
  return out;
}

// ---- small helpers ----

function pickOf<T>(list: readonly T[], i: number): T | undefined {
  return list.length === 0 ? undefined : list[i % list.length];
}

/** Detaches the buffer under `bytes` (as transferring it to another thread would). */
function detach(bytes: Uint8Array): void {
  structuredClone(bytes.buffer, { transfer: [bytes.buffer as ArrayBuffer] });
}

function valueBytes(value: number, size: number): Uint8Array {
  const out = pattern(8, value, 0xb17e);
  return out.subarray(0, size);
}

function numOf(bytes: Uint8Array): number {
  let v = 0;
  for (let i = bytes.length - 1; i >= 0; i--) v = v * 256 + bytes[i]!;
  return v;
}

function bigOf(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  return v;
}

function latencyHook(mode: 'none' | 'micro' | 'immediate' | 'timer'): MemoryFileSystem['latency'] {
  if (mode === 'none') return undefined;
  if (mode === 'micro') return () => undefined;
  if (mode === 'immediate') return () => new Promise((resolve) => setImmediate(resolve));
  return () => 1;
}

function errName(err: unknown): string {
  return err instanceof Error ? err.name : typeof err;
}

export function describeErr(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return `${err.name}: ${err.message}${cause instanceof Error ? ` (cause ${cause.name}: ${cause.message})` : ''}`;
  }
  return String(err);
}

/**
 * Starts `write` with `data` (a copy of it when it is to be detached, which happens as soon as the write has
 * started) and answers what it rejected with, if anything. A write that throws synchronously is a divergence.
 */
async function writeMaybeDetached(
  data: Uint8Array,
  detachIt: boolean | undefined,
  what: string,
  write: (buf: Uint8Array) => Promise<void>,
): Promise<{ error: unknown } | undefined> {
  const buf = detachIt ? data.slice() : data;
  let done: Promise<void>;
  try {
    done = write(buf);
  } catch (err) {
    throw new Divergence('sync-throw', `${what}: write threw synchronously instead of rejecting: ${String(err)}`);
  }
  if (detachIt) detach(buf);
  try {
    await done;
    return undefined;
  } catch (error) {
    return { error };
  }
}
