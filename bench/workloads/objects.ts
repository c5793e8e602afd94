import { createVm, type MemoryObject } from '../../vmcore/index.js';
import type { Context } from '../context.js';
import { now, Sampler } from '../measure.js';
import type { MemoryPagerInstance } from '../peers.js';
import { XorShift128 } from '../rng.js';
import { faultIn } from './access.js';

/**
 * Workload 6, ten thousand memory objects sharing one pool: making them, random 4-byte reads over all of
 * them while every page is resident, random reads with faults and eviction when the pool holds a quarter
 * of their pages, and destroying them. Against an array of Uint8Arrays, an array of memory-pagers, and an
 * lru-cache of zero pages keyed by (object, page).
 */
export async function objects(ctx: Context): Promise<void> {
  const W = 'objects';
  const { pageSize: ps, objects: count, objectPages, objectOps: ops } = ctx.sizes;
  const size = objectPages * ps;
  const totalPages = count * objectPages;
  ctx.progress(`objects: ${count} objects of ${objectPages} pages, ${ops} random reads`);

  const rng = new XorShift128(ctx.options.seed + 400);
  const which = new Uint32Array(ops);
  const offs = new Uint32Array(ops);
  for (let i = 0; i < ops; i++) {
    which[i] = rng.below(count);
    offs[i] = rng.below(size / 4) * 4;
  }
  const data = new Uint8Array(size * Math.min(count, 16));
  new XorShift128(ctx.options.seed + 401).fill(data);
  /** The contents of object k: one of 16 patterns, so the checksum depends on which object is read. */
  const contents = (k: number): Uint8Array => data.subarray((k % 16) * size, ((k % 16) + 1) * size);

  // ---- all resident ----
  const CR = `${count} objects, all pages resident`;
  const CM = `${count} objects, make and destroy`;
  {
    const base = await ctx.settledRss();
    const heap0 = process.memoryUsage().heapUsed;
    const vm = createVm({ pageSize: ps, frames: totalPages });
    const t0 = now();
    const objs: MemoryObject[] = new Array<MemoryObject>(count);
    for (let k = 0; k < count; k++) objs[k] = vm.createMemoryObject({ size });
    const makeSeconds = (now() - t0) / 1000;
    await ctx.settledRss();
    const heapPerObject = (process.memoryUsage().heapUsed - heap0) / count;
    for (let k = 0; k < count; k++) {
      const o = objs[k]!;
      for (let p = 0; p < objectPages; p++) o.request(p, 'write');
      o.writeSync(0, contents(k));
    }
    const r = await ctx.bestSync(() => {
      let s = 0;
      for (let i = 0; i < ops; i++) s ^= objs[which[i]!]!.getUint(offs[i]!, 4);
      return s >>> 0;
    });
    const vs = vm.stat();
    const faults = objs.reduce((n, o) => n + o.stat().faults, 0);
    ctx.add({
      workload: W,
      case: CR,
      impl: 'spinvm getUint',
      role: 'spinvm',
      available: true,
      ops,
      seconds: r.seconds,
      check: r.check,
      frames: vs.frames,
      faults: faults - totalPages,
      hitRatio: 1,
      metadataBytesPerFrame: vs.metadataBytesPerFrame,
      poolBytes: vs.frames * ps,
      rssBytes: (await ctx.settledRss()) - base,
      extra: { objects: vs.objects, heapBytesPerObject: Math.round(heapPerObject) },
    });
    const t1 = now();
    await Promise.all(objs.map((o) => o.destroy()));
    const destroySeconds = (now() - t1) / 1000;
    ctx.add({
      workload: W,
      case: CM,
      impl: 'spinvm createMemoryObject',
      role: 'spinvm',
      available: true,
      ops: count,
      seconds: makeSeconds,
      extra: { heapBytesPerObject: Math.round(heapPerObject) },
    });
    ctx.add({ workload: W, case: CM, impl: 'spinvm destroy (resident pages)', role: 'spinvm', available: true, ops: count, seconds: destroySeconds });
    await vm.destroy();
  }
  {
    const t0 = now();
    const arrays: Uint8Array[] = new Array<Uint8Array>(count);
    for (let k = 0; k < count; k++) arrays[k] = new Uint8Array(size);
    const makeSeconds = (now() - t0) / 1000;
    for (let k = 0; k < count; k++) arrays[k]!.set(contents(k));
    const r = await ctx.bestSync(() => {
      let s = 0;
      for (let i = 0; i < ops; i++) {
        const a = arrays[which[i]!]!;
        const o = offs[i]!;
        s ^= a[o]! | (a[o + 1]! << 8) | (a[o + 2]! << 16) | (a[o + 3]! << 24);
      }
      return s >>> 0;
    });
    ctx.add({ workload: W, case: CR, impl: 'Uint8Array per object', role: 'peer', available: true, ops, seconds: r.seconds, check: r.check });
    ctx.add({ workload: W, case: CM, impl: 'new Uint8Array per object', role: 'peer', available: true, ops: count, seconds: makeSeconds });
  }
  await ctx.settledRss();
  const MP = ctx.peers.memoryPager;
  if (!MP.ok) ctx.unavailable(W, CR, 'memory-pager per object', 'peer', MP.reason);
  else {
    const shift = Math.log2(ps);
    const mask = ps - 1;
    const t0 = now();
    const pagers: MemoryPagerInstance[] = new Array<MemoryPagerInstance>(count);
    for (let k = 0; k < count; k++) pagers[k] = new MP.value(ps);
    const makeSeconds = (now() - t0) / 1000;
    for (let k = 0; k < count; k++) for (let p = 0; p < objectPages; p++) pagers[k]!.get(p).buffer.set(contents(k).subarray(p * ps, (p + 1) * ps));
    const r = await ctx.bestSync(() => {
      let s = 0;
      for (let i = 0; i < ops; i++) {
        const o = offs[i]!;
        const a = pagers[which[i]!]!.get(o >>> shift).buffer;
        const w = o & mask;
        s ^= a[w]! | (a[w + 1]! << 8) | (a[w + 2]! << 16) | (a[w + 3]! << 24);
      }
      return s >>> 0;
    });
    ctx.add({ workload: W, case: CR, impl: 'memory-pager per object', role: 'peer', available: true, ops, seconds: r.seconds, check: r.check });
    ctx.add({ workload: W, case: CM, impl: 'new memory-pager per object', role: 'peer', available: true, ops: count, seconds: makeSeconds });
  }
  await ctx.settledRss();

  // ---- a pool of a quarter of the pages: faults and eviction across objects ----
  const pool = Math.max(4, Math.floor(totalPages / 4));
  const CE = `${count} objects, pool holds 1/4 of their pages`;
  const pageOf = new Uint8Array(ops);
  for (let i = 0; i < ops; i++) pageOf[i] = Math.floor(offs[i]! / ps);
  {
    const base = await ctx.settledRss();
    const vm = createVm({ pageSize: ps, frames: pool });
    const objs: MemoryObject[] = [];
    for (let k = 0; k < count; k++) objs.push(vm.createMemoryObject({ size }));
    const sampler = new Sampler(64, Math.ceil(ops / 64));
    const t0 = now();
    let s = 0;
    for (let i = 0; i < ops; i++) {
      const o = objs[which[i]!]!;
      const timed = sampler.wants(i);
      const t = timed ? now() : 0;
      const off = offs[i]!;
      const pending = faultIn(o, off, pageOf[i]!, 'read');
      if (pending !== undefined) await pending;
      s ^= o.getUint(off, 4);
      if (timed) sampler.add(now() - t);
    }
    const seconds = (now() - t0) / 1000;
    const vs = vm.stat();
    const faults = objs.reduce((n, o) => n + o.stat().faults, 0);
    ctx.add({
      workload: W,
      case: CE,
      impl: 'spinvm request + getUint',
      role: 'spinvm',
      available: true,
      ops,
      seconds,
      check: s >>> 0,
      ...sampler.percentiles(),
      frames: vs.frames,
      faults,
      hitRatio: 1 - faults / ops,
      metadataBytesPerFrame: vs.metadataBytesPerFrame,
      poolBytes: vs.frames * ps,
      rssBytes: (await ctx.settledRss()) - base,
    });
    await vm.destroy();
  }
  const LRU = ctx.peers.lruCache;
  if (!LRU.ok) ctx.unavailable(W, CE, 'lru-cache of zero pages', 'peer', LRU.reason);
  else {
    // As a careful user writes it: the page the cache evicts is zeroed and reused by the next miss.
    let spare: Uint8Array | undefined;
    const cache = new LRU.value<Uint8Array>({
      max: pool,
      dispose: (page, _key, reason) => {
        if (reason === 'evict') spare = page;
      },
    });
    let hits = 0;
    const sampler = new Sampler(64, Math.ceil(ops / 64));
    const t0 = now();
    let s = 0;
    for (let i = 0; i < ops; i++) {
      const timed = sampler.wants(i);
      const t = timed ? now() : 0;
      const key = which[i]! * objectPages + pageOf[i]!;
      let a = cache.get(key);
      if (a === undefined) {
        if (spare === undefined) a = new Uint8Array(ps);
        else {
          a = spare.fill(0);
          spare = undefined;
        }
        cache.set(key, a);
      } else hits++;
      const o = offs[i]! & (ps - 1);
      s ^= a[o]! | (a[o + 1]! << 8) | (a[o + 2]! << 16) | (a[o + 3]! << 24);
      if (timed) sampler.add(now() - t);
    }
    const seconds = (now() - t0) / 1000;
    ctx.add({
      workload: W,
      case: CE,
      impl: 'lru-cache of zero pages',
      role: 'peer',
      available: true,
      ops,
      seconds,
      check: s >>> 0,
      ...sampler.percentiles(),
      hitRatio: hits / ops,
      faults: ops - hits,
    });
  }
}
