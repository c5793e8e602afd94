import { closeSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { mapFile } from '../../pagers/index.js';
import { createVm, type MemoryObject } from '../../vmcore/index.js';
import { guarded, type Context } from '../context.js';
import { LruBufferCache } from '../peers.js';
import { faultIn } from './access.js';

/** Reads in 1 MiB, as fs.readSync and fs.promises do in the scan target. */
export const SCAN_CHUNK = 1 << 20;

/** spinvm's three ways through the file: a page at a time, and 1 MiB reads into a fresh result or into one reused buffer. */
const SCAN_VARIANTS = ['read', 'readInto', 'touch'] as const;
export const SCAN_IMPLS = {
  touch: 'spinvm request + getUint per page',
  read: 'spinvm read() 1 MiB',
  readInto: 'spinvm readInto 1 MiB, one reused buffer',
} as const satisfies Record<(typeof SCAN_VARIANTS)[number], string>;

/**
 * Workload 3, sequential scan of a file four times larger than the pool, through the file pager, against
 * fs.readSync and fs.promises in 1 MiB reads (the limit), kernel mmap, and an lru-cache buffer cache. Every
 * reader folds the first 4 bytes of every page into a checksum, so all of them see every page and agree.
 * spinvm scans once before it is timed (a warm pool); the file is in the kernel's page cache for every reader.
 */
export async function scan(ctx: Context): Promise<void> {
  const W = 'scan';
  const file = ctx.testFile();
  const { pageSize: ps, filePool } = ctx.sizes;
  const C = `file of ${file.bytes / 2 ** 20} MiB, pool ${(filePool * ps) / 2 ** 20} MiB`;
  ctx.progress(`scan: ${C}`);
  const bytes = file.bytes;
  const loops: Array<[string, () => number | Promise<number>]> = [];
  const cleanup: Array<() => void | Promise<void>> = [];
  const after: Array<(best: Map<string, { seconds: number; check: number }>) => Promise<void>> = [];

  try {
    // spinvm: one instance and one mapping per variant, each scanned once before the clock starts, so the
    // pool's memory has been touched (as in any process that has run a while): each timed scan is the
    // steady state, every page faulted in through the file pager (the pool holds a quarter of the file).
    for (const variant of SCAN_VARIANTS) {
      const impl = SCAN_IMPLS[variant];
      await guarded(ctx, W, C, impl, 'spinvm', async () => {
        const base = await ctx.settledRss();
        const vm = createVm({ pageSize: ps, frames: filePool });
        const mapped = await mapFile(vm, file.path);
        cleanup.push(async () => {
          await mapped.close();
          await vm.destroy();
        });
        const obj = mapped.object;
        const into = new Uint8Array(SCAN_CHUNK);
        const scanOnce = (): Promise<number> =>
          variant === 'read' ? spinRead(obj, bytes, ps) : variant === 'readInto' ? spinReadInto(obj, bytes, ps, into) : spinTouch(obj, bytes, ps);
        await scanOnce();
        // Measured here, while this variant's pool is the only one made since `base`: the variants after it
        // make pools of their own, which a measurement after the timed runs would charge to this one.
        const rss = (await ctx.settledRss()) - base;
        const before = { faults: obj.stat().faults, pageIns: obj.stat().pageIns, reads: fileReads(mapped) };
        let runs = 0;
        loops.push([impl, () => (runs++, scanOnce())]);
        after.push(async (best) => {
          const r = best.get(impl)!;
          const st = obj.stat();
          const vs = vm.stat();
          const per = (n: number): number => Math.round(n / Math.max(1, runs));
          const faults = per(st.faults - before.faults);
          ctx.add({
            workload: W,
            case: C,
            impl,
            role: 'spinvm',
            available: true,
            ops: file.pages,
            bytes,
            seconds: r.seconds,
            check: r.check,
            frames: vs.frames,
            faults,
            hitRatio: 1 - faults / file.pages,
            metadataBytesPerFrame: vs.metadataBytesPerFrame,
            poolBytes: filePool * ps,
            rssBytes: rss,
            extra: { pageIns: per(st.pageIns - before.pageIns), fileReads: per(fileReads(mapped) - before.reads) },
          });
        });
      });
    }

    // The limit: fs.readSync into one reused 1 MiB buffer; and fs.promises the same way.
    const buf = Buffer.allocUnsafe(SCAN_CHUNK);
    const fd = openSync(file.path, 'r');
    cleanup.push(() => closeSync(fd));
    loops.push([
      'fs.readSync 1 MiB',
      () => {
        let s = 0;
        for (let off = 0; off < bytes; off += SCAN_CHUNK) {
          const n = readSync(fd, buf, 0, Math.min(SCAN_CHUNK, bytes - off), off);
          s ^= foldPages(buf, n, ps);
        }
        return s >>> 0;
      },
    ]);
    const fh = await open(file.path, 'r');
    cleanup.push(() => fh.close());
    const pbuf = Buffer.allocUnsafe(SCAN_CHUNK);
    loops.push([
      'fs.promises read 1 MiB',
      async () => {
        let s = 0;
        for (let off = 0; off < bytes; off += SCAN_CHUNK) {
          const { bytesRead } = await fh.read(pbuf, 0, Math.min(SCAN_CHUNK, bytes - off), off);
          s ^= foldPages(pbuf, bytesRead, ps);
        }
        return s >>> 0;
      },
    ]);

    // The kernel's mmap: a fresh mapping per run, so every page is faulted in (from the page cache).
    const mm = ctx.peers.mmap;
    const MMAP = 'kernel mmap (@riaskov/mmap-io)';
    if (!mm.ok) ctx.unavailable(W, C, MMAP, 'peer', mm.reason);
    else {
      loops.push([
        MMAP,
        () => {
          const m = mm.value.map(bytes, mm.value.PROT_READ, mm.value.MAP_SHARED, fd, 0, mm.value.MADV_NORMAL);
          return foldPages(m, bytes, ps) >>> 0;
        },
      ]);
    }

    // What a user would write: an lru-cache of 4 KiB Buffers as large as the pool, filled by fs.readSync.
    const LRU = ctx.peers.lruCache;
    const LRUNAME = 'lru-cache + fs.readSync 4 KiB';
    let lruHit = 0;
    if (!LRU.ok) ctx.unavailable(W, C, LRUNAME, 'peer', LRU.reason);
    else {
      // One cache for every run, filled by a scan before the clock starts (as spinvm's pool is), so a timed
      // scan reuses its evicted buffers and allocates nothing.
      const cache = new LruBufferCache(LRU.value, fd, ps, filePool);
      const lruScan = (): number => {
        const h0 = cache.hits;
        const m0 = cache.misses;
        let s = 0;
        for (let p = 0; p < file.pages; p++) s ^= u32(cache.page(p).buffer, 0);
        lruHit = (cache.hits - h0) / Math.max(1, cache.hits - h0 + cache.misses - m0);
        return s >>> 0;
      };
      lruScan();
      loops.push([LRUNAME, lruScan]);
    }

    const best = await ctx.interleave(loops);
    for (const a of after) await a(best);
    for (const [name] of loops) {
      if (name.startsWith('spinvm')) continue;
      const r = best.get(name)!;
      ctx.add({
        workload: W,
        case: C,
        impl: name,
        role: 'peer',
        available: true,
        ops: file.pages,
        bytes,
        seconds: r.seconds,
        check: r.check,
        ...(name === LRUNAME ? { hitRatio: lruHit } : {}),
      });
    }
  } finally {
    for (const c of cleanup.reverse()) await c();
    await ctx.settledRss();
  }
}

async function spinRead(obj: MemoryObject, bytes: number, ps: number): Promise<number> {
  let s = 0;
  for (let off = 0; off < bytes; off += SCAN_CHUNK) {
    const n = Math.min(SCAN_CHUNK, bytes - off);
    const b = await obj.read(off, n);
    s ^= foldPages(b, n, ps);
  }
  return s >>> 0;
}

/** 1 MiB at a time into the caller's one buffer: no result allocated per read. */
async function spinReadInto(obj: MemoryObject, bytes: number, ps: number, into: Uint8Array): Promise<number> {
  let s = 0;
  for (let off = 0; off < bytes; off += SCAN_CHUNK) {
    const n = Math.min(SCAN_CHUNK, bytes - off);
    const dest = n === into.length ? into : into.subarray(0, n);
    await obj.readInto(off, dest);
    s ^= foldPages(dest, n, ps);
  }
  return s >>> 0;
}

/** The first 4 bytes of every page, a fault only where the page is absent (see faultIn). */
async function spinTouch(obj: MemoryObject, bytes: number, ps: number): Promise<number> {
  let s = 0;
  const pages = Math.ceil(bytes / ps);
  for (let p = 0; p < pages; p++) {
    const o = p * ps;
    const pending = faultIn(obj, o, p, 'read');
    if (pending !== undefined) await pending;
    s ^= obj.getUint(o, 4);
  }
  return s >>> 0;
}

/** The file pager's count of read calls (each reads a cluster of pages), when the mapping tells. */
function fileReads(mapped: unknown): number {
  return (mapped as { stat?: () => { reads?: number } }).stat?.().reads ?? -1;
}

export function u32(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24);
}

/** XOR of the first 4 bytes of every page in the first `n` bytes of `b` (n a multiple of the page size here). */
export function foldPages(b: Uint8Array, n: number, ps: number): number {
  let s = 0;
  for (let q = 0; q + 4 <= n; q += ps) s ^= u32(b, q);
  return s;
}
