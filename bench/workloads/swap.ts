import { closeSync, ftruncateSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { useDefaultPager } from '../../pagers/index.js';
import { createVm } from '../../vmcore/index.js';
import { guarded, type Context } from '../context.js';
import { now, Sampler } from '../measure.js';
import { LruBufferCache } from '../peers.js';
import { pageSequence, XorShift128 } from '../rng.js';
import { faultIn } from './access.js';

/** Skew of the write-heavy workload's pages: a hot set, and a long tail that keeps eviction busy. */
export const SWAP_ZIPF = 0.9;

/**
 * Workload 5, write-heavy with eviction to swap: 4-byte writes over an anonymous object four times the
 * pool, pages zipf-distributed, through the default pager (dirty pages are paged out to its swap files).
 * Against a plain Uint8Array and memory-pager holding everything in memory (no eviction: the limit), an
 * lru-cache write-back cache over a swap file (what a user would write), and a 4-byte fs.writeSync per
 * write (no cache at all).
 */
export async function swap(ctx: Context): Promise<void> {
  const W = 'swap';
  const { pageSize: ps, swapPool, swapOps: ops } = ctx.sizes;
  const pages = 4 * swapPool;
  const size = pages * ps;
  const C = `writes over ${size / 2 ** 20} MiB, pool ${(swapPool * ps) / 2 ** 20} MiB, zipf ${SWAP_ZIPF}`;
  ctx.progress(`swap: ${ops} 4-byte writes, ${C}`);

  const seq = pageSequence(ops, pages, SWAP_ZIPF, ctx.options.seed + 300);
  const rng = new XorShift128(ctx.options.seed + 301);
  const within = new Uint16Array(ops);
  const values = new Uint32Array(ops);
  for (let i = 0; i < ops; i++) {
    within[i] = rng.below(ps / 4) * 4;
    values[i] = rng.nextU32();
  }

  // spinvm: the default pager, paging out to swap files in the run's folder.
  {
    await guarded(ctx, W, C, 'spinvm default pager', 'spinvm', async () => {
      const base = await ctx.settledRss();
      const vm = createVm({ pageSize: ps, frames: swapPool });
      const dir = join(ctx.tmp, 'swap');
      mkdirSync(dir, { recursive: true });
      const space = await useDefaultPager(vm, { directory: dir });
      const obj = vm.createMemoryObject({ size, name: 'swap-heavy' });
      const sampler = new Sampler(64, Math.ceil(ops / 64));
      const t0 = now();
      for (let i = 0; i < ops; i++) {
        const p = seq[i]!;
        const timed = sampler.wants(i);
        const t = timed ? now() : 0;
        const o = p * ps + within[i]!;
        const pending = faultIn(obj, o, p, 'write');
        if (pending !== undefined) await pending;
        obj.setUint(o, 4, values[i]!);
        if (timed) sampler.add(now() - t);
      }
      const seconds = (now() - t0) / 1000;
      // Read back a sample of the writes (the last value written to each sampled place) to check nothing was lost.
      const lost = await verify(obj, seq, within, values, ps);
      const st = obj.stat();
      const vs = vm.stat();
      const extra: Record<string, number | string> = { pageIns: st.pageIns, pageOuts: st.pageOuts, evictions: st.evictions, lostWrites: lost };
      const swapStat = space.stat();
      for (const k of ['reads', 'writes', 'peakBytes', 'integrityErrors'] as const) extra[`swap.${k}`] = swapStat[k];
      ctx.add({
        workload: W,
        case: C,
        impl: 'spinvm default pager',
        role: 'spinvm',
        available: true,
        ops,
        seconds,
        ...sampler.percentiles(),
        frames: vs.frames,
        faults: st.faults,
        hitRatio: 1 - st.faults / ops,
        metadataBytesPerFrame: vs.metadataBytesPerFrame,
        poolBytes: vs.frames * ps,
        rssBytes: (await ctx.settledRss()) - base,
        extra,
      });
      await vm.destroy();
    });
  }

  // Everything in memory: the limit.
  {
    const a = new Uint8Array(size);
    a.fill(1); // touched before the clock starts: the limit, not the kernel's first-touch faults
    a.fill(0);
    const t0 = now();
    for (let i = 0; i < ops; i++) {
      const o = seq[i]! * ps + within[i]!;
      const v = values[i]!;
      a[o] = v;
      a[o + 1] = v >>> 8;
      a[o + 2] = v >>> 16;
      a[o + 3] = v >>> 24;
    }
    const seconds = (now() - t0) / 1000;
    ctx.add({ workload: W, case: C, impl: 'Uint8Array (all in memory, pre-touched)', role: 'peer', available: true, ops, seconds });
  }
  await ctx.settledRss();
  const MP = ctx.peers.memoryPager;
  if (!MP.ok) ctx.unavailable(W, C, 'memory-pager (all in memory)', 'peer', MP.reason);
  else {
    const mp = new MP.value(ps);
    const t0 = now();
    for (let i = 0; i < ops; i++) {
      const a = mp.get(seq[i]!).buffer;
      const o = within[i]!;
      const v = values[i]!;
      a[o] = v;
      a[o + 1] = v >>> 8;
      a[o + 2] = v >>> 16;
      a[o + 3] = v >>> 24;
    }
    const seconds = (now() - t0) / 1000;
    ctx.add({ workload: W, case: C, impl: 'memory-pager (all in memory)', role: 'peer', available: true, ops, seconds });
  }
  await ctx.settledRss();

  // An lru-cache write-back cache over a swap file: misses read the page, evictions write dirty pages back.
  const LRU = ctx.peers.lruCache;
  const swapFile = join(ctx.tmp, 'peer-swap.bin');
  if (!LRU.ok) ctx.unavailable(W, C, 'lru-cache write-back + fs', 'peer', LRU.reason);
  else {
    const fd = openSync(swapFile, 'w+');
    try {
      ftruncateSync(fd, size);
      const cache = new LruBufferCache(LRU.value, fd, ps, swapPool, true);
      const sampler = new Sampler(64, Math.ceil(ops / 64));
      const t0 = now();
      for (let i = 0; i < ops; i++) {
        const timed = sampler.wants(i);
        const t = timed ? now() : 0;
        const e = cache.page(seq[i]!);
        e.buffer.writeUInt32LE(values[i]!, within[i]!);
        e.dirty = true;
        if (timed) sampler.add(now() - t);
      }
      const seconds = (now() - t0) / 1000;
      ctx.add({
        workload: W,
        case: C,
        impl: 'lru-cache write-back + fs',
        role: 'peer',
        available: true,
        ops,
        seconds,
        ...sampler.percentiles(),
        hitRatio: cache.hitRatio,
        faults: cache.misses,
        extra: { pageOuts: cache.writes },
      });
    } finally {
      closeSync(fd);
    }
  }

  // No cache: every write goes to the file.
  {
    const fd = openSync(swapFile, 'w+');
    try {
      ftruncateSync(fd, size);
      const b = Buffer.allocUnsafe(4);
      const sampler = new Sampler(64, Math.ceil(ops / 64));
      const t0 = now();
      for (let i = 0; i < ops; i++) {
        const timed = sampler.wants(i);
        const t = timed ? now() : 0;
        b.writeUInt32LE(values[i]!, 0);
        writeSync(fd, b, 0, 4, seq[i]! * ps + within[i]!);
        if (timed) sampler.add(now() - t);
      }
      const seconds = (now() - t0) / 1000;
      ctx.add({ workload: W, case: C, impl: 'fs.writeSync 4 bytes per write', role: 'peer', available: true, ops, seconds, ...sampler.percentiles() });
    } finally {
      closeSync(fd);
    }
  }
}

/** Reads back up to 1000 written places (the last write to each) and counts those that do not hold their value. */
async function verify(
  obj: { request(p: number, a: 'read'): Promise<void> | undefined; getUint(o: number, s: 4): number },
  seq: Uint32Array,
  within: Uint16Array,
  values: Uint32Array,
  ps: number,
): Promise<number> {
  const last = new Map<number, number>();
  for (let i = 0; i < seq.length; i++) last.set(seq[i]! * ps + within[i]!, values[i]!);
  let lost = 0;
  let checked = 0;
  const step = Math.max(1, Math.floor(last.size / 1000));
  let k = 0;
  for (const [offset, value] of last) {
    if (k++ % step !== 0) continue;
    const pending = obj.request(Math.floor(offset / ps), 'read');
    if (pending !== undefined) await pending;
    if (obj.getUint(offset, 4) !== value) lost++;
    if (++checked >= 1000) break;
  }
  return lost;
}
