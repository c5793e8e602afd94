import { openSync, closeSync } from 'node:fs';
import { createVm, type MemoryObject } from '../../vmcore/index.js';
import { guarded, type Context } from '../context.js';
import { now, Sampler } from '../measure.js';
import type { Row } from '../results.js';

/**
 * Workload 2, zero-fill faults: a million fresh anonymous pages touched once each, through the bogopager's
 * synchronous path (`request(page, 'write')` answers undefined). One fault in 64 is timed on its own for
 * the percentiles; the mean is the whole run over the count.
 *
 * Two spinvm cases: a warm pool (its memory touched once before, as it is in any process that has run a
 * while; the first pool's worth of faults take free frames, the rest reclaim clean pages), and a cold pool
 * (every fault also pays the kernel's first touch of the frame's memory).
 */
export async function faults(ctx: Context): Promise<void> {
  const W = 'faults';
  const { pageSize: ps, faultPages, faultPool, coldPool, peerFaultPages } = ctx.sizes;
  const WARM = `${faultPages} fresh pages, warm pool of ${faultPool}`;
  const COLD = `${coldPool} fresh pages, cold pool`;
  ctx.progress(`faults: ${faultPages} fresh pages through a pool of ${faultPool} frames; cold pool ${coldPool}`);

  // Warm pool: touch every frame once through a throwaway object, then give the frames back.
  {
    const base = await ctx.settledRss();
    const vm = createVm({ pageSize: ps, frames: faultPool });
    const warm = vm.createMemoryObject({ size: faultPool * ps, name: 'warm-up' });
    for (let p = 0; p < faultPool; p++) warm.request(p, 'write');
    await warm.destroy();
    const obj = vm.createMemoryObject({ size: faultPages * ps, name: 'anonymous' });
    const sampler = new Sampler(64, Math.ceil(faultPages / 64));
    const t0 = now();
    const asyncFaults = touch(obj, faultPages, sampler);
    const seconds = (now() - t0) / 1000;
    const st = obj.stat();
    const vs = vm.stat();
    ctx.add({
      workload: W,
      case: WARM,
      impl: 'spinvm request(p, write)',
      role: 'spinvm',
      available: true,
      ops: faultPages,
      seconds,
      ...sampler.percentiles(),
      frames: vs.frames,
      faults: st.faults,
      hitRatio: 0,
      metadataBytesPerFrame: vs.metadataBytesPerFrame,
      poolBytes: vs.frames * ps,
      rssBytes: (await ctx.settledRss()) - base,
      extra: { evictions: st.evictions, asyncFaults },
    });
    await vm.destroy();
  }

  // Cold pool: each frame's memory is touched for the first time by its fault.
  {
    const base = await ctx.settledRss();
    const vm = createVm({ pageSize: ps, frames: coldPool });
    const obj = vm.createMemoryObject({ size: coldPool * ps, name: 'anonymous-cold' });
    const sampler = new Sampler(64, Math.ceil(coldPool / 64));
    const t0 = now();
    const asyncFaults = touch(obj, coldPool, sampler);
    const seconds = (now() - t0) / 1000;
    const vs = vm.stat();
    ctx.add({
      workload: W,
      case: COLD,
      impl: 'spinvm request(p, write)',
      role: 'spinvm',
      available: true,
      ops: coldPool,
      seconds,
      ...sampler.percentiles(),
      frames: vs.frames,
      faults: obj.stat().faults,
      hitRatio: 0,
      metadataBytesPerFrame: vs.metadataBytesPerFrame,
      poolBytes: vs.frames * ps,
      rssBytes: (await ctx.settledRss()) - base,
      extra: { asyncFaults },
    });
    await vm.destroy();
  }

  // What a careful user would write: a ring of pages as large as the pool, touched once before the clock
  // starts (as spinvm's warm pool is); each fresh page takes the oldest one and zeroes it.
  await ctx.settledRss();
  {
    const ring: Uint8Array[] = [];
    for (let k = 0; k < faultPool; k++) ring.push(new Uint8Array(ps).fill(1));
    const sampler = new Sampler(64, Math.ceil(faultPages / 64));
    const t0 = now();
    for (let p = 0; p < faultPages; p++) {
      if (sampler.wants(p)) {
        const t = now();
        ring[p % faultPool]!.fill(0);
        sampler.add(now() - t);
      } else ring[p % faultPool]!.fill(0);
    }
    const seconds = (now() - t0) / 1000;
    ctx.add({
      workload: W,
      case: WARM,
      impl: 'Uint8Array ring of pool size, oldest page zeroed',
      role: 'peer',
      available: true,
      ops: faultPages,
      seconds,
      ...sampler.percentiles(),
    });
  }
  // What a hasty user writes: a fresh zeroed Uint8Array per page, the oldest dropped past the pool's count.
  await ctx.settledRss();
  {
    const ring: Uint8Array[] = new Array<Uint8Array>(faultPool);
    const sampler = new Sampler(64, Math.ceil(faultPages / 64));
    const t0 = now();
    for (let p = 0; p < faultPages; p++) {
      if (sampler.wants(p)) {
        const t = now();
        ring[p % faultPool] = new Uint8Array(ps);
        sampler.add(now() - t);
      } else ring[p % faultPool] = new Uint8Array(ps);
    }
    const seconds = (now() - t0) / 1000;
    ctx.add({
      workload: W,
      case: WARM,
      impl: 'new Uint8Array(page), ring of pool size',
      role: 'peer',
      available: true,
      ops: faultPages,
      seconds,
      ...sampler.percentiles(),
    });
  }
  await ctx.settledRss();

  // memory-pager: a zero-filled Buffer on first get; it never evicts, so it gets fewer pages.
  const MP = ctx.peers.memoryPager;
  if (!MP.ok) ctx.unavailable(W, WARM, 'memory-pager get', 'peer', MP.reason);
  else {
    const n = Math.min(faultPages, peerFaultPages);
    let mp = new MP.value(ps);
    const sampler = new Sampler(64, Math.ceil(n / 64));
    const t0 = now();
    for (let p = 0; p < n; p++) {
      if (sampler.wants(p)) {
        const t = now();
        mp.get(p);
        sampler.add(now() - t);
      } else mp.get(p);
    }
    const seconds = (now() - t0) / 1000;
    ctx.add({
      workload: W,
      case: WARM,
      impl: 'memory-pager get',
      role: 'peer',
      available: true,
      ops: n,
      seconds,
      ...sampler.percentiles(),
      note: `${n} pages: it cannot evict`,
    });
    mp = new MP.value(ps);
    void mp;
    await ctx.settledRss();
  }

  // The kernel: the first write to each page of fresh anonymous memory (a new ArrayBuffer, calloc'd by V8).
  {
    const n = Math.min(faultPages, peerFaultPages);
    let a: Uint8Array | undefined = new Uint8Array(n * ps);
    const r = kernelTouch(a, n, ps);
    a = undefined;
    ctx.add({
      workload: W,
      case: WARM,
      impl: 'kernel: first write to fresh ArrayBuffer page',
      role: 'peer',
      available: true,
      ops: n,
      ...r,
      note: `${n} pages`,
    });
    await ctx.settledRss();
  }
  // The kernel through mmap: a private mapping of /dev/zero (anonymous memory), one write per page.
  const mm = ctx.peers.mmap;
  if (!mm.ok) ctx.unavailable(W, WARM, 'kernel mmap (@riaskov/mmap-io) write fault', 'peer', mm.reason);
  else {
    await guarded(ctx, W, WARM, 'kernel mmap (@riaskov/mmap-io) write fault', 'peer', async () => {
      const n = Math.min(faultPages, peerFaultPages);
      const fd = openSync('/dev/zero', 'r+');
      let a: Uint8Array | undefined;
      try {
        a = mm.value.map(n * ps, mm.value.PROT_READ | mm.value.PROT_WRITE, mm.value.MAP_PRIVATE, fd, 0);
      } finally {
        closeSync(fd);
      }
      const r = kernelTouch(a, n, ps);
      a = undefined;
      ctx.add({
        workload: W,
        case: WARM,
        impl: 'kernel mmap (@riaskov/mmap-io) write fault',
        role: 'peer',
        available: true,
        ops: n,
        ...r,
        note: `${n} pages of /dev/zero, MAP_PRIVATE`,
      });
      await ctx.settledRss();
    });
  }
}

/** Faults pages 0 .. n-1 in for writing; answers how many went asynchronous (none should). */
function touch(obj: MemoryObject, n: number, sampler: Sampler): number {
  let async = 0;
  for (let p = 0; p < n; p++) {
    let answer: Promise<void> | undefined;
    if (sampler.wants(p)) {
      const t = now();
      answer = obj.request(p, 'write');
      sampler.add(now() - t);
    } else answer = obj.request(p, 'write');
    if (answer !== undefined) {
      async++;
      answer.catch(() => {});
    }
  }
  return async;
}

function kernelTouch(a: Uint8Array, n: number, ps: number): Pick<Row, 'seconds' | 'p50Ns' | 'p99Ns'> {
  const sampler = new Sampler(64, Math.ceil(n / 64));
  const t0 = now();
  for (let p = 0; p < n; p++) {
    if (sampler.wants(p)) {
      const t = now();
      a[p * ps] = 1;
      sampler.add(now() - t);
    } else a[p * ps] = 1;
  }
  return { seconds: (now() - t0) / 1000, ...sampler.percentiles() };
}
