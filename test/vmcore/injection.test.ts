import { inject, injectable } from 'inversify';
import { describe, expect, it } from 'vitest';
import {
  BUILTIN_POLICIES,
  BogoPager,
  FifoPolicy,
  HashCache,
  InvalidArgumentError,
  Pager,
  TOKENS,
  createVm,
  type CacheFactory,
  type PagerContext,
  type ReplacementPolicy,
  type Vm,
  PageTableCache,
  PAGE_TABLE_MAX_PAGES,
} from '../../vmcore/index.js';
import { FramePool } from '../../vmcore/frames/frame-pool.js';
import { PageQueue } from '../../vmcore/page-queue/page-queue.js';
import { RecordingPager, pattern } from '../helpers/pagers.js';
import { PS, smallVm } from '../helpers/small.js';

/** Every SurvivingPager constructed, in order (reset by each test that counts). */
let made: SurvivingPager[] = [];

/** A RecordingPager (its data survives eviction) that remembers the context it was given. */
class SurvivingPager extends RecordingPager {
  initContext: PagerContext | undefined;
  constructor() {
    super();
    made.push(this);
  }
  override init(context: PagerContext): void {
    super.init(context);
    this.initContext = context;
  }
}

/** The same, decorated: inversify 8 binds both (the plain one inherits nothing it needs to be told about). */
@injectable()
class InjectableSurvivingPager extends SurvivingPager {}

/** Constructor injection from the instance's container. */
@injectable()
class InjectedPager extends RecordingPager {
  constructor(
    @inject(TOKENS.Vm) readonly vm: Vm,
    @inject(TOKENS.PageSize) readonly injectedPageSize: number,
    @inject(TOKENS.FramePool) readonly pool: FramePool,
  ) {
    super();
  }
}

class CountingCache extends HashCache {
  lookups = 0;
  updates = 0;
  invalidations = 0;
  override lookup(page: number): number {
    this.lookups++;
    return super.lookup(page);
  }
  override update(page: number, frame: number): void {
    this.updates++;
    super.update(page, frame);
  }
  override invalidate(page: number): void {
    this.invalidations++;
    super.invalidate(page);
  }
}

describe('TOKENS resolve from vm.container', () => {
  it('page size, frames, the Vm itself', () => {
    const vm = createVm({ pageSize: 1024, frames: 6 });
    expect(vm.container.get<number>(TOKENS.PageSize)).toBe(1024);
    expect(vm.container.get<number>(TOKENS.Frames)).toBe(6);
    expect(vm.container.get<Vm>(TOKENS.Vm)).toBe(vm);
    const own = [
      TOKENS.PageSize,
      TOKENS.Frames,
      TOKENS.FramePool,
      TOKENS.ReplacementPolicy,
      TOKENS.PageQueue,
      TOKENS.CacheFactory,
      TOKENS.DefaultPager,
      TOKENS.Vm,
    ];
    for (const token of own) expect(vm.container.isBound(token)).toBe(true);
    // The other layers' keys stay free until those layers bind them (useFilePager, useDefaultPager, extensionsOf).
    for (const token of Object.values(TOKENS).filter((t) => !own.includes(t) && t !== TOKENS.Pager)) expect(vm.container.isBound(token)).toBe(false);
  });

  it('the defaults: page size 4096, 1024 frames, s3-adaptive', () => {
    const vm = createVm();
    expect(vm.container.get<number>(TOKENS.PageSize)).toBe(4096);
    expect(vm.container.get<number>(TOKENS.Frames)).toBe(1024);
    expect(vm.container.get<ReplacementPolicy>(TOKENS.ReplacementPolicy).name).toBe('s3-adaptive');
  });

  it('the frame pool and the page queue are singletons, wired to each other and to the policy', async () => {
    const vm = smallVm({ frames: 5 });
    const pool = vm.container.get<FramePool>(TOKENS.FramePool);
    expect(pool).toBeInstanceOf(FramePool);
    expect(vm.container.get(TOKENS.FramePool)).toBe(pool);
    expect(pool.pageSize).toBe(PS);
    expect(pool.frames).toBe(5);
    const queue = vm.container.get<PageQueue>(TOKENS.PageQueue);
    expect(queue).toBeInstanceOf(PageQueue);
    expect(vm.container.get(TOKENS.PageQueue)).toBe(queue);
    expect(queue.pool).toBe(pool);
    expect(queue.policy).toBe(vm.container.get(TOKENS.ReplacementPolicy));
    // It is the pool the instance uses.
    const obj = vm.createMemoryObject({ size: 2 * PS });
    await obj.write(0, pattern(PS, 1));
    expect(pool.freeCount).toBe(4);
    expect(vm.stat().freeFrames).toBe(pool.freeCount);
  });

  it.each(Object.keys(BUILTIN_POLICIES))('policy %s by name: resolved as a singleton and used by the instance', (name) => {
    const vm = smallVm({ frames: 4, policy: name });
    const policy = vm.container.get<ReplacementPolicy>(TOKENS.ReplacementPolicy);
    expect(policy.name).toBe(name);
    expect(vm.container.get(TOKENS.ReplacementPolicy)).toBe(policy);
    expect(vm.stat().policy).toBe(name);
    expect(vm.container.get<PageQueue>(TOKENS.PageQueue).policy).toBe(policy);
  });

  it('policy by factory: called once, its policy is the one resolved', async () => {
    class MinePolicy extends FifoPolicy {
      override readonly name = 'mine';
      inserted = 0;
      override insert(frame: number, key: number): void {
        this.inserted++;
        super.insert(frame, key);
      }
    }
    let calls = 0;
    const vm = smallVm({ frames: 2, policy: () => (calls++, new MinePolicy()) });
    const policy = vm.container.get<MinePolicy>(TOKENS.ReplacementPolicy);
    expect(policy).toBeInstanceOf(MinePolicy);
    expect(calls).toBe(1);
    expect(vm.stat().policy).toBe('mine');
    const obj = vm.createMemoryObject({ size: 3 * PS, pager: new RecordingPager() });
    for (let p = 0; p < 3; p++) await obj.write(p * PS, pattern(PS, p));
    expect(policy.inserted).toBe(3);
    expect(calls).toBe(1);
  });

  it('the cache factory makes a fresh cache each time: a page table up to 2^20 pages, a hash table beyond', () => {
    const vm = smallVm({ frames: 2 });
    const factory = vm.container.get<CacheFactory>(TOKENS.CacheFactory);
    expect(typeof factory).toBe('function');
    const a = factory(3);
    const b = factory(3);
    expect(a).toBeInstanceOf(PageTableCache);
    expect(a).not.toBe(b);
    expect(a.count).toBe(0);
    expect(factory(PAGE_TABLE_MAX_PAGES)).toBeInstanceOf(PageTableCache);
    expect(factory(PAGE_TABLE_MAX_PAGES + 1)).toBeInstanceOf(HashCache);
    const big = vm.createMemoryObject({ size: (PAGE_TABLE_MAX_PAGES + 1) * PS });
    expect(big.request(PAGE_TABLE_MAX_PAGES, 'write')).toBeUndefined();
    big.setUint(PAGE_TABLE_MAX_PAGES * PS, 4, 7);
    expect(big.getUint(PAGE_TABLE_MAX_PAGES * PS, 4)).toBe(7);
  });

  it('the default pager is transient: a fresh BogoPager per resolution', () => {
    const vm = smallVm({ frames: 2 });
    const a = vm.container.get<Pager>(TOKENS.DefaultPager);
    const b = vm.container.get<Pager>(TOKENS.DefaultPager);
    expect(a).toBeInstanceOf(BogoPager);
    expect(b).toBeInstanceOf(BogoPager);
    expect(a).not.toBe(b);
  });

  it('two instances have their own containers and parts', () => {
    const one = smallVm({ frames: 2 });
    const two = smallVm({ frames: 2 });
    expect(one.container).not.toBe(two.container);
    for (const token of [TOKENS.FramePool, TOKENS.PageQueue, TOKENS.ReplacementPolicy, TOKENS.Vm]) {
      expect(one.container.get(token)).not.toBe(two.container.get(token));
    }
  });

  // Added in review with named pagers: a name resolves through the container; an unknown one is a typed error.
  it('named pagers resolve from the container; an unknown name is a typed error', async () => {
    const vm = smallVm({ frames: 2 });
    vm.container.bind(TOKENS.Pager).to(RecordingPager).inTransientScope().whenNamed('recording');
    const a = vm.createMemoryObject({ size: PS, pager: 'recording' });
    const b = vm.createMemoryObject({ size: PS, pager: 'recording' });
    expect(a.pager).toBeInstanceOf(RecordingPager);
    expect(a.pager).not.toBe(b.pager);
    expect(() => vm.createMemoryObject({ size: PS, pager: 'nope' })).toThrow(/the name of a registered pager/);
  });
});

describe('the default pager', () => {
  it('is the BogoPager out of the box: zero-filled pages, dirty pages stay resident', async () => {
    const vm = smallVm({ frames: 3 });
    const obj = vm.createMemoryObject({ size: 4 * PS });
    expect(obj.pager).toBeInstanceOf(BogoPager);
    expect(obj.pager.refillsCleanPages).toBe(true);
    expect(await obj.read(0, 4 * PS)).toEqual(new Uint8Array(4 * PS)); // four clean pages through three frames
    await obj.write(0, pattern(PS, 1));
    await obj.write(PS, pattern(PS, 2));
    await obj.read(2 * PS, PS);
    await obj.read(3 * PS, PS); // clean pages are dropped and zero-filled again; the dirty ones stay
    expect(obj.stat().dirtyPages).toBe(2);
    expect(obj.readSync(0, 2 * PS)).toEqual(new Uint8Array([...pattern(PS, 1), ...pattern(PS, 2)]));
    expect(obj.stat().pageOuts).toBe(0);
  });

  it('each createMemoryObject without a pager gets a fresh pager instance', () => {
    const vm = smallVm({ frames: 2 });
    const objects = Array.from({ length: 5 }, (_, i) => vm.createMemoryObject({ size: (i + 1) * PS }));
    const pagers = new Set(objects.map((o) => o.pager));
    expect(pagers.size).toBe(5);
    for (const p of pagers) expect(p).toBeInstanceOf(BogoPager);
  });
});

/** The two ways to rebind the default pager at runtime. */
const REBINDERS: Array<readonly [string, (vm: Vm, PagerClass: new () => Pager) => void]> = [
  ['vm.container.rebind(TOKENS.DefaultPager).to(X).inTransientScope()', (vm, X) => vm.container.rebind<Pager>(TOKENS.DefaultPager).to(X).inTransientScope()],
  ['vm.setDefaultPager(X)', (vm, X) => vm.setDefaultPager(X)],
];
const PAGER_CLASSES: Array<readonly [string, typeof SurvivingPager]> = [
  ['a plain subclass', SurvivingPager],
  ['an @injectable() subclass', InjectableSurvivingPager],
];
const MATRIX = REBINDERS.flatMap(([how, rebind]) => PAGER_CLASSES.map(([what, X]) => [how, what, rebind, X] as const));

describe('rebinding the default pager at runtime', () => {
  it.each(MATRIX)('%s with %s: later objects use X, earlier ones keep the bogopager and keep working', async (_how, _what, rebind, X) => {
    made = [];
    const vm = smallVm({ frames: 4, policy: 'fifo' });
    const early = vm.createMemoryObject({ size: 2 * PS, name: 'early' });
    await early.write(0, pattern(PS, 100));

    rebind(vm, X);
    expect(made).toHaveLength(0); // nothing is made until an object asks

    const late = vm.createMemoryObject({ size: 6 * PS, name: 'late' });
    const late2 = vm.createMemoryObject({ size: PS, name: 'late2' });
    expect(late.pager).toBeInstanceOf(X);
    expect(late2.pager).toBeInstanceOf(X);
    expect(late.pager).not.toBe(late2.pager);
    expect(made).toEqual([late.pager, late2.pager]); // exactly one construction per object
    const pager = late.pager as SurvivingPager;
    expect(pager.initContext).toEqual({ pageSize: PS, size: 6 * PS, pageCount: 6, name: 'late' });
    expect(early.pager).toBeInstanceOf(BogoPager);
    expect(early.pager).not.toBeInstanceOf(RecordingPager);

    // Six pages through the three frames the early object leaves: X's data survives eviction.
    for (let p = 0; p < 6; p++) await late.write(p * PS, pattern(PS, 10 + p));
    for (let p = 0; p < 6; p++) expect(await late.read(p * PS, PS)).toEqual(pattern(PS, 10 + p));
    expect(late.stat().pageOuts).toBeGreaterThan(0);
    expect(late.stat().evictions).toBeGreaterThan(0);
    expect(pager.store.size).toBeGreaterThan(0);
    expect(pager.pageOuts).toBeGreaterThan(0);

    // The bogopager object's dirty page stayed resident throughout.
    expect(early.isResident(0, PS)).toBe(true);
    expect(early.stat().dirtyPages).toBe(1);
    expect(early.stat().pageOuts).toBe(0);
    expect(early.readSync(0, PS)).toEqual(pattern(PS, 100));

    // And it keeps working under pressure: a second dirty page, then more traffic from the others.
    await early.write(PS, pattern(PS, 101));
    await late2.write(0, pattern(PS, 200));
    for (let p = 5; p >= 0; p--) expect(await late.read(p * PS, PS)).toEqual(pattern(PS, 10 + p));
    expect(await late2.read(0, PS)).toEqual(pattern(PS, 200));
    expect(early.stat().dirtyPages).toBe(2);
    expect(await early.read(0, 2 * PS)).toEqual(new Uint8Array([...pattern(PS, 100), ...pattern(PS, 101)]));
    expect(vm.stat()).toMatchObject({ objects: 3, busyFrames: 0, pinnedFrames: 0, freeFrames: 0 });

    // Destroying the early object hands its two frames back; the others are untouched.
    await early.destroy();
    expect(vm.stat().freeFrames).toBe(2);
    expect(await late.read(3 * PS, PS)).toEqual(pattern(PS, 13));
  });

  it.each(REBINDERS)('%s: a pager injected with the container (Vm, page size, pool)', (_how, rebind) => {
    const vm = createVm({ pageSize: 2048, frames: 2 });
    rebind(vm, InjectedPager as unknown as new () => Pager);
    const obj = vm.createMemoryObject({ size: 2048 });
    const pager = obj.pager as InjectedPager;
    expect(pager).toBeInstanceOf(InjectedPager);
    expect(pager.vm).toBe(vm);
    expect(pager.injectedPageSize).toBe(2048);
    expect(pager.pool).toBe(vm.container.get(TOKENS.FramePool));
  });

  it('the last rebinding wins, and the bogopager can be bound back', () => {
    const vm = smallVm({ frames: 2 });
    vm.setDefaultPager(SurvivingPager);
    vm.container.rebind<Pager>(TOKENS.DefaultPager).to(InjectableSurvivingPager).inTransientScope();
    expect(vm.createMemoryObject({ size: PS }).pager).toBeInstanceOf(InjectableSurvivingPager);
    vm.setDefaultPager(RecordingPager);
    const recording = vm.createMemoryObject({ size: PS }).pager;
    expect(recording).toBeInstanceOf(RecordingPager);
    expect(recording).not.toBeInstanceOf(SurvivingPager);
    vm.setDefaultPager(BogoPager);
    expect(vm.createMemoryObject({ size: PS }).pager).toBeInstanceOf(BogoPager);
  });

  it('rebinding in one instance does not touch another', () => {
    const one = smallVm({ frames: 2 });
    const two = smallVm({ frames: 2 });
    one.setDefaultPager(SurvivingPager);
    expect(one.createMemoryObject({ size: PS }).pager).toBeInstanceOf(SurvivingPager);
    expect(two.createMemoryObject({ size: PS }).pager).toBeInstanceOf(BogoPager);
  });

  it('an explicit pager still wins over the rebound default', () => {
    const vm = smallVm({ frames: 2 });
    vm.setDefaultPager(SurvivingPager);
    const mine = new RecordingPager();
    expect(vm.createMemoryObject({ size: PS, pager: mine }).pager).toBe(mine);
  });

  it('a default pager bound to something that is not a Pager is refused, and nothing changes', async () => {
    const vm = smallVm({ frames: 2 });
    const keep = vm.createMemoryObject({ size: PS, name: 'keep' });
    await keep.write(0, pattern(PS, 1));
    vm.container.rebind(TOKENS.DefaultPager).toConstantValue({ pageIn: () => 0, pageOut: () => 0 });
    const before = vm.stat();
    let err: unknown;
    try {
      vm.createMemoryObject({ size: PS });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as InvalidArgumentError).argument).toBe('the bound default pager');
    expect(vm.stat()).toEqual(before);
    expect(vm.memoryObjects()).toEqual([keep]);
    expect(vm.createMemoryObject({ size: PS, pager: new RecordingPager() }).pager).toBeInstanceOf(RecordingPager);
  });

  // Pins a bug found in review: a default pager bound in the container was not checked like a given one.
  it('a default pager bound as a constant cannot serve two objects', () => {
    const vm = smallVm({ frames: 2 });
    vm.container.rebind(TOKENS.DefaultPager).toConstantValue(new RecordingPager());
    vm.createMemoryObject({ size: PS });
    expect(() => vm.createMemoryObject({ size: PS })).toThrow(/not already serving another memory object/);
    expect(vm.stat().objects).toBe(1);
  });
});

describe('rebinding TOKENS.CacheFactory', () => {
  it('a custom counting cache is used by objects created afterwards, one fresh cache each', async () => {
    const vm = smallVm({ frames: 2, policy: 'fifo' });
    const early = vm.createMemoryObject({ size: 2 * PS, pager: new RecordingPager() });
    const caches: Array<{ pageCount: number; cache: CountingCache }> = [];
    vm.container.rebind<CacheFactory>(TOKENS.CacheFactory).toConstantValue((pageCount) => {
      const cache = new CountingCache();
      caches.push({ pageCount, cache });
      return cache;
    });
    await early.write(0, pattern(PS, 1));
    expect(caches).toHaveLength(0); // the early object has its own HashCache

    const late = vm.createMemoryObject({ size: 3 * PS - 7, pager: new RecordingPager() });
    expect(caches.map((c) => c.pageCount)).toEqual([3]);
    const { cache } = caches[0]!;
    for (let p = 0; p < 3; p++) await late.write(p * PS, pattern(Math.min(PS, 3 * PS - 7 - p * PS), p + 5));
    expect(cache.updates).toBe(3);
    expect(cache.lookups).toBeGreaterThanOrEqual(3);
    expect(cache.invalidations).toBeGreaterThan(0); // three pages through two frames shared with `early`
    expect(late.stat().residentPages).toBe(cache.count);
    for (let p = 0; p < 3; p++) expect(await late.read(p * PS, Math.min(PS, 3 * PS - 7 - p * PS))).toEqual(pattern(Math.min(PS, 3 * PS - 7 - p * PS), p + 5));
    expect(await early.read(0, PS)).toEqual(pattern(PS, 1));

    const lateToo = vm.createMemoryObject({ size: PS });
    expect(caches).toHaveLength(2);
    expect(caches[1]!.cache).not.toBe(cache);
    const updatesBefore = cache.updates;
    await lateToo.write(0, pattern(PS, 9));
    expect(caches[1]!.cache.updates).toBe(1);
    expect(cache.updates).toBe(updatesBefore);

    // Destroying clears the object's cache.
    await late.destroy();
    expect(cache.count).toBe(0);
  });
});
