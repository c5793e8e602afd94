import 'reflect-metadata';
import { totalmem } from 'node:os';
import { Container, type Newable } from 'inversify';
import type { Cache, CacheFactory } from '../cache/cache.js';
import { HashCache } from '../cache/hash-cache.js';
import { PAGE_TABLE_MAX_PAGES, PageTableCache } from '../cache/page-table-cache.js';
import { DestroyedError, InvalidArgumentError, PagerIoError } from '../errors.js';
import { EventHub, type EventName, type Listener } from '../events.js';
import { FramePool, isPageSize } from '../frames/frame-pool.js';
import { MemoryObject } from '../memory-object/memory-object.js';
import { PageQueue } from '../page-queue/page-queue.js';
import { SharedPageTable } from '../shared/shared-page-table.js';
import { BUILTIN_POLICIES } from '../page-queue/policies.js';
import type { PolicyFactory, ReplacementPolicy } from '../page-queue/replacement-policy.js';
import { BogoPager } from '../pager/bogo-pager.js';
import type { Pager } from '../pager/pager.js';
import { checkPager, checkPagerClass } from '../pager/recognise.js';
import { checkName, checkOptions, checkPositive } from '../validate.js';
import { TOKENS } from './tokens.js';

export interface VmOptions {
  /** Bytes per page: a power of two from 512 up. Default 4096. */
  pageSize?: number;
  /** Frames in the pool (a count of pages), lent to every memory object of the instance. Default 1024. */
  frames?: number;
  /** The pool's size in bytes instead of `frames` (whole pages: rounded down): `{ poolSize: 64 << 20 }` for 64 MiB. */
  poolSize?: number;
  /**
   * Replacement policy: a built-in name ('s3-adaptive', 'second-chance', 'lru', ...) or a factory. Default
   * 's3-adaptive' (within a few percent of the best built-in on every kind of trace; SPIN's 'second-chance'
   * stays by name).
   */
  policy?: string | PolicyFactory;
  /**
   * Keep the frames, their state and each object's page table in SharedArrayBuffers, so that
   * `shareMemoryObject` can hand objects to worker threads (`spinvm/worker`). Default false.
   */
  shared?: boolean;
}

export interface CreateMemoryObjectOptions {
  /** Size in bytes (the last page may be partial). */
  size: number;
  /**
   * The pager: an instance, the name of a pager registered in the container (`TOKENS.Pager`, named), or
   * nothing for the container's default pager (the bogopager until another is bound).
   */
  pager?: Pager | string;
  /** A name for messages and events. */
  name?: string;
}

export interface VmStat {
  pageSize: number;
  frames: number;
  freeFrames: number;
  residentFrames: number;
  dirtyFrames: number;
  busyFrames: number;
  pinnedFrames: number;
  objects: number;
  policy: string;
  /** Bytes of frame metadata per frame: the pool's typed arrays plus the policy's. */
  metadataBytesPerFrame: number;
}

/** Pagers already serving an object: a pager instance serves exactly one. */
const pagersInUse = new WeakSet<Pager>();

/** Makes an instance: its own container, frame pool, page queue and policy. */
export function createVm(options?: VmOptions): Vm {
  return new Vm(options);
}

/** One spinvm instance. Everything it is made of is bound in `container` and can be rebound. */
export class Vm {
  readonly container = new Container();
  readonly pageSize: number;
  readonly frames: number;
  private readonly pool: FramePool;
  private readonly queue: PageQueue<MemoryObject>;
  private readonly objects = new Map<number, MemoryObject>();
  private readonly hub = new EventHub();
  private nextId = 0;
  private readonly shutdownHooks = new Set<() => void | Promise<void>>();
  private readonly beforeShutdownHooks = new Set<() => void | Promise<void>>();
  private destroyed = false;
  private destroying: Promise<void> | undefined;

  constructor(options?: VmOptions) {
    const o = checkOptions<VmOptions>('options', options, ['pageSize', 'frames', 'poolSize', 'policy', 'shared']);
    const policy = resolvePolicy(o.policy);
    const pageSize = o.pageSize === undefined ? 4096 : o.pageSize;
    if (o.shared !== undefined && typeof o.shared !== 'boolean') throw new InvalidArgumentError('shared', o.shared, 'a boolean');
    const shared = o.shared === true;
    // FramePool validates page size and frame count before anything is bound.
    const pool = new FramePool(pageSize, poolFrames(o, pageSize), shared);
    this.pageSize = pool.pageSize;
    this.frames = pool.frames;
    const c = this.container;
    c.bind<number>(TOKENS.PageSize).toConstantValue(pool.pageSize);
    c.bind<number>(TOKENS.Frames).toConstantValue(pool.frames);
    c.bind<FramePool>(TOKENS.FramePool).toConstantValue(pool);
    c.bind<ReplacementPolicy>(TOKENS.ReplacementPolicy).toDynamicValue(policy).inSingletonScope();
    c.bind<PageQueue>(TOKENS.PageQueue)
      .toDynamicValue((ctx) => new PageQueue(ctx.get<FramePool>(TOKENS.FramePool), ctx.get<ReplacementPolicy>(TOKENS.ReplacementPolicy)))
      .inSingletonScope();
    c.bind<CacheFactory>(TOKENS.CacheFactory).toConstantValue(shared ? sharedCache : defaultCache);
    c.bind<Pager>(TOKENS.DefaultPager).to(BogoPager).inTransientScope();
    c.bind<Vm>(TOKENS.Vm).toConstantValue(this);
    this.pool = pool;
    this.queue = c.get<PageQueue<MemoryObject>>(TOKENS.PageQueue);
  }

  /** Makes a memory object over `pager`, or over a fresh default pager from the container. */
  createMemoryObject(options: CreateMemoryObjectOptions): MemoryObject {
    this.checkAlive();
    const o = checkOptions<CreateMemoryObjectOptions>('options', options, ['size', 'pager', 'name']);
    if (options === undefined) throw new InvalidArgumentError('options', options, 'an options object with a size');
    const size = checkPositive('size', o.size);
    if (o.name !== undefined) checkName('name', o.name);
    const pager = this.resolvePager(o.pager);
    const id = this.nextId++;
    const name = o.name ?? `object-${id}`;
    const pageCount = Math.ceil(size / this.pageSize);
    try {
      pager.init({ pageSize: this.pageSize, size, pageCount, name });
    } catch (err) {
      throw new PagerIoError(name, 0, 'init', err);
    }
    pagersInUse.add(pager);
    const object = new MemoryObject({
      id,
      name,
      size,
      pager,
      cache: this.container.get<CacheFactory>(TOKENS.CacheFactory)(pageCount),
      pool: this.pool,
      queue: this.queue,
      hub: new EventHub(),
      vmHub: this.hub,
      onDestroyed: (obj) => this.objects.delete(id) && undefined,
    });
    this.objects.set(id, object);
    return object;
  }

  /** The pager for a new object: the one given, a named one from the container, or the default pager. */
  private resolvePager(given: unknown): Pager {
    let pager: unknown = given;
    if (typeof given === 'string') {
      if (!this.container.isBound(TOKENS.Pager, { name: given })) {
        throw new InvalidArgumentError('pager', given, `the name of a registered pager (bind TOKENS.Pager with whenNamed('${given}'))`);
      }
      pager = this.container.get<Pager>(TOKENS.Pager, { name: given });
    } else if (given === undefined) pager = this.container.get<Pager>(TOKENS.DefaultPager);
    const what = typeof given === 'string' ? `the pager named '${given}'` : given === undefined ? 'the bound default pager' : 'pager';
    const checked = checkPager(what, pager);
    if (pagersInUse.has(checked))
      throw new InvalidArgumentError(what, checked, 'a pager not already serving another memory object (bind pagers in transient scope)');
    return checked;
  }

  /**
   * Runs `hook` when the instance is destroyed, after its memory objects (a swap space removes its files
   * here). Answers the function that cancels it.
   */
  onShutdown(hook: () => void | Promise<void>): () => void {
    return this.addHook(this.shutdownHooks, hook);
  }

  /**
   * Runs `hook` when the instance is destroyed, before its memory objects are (an address space syncs its
   * shared file mappings here, so no write is lost). Answers the function that cancels it.
   */
  onBeforeShutdown(hook: () => void | Promise<void>): () => void {
    return this.addHook(this.beforeShutdownHooks, hook);
  }

  private addHook(hooks: Set<() => void | Promise<void>>, hook: unknown): () => void {
    this.checkAlive();
    if (typeof hook !== 'function') throw new InvalidArgumentError('hook', hook, 'a function');
    const h = hook as () => void | Promise<void>;
    hooks.add(h);
    return () => void hooks.delete(h);
  }

  /**
   * Makes `PagerClass` the default pager: memory objects created afterwards get one; objects made before
   * keep the pager they have. The same as `vm.container.rebind(TOKENS.DefaultPager).to(PagerClass)`. A
   * class whose constructor takes arguments needs `@inject` on each; without decorators, rebind
   * TOKENS.DefaultPager `toDynamicValue(() => new MyPager(options))` instead.
   */
  setDefaultPager(PagerClass: Newable<Pager>): void {
    this.checkAlive();
    const checked = checkPagerClass('PagerClass', PagerClass); // before rebind, which drops the old binding
    this.container.rebind<Pager>(TOKENS.DefaultPager).to(checked).inTransientScope();
  }

  /** Subscribes to the events of every memory object of the instance; answers the function that unsubscribes. */
  on<K extends EventName>(name: K, listener: Listener<K>): () => void {
    return this.hub.on(name, listener);
  }

  /** The live memory objects. */
  memoryObjects(): MemoryObject[] {
    return [...this.objects.values()];
  }

  stat(): VmStat {
    const state = this.pool.state;
    const census = state.census();
    return {
      pageSize: this.pageSize,
      frames: this.frames,
      freeFrames: state.freeCount,
      residentFrames: census.queued,
      dirtyFrames: census.dirty,
      busyFrames: state.busyCount,
      pinnedFrames: census.pinned,
      objects: this.objects.size,
      policy: this.queue.policy.name,
      metadataBytesPerFrame: FramePool.bytesPerFrame + this.queue.policy.bytesPerFrame,
    };
  }

  /**
   * Destroys every memory object; the instance can do nothing more. The first call reports the first
   * failure (a hook or an object whose pager failed); a later call waits for the first and resolves.
   */
  destroy(): Promise<void> {
    if (this.destroying) return this.destroying.catch(() => undefined);
    this.destroyed = true;
    this.destroying = this.shutdown();
    return this.destroying;
  }

  private async shutdown(): Promise<void> {
    const results: PromiseSettledResult<unknown>[] = [];
    // Hooks run one after another; one that throws at once is reported like one that rejects, and every
    // hook and object still runs.
    const runHooks = async (hooks: Set<() => void | Promise<void>>) => {
      for (const hook of hooks) results.push(...(await Promise.allSettled([Promise.resolve().then(hook)])));
    };
    await runHooks(this.beforeShutdownHooks);
    results.push(...(await Promise.allSettled([...this.objects.values()].map((o) => o.destroy()))));
    await runHooks(this.shutdownHooks);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private checkAlive(): void {
    if (this.destroyed) throw new DestroyedError('this spinvm instance');
  }
}

/**
 * The pool's frame count from `frames` or `poolSize`. A pool larger than this machine's memory is refused
 * up front: `frames` is a count of pages, and `{ frames: 64 << 20 }` meant as 64 MiB would ask for 256 GiB.
 */
function poolFrames(o: Partial<VmOptions>, pageSize: number): number {
  if (o.frames !== undefined && o.poolSize !== undefined) throw new InvalidArgumentError('options', o, 'frames or poolSize, not both');
  let frames = o.frames === undefined ? 1024 : o.frames;
  if (o.poolSize !== undefined) {
    checkPositive('poolSize', o.poolSize);
    frames = Math.floor(o.poolSize / pageSize);
    if (frames < 1) throw new InvalidArgumentError('poolSize', o.poolSize, `at least one page (${pageSize} bytes)`);
  }
  // Only once both are valid numbers: FramePool names a bad page size or frame count itself.
  if (Number.isSafeInteger(frames) && frames > 0 && isPageSize(pageSize) && frames * pageSize > totalmem()) {
    const argument = o.poolSize !== undefined ? 'poolSize' : 'frames';
    throw new InvalidArgumentError(
      argument,
      o.poolSize ?? frames,
      `a pool this machine can hold: ${frames} frames × ${pageSize} bytes is ${gib(frames * pageSize)}, more than its ${gib(totalmem())} of memory (frames counts pages; give poolSize for bytes)`,
    );
  }
  return frames;
}

function gib(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** A dense page table for objects small enough, SPIN's hash table for the rest. */
function defaultCache(pageCount: number): Cache {
  return pageCount <= PAGE_TABLE_MAX_PAGES ? new PageTableCache(pageCount) : new HashCache();
}

/** With `shared`: a page table in a SharedArrayBuffer, which workers read; the hash table (not shareable) past the limit. */
function sharedCache(pageCount: number): Cache {
  return pageCount <= PAGE_TABLE_MAX_PAGES ? new SharedPageTable(pageCount) : new HashCache();
}

function resolvePolicy(policy: unknown): () => ReplacementPolicy {
  if (policy === undefined) return BUILTIN_POLICIES['s3-adaptive']!;
  if (typeof policy === 'string') {
    const factory = Object.hasOwn(BUILTIN_POLICIES, policy) ? BUILTIN_POLICIES[policy] : undefined;
    if (!factory) throw new InvalidArgumentError('policy', policy, `one of ${Object.keys(BUILTIN_POLICIES).join(', ')}`);
    return factory;
  }
  if (typeof policy === 'function') {
    return () => {
      const made = (policy as PolicyFactory)();
      if (!made || typeof made.victim !== 'function' || typeof made.insert !== 'function') {
        throw new InvalidArgumentError('policy', made, 'a factory answering a ReplacementPolicy');
      }
      return made;
    };
  }
  throw new InvalidArgumentError('policy', policy, 'a policy name or a factory');
}
