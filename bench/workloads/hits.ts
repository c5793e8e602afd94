import { createAddressSpace, createVm, HashCache, TOKENS, type AddressSpace, type CacheFactory, type MemoryObject } from '../../vmcore/index.js';
import { guarded, type Context } from '../context.js';
import type { MemoryPagerInstance } from '../peers.js';
import { XorShift128 } from '../rng.js';

/**
 * Workload 1, resident hits: millions of random 1- to 8-byte reads over pages that are all resident, through
 * a memory object (getUint, readSync) and an address space, against a plain Uint8Array (the limit) and
 * memory-pager. Offsets are naturally aligned (a 4-byte read at a multiple of 4), so no read straddles two
 * pages. Every implementation reads the same bytes at the same offsets; their checksums must agree.
 */
export async function hits(ctx: Context): Promise<void> {
  const W = 'hits';
  const { pageSize: ps, hitPages: pages, hitOps: ops } = ctx.sizes;
  const size = pages * ps;
  const shift = Math.log2(ps);
  ctx.progress(`hits: ${pages} resident pages (${size / 2 ** 20} MiB), ${ops} random reads per case`);

  const data = new Uint8Array(size);
  new XorShift128(ctx.options.seed).fill(data);
  const rng = new XorShift128(ctx.options.seed + 1);
  const off4 = new Uint32Array(ops);
  for (let i = 0; i < ops; i++) off4[i] = rng.below(size / 4) * 4;
  const offMixed = new Uint32Array(ops);
  const lens = new Uint8Array(ops);
  for (let i = 0; i < ops; i++) {
    const len = 1 << rng.below(4);
    lens[i] = len;
    offMixed[i] = rng.below(size / len) * len;
  }

  const C4 = '4-byte reads';
  const CM = '1- to 8-byte reads (values)';
  const CC = '1- to 8-byte reads (copies)';

  // Everything is set up first, then all the loops run in interleaved rounds (see Context.interleave).
  const base = await ctx.settledRss();
  const vm = createVm({ pageSize: ps, frames: pages });
  const obj = vm.createMemoryObject({ size, name: 'hits' });
  for (let p = 0; p < pages; p++) {
    if (obj.request(p, 'write') !== undefined) throw new Error('a bogopager fault went asynchronous');
    obj.writeSync(p * ps, data.subarray(p * ps, (p + 1) * ps));
  }
  const faults0 = obj.stat().faults;
  const st = vm.stat();
  const rssBytes = (await ctx.settledRss()) - base;

  type Loop = [string, () => number];
  const loops: Array<{ kase: string; impl: string; role: 'spinvm' | 'peer'; loop: () => number }> = [
    { kase: C4, impl: 'spinvm getUint(o, 4)', role: 'spinvm', loop: () => spinGet4(obj, off4, ops) },
    { kase: CM, impl: 'spinvm getUint', role: 'spinvm', loop: () => spinMixed(obj, offMixed, lens, ops) },
    { kase: CC, impl: 'spinvm readSync', role: 'spinvm', loop: () => spinCopy(obj, offMixed, lens, ops) },
  ];
  // The address space over the same object, one mapping of all of it.
  const AS = 'spinvm address space getUint32';
  await guarded(ctx, W, C4, AS, 'spinvm', async () => {
    const as = createAddressSpace(vm);
    const start = await as.map({ object: obj, offset: 0, length: size, prot: ['read', 'write'], share: 'shared' });
    if (asGet4(as, start, off4, Math.min(ops, 1000)) !== spinGet4(obj, off4, Math.min(ops, 1000)))
      throw new Error('the address space reads other bytes than the object');
    loops.push({ kase: C4, impl: AS, role: 'spinvm', loop: () => asGet4(as, start, off4, ops) });
  });
  // The limit: the same bytes in one plain array.
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  loops.push(
    { kase: C4, impl: 'Uint8Array', role: 'peer', loop: () => u8Get4(data, off4, ops) },
    { kase: C4, impl: 'DataView getUint32', role: 'peer', loop: () => dvGet4(dv, off4, ops) },
    { kase: CM, impl: 'Uint8Array', role: 'peer', loop: () => u8Mixed(data, offMixed, lens, ops) },
    { kase: CC, impl: 'Uint8Array slice', role: 'peer', loop: () => u8Copy(data, offMixed, lens, ops) },
  );
  // memory-pager: sparse pages in a radix tree of arrays, no eviction.
  const MP = ctx.peers.memoryPager;
  if (!MP.ok) for (const c of [C4, CM, CC]) ctx.unavailable(W, c, 'memory-pager', 'peer', MP.reason);
  else {
    const mp = new MP.value(ps);
    for (let p = 0; p < pages; p++) mp.get(p).buffer.set(data.subarray(p * ps, (p + 1) * ps));
    loops.push(
      { kase: C4, impl: 'memory-pager', role: 'peer', loop: () => mpGet4(mp, shift, off4, ops) },
      { kase: CM, impl: 'memory-pager', role: 'peer', loop: () => mpMixed(mp, shift, offMixed, lens, ops) },
      { kase: CC, impl: 'memory-pager', role: 'peer', loop: () => mpCopy(mp, shift, offMixed, lens, ops) },
    );
  }

  const best = await ctx.interleave(loops.map((l): Loop => [`${l.kase}|${l.impl}`, l.loop]));
  const faults = obj.stat().faults - faults0;
  for (const l of loops) {
    const r = best.get(`${l.kase}|${l.impl}`)!;
    const spin =
      l.role === 'spinvm'
        ? { frames: st.frames, faults, hitRatio: 1 - faults / ops, metadataBytesPerFrame: st.metadataBytesPerFrame, poolBytes: st.frames * ps, rssBytes }
        : {};
    ctx.add({ workload: W, case: l.kase, impl: l.impl, role: l.role, available: true, ops, seconds: r.seconds, check: r.check, ...spin });
  }
  await vm.destroy();
}

/**
 * The cache compared, through vmcore's public extension point, run by the suite after every other workload
 * (so that the second Cache class cannot make any other measurement's call sites polymorphic): the 4-byte
 * reads with the default dense page table (PageTableCache) and with the HashCache that objects of more than
 * PAGE_TABLE_MAX_PAGES pages get, to show what the hash lookup costs on the hit path.
 */
export async function hitsDenseCacheExperiment(ctx: Context): Promise<void> {
  const { pageSize: ps, hitPages: pages, hitOps: ops } = ctx.sizes;
  const size = pages * ps;
  const data = new Uint8Array(size);
  new XorShift128(ctx.options.seed).fill(data);
  const rng = new XorShift128(ctx.options.seed + 1);
  const off4 = new Uint32Array(ops);
  for (let i = 0; i < ops; i++) off4[i] = rng.below(size / 4) * 4;
  const make = (dense: boolean): { vm: ReturnType<typeof createVm>; obj: MemoryObject } => {
    const vm = createVm({ pageSize: ps, frames: pages });
    if (!dense) vm.container.rebind<CacheFactory>(TOKENS.CacheFactory).toConstantValue(() => new HashCache());
    const obj = vm.createMemoryObject({ size });
    for (let p = 0; p < pages; p++) {
      obj.request(p, 'write');
      obj.writeSync(p * ps, data.subarray(p * ps, (p + 1) * ps));
    }
    return { vm, obj };
  };
  const hash = make(false);
  const dense = make(true);
  const best = await ctx.interleave([
    ['hash', () => spinGet4(hash.obj, off4, ops)],
    ['dense', () => spinGet4Dense(dense.obj, off4, ops)],
  ]);
  const h = best.get('hash')!;
  const d = best.get('dense')!;
  ctx.add({
    workload: 'hits',
    case: '4-byte reads',
    impl: 'spinvm getUint, hash cache (objects over 2^20 pages)',
    role: 'spinvm',
    available: true,
    ops,
    seconds: h.seconds,
    check: h.check,
    note: `TOKENS.CacheFactory rebound to HashCache; the default page table in the same rounds: ${((d.seconds * 1e9) / ops).toFixed(1)} ns/op`,
  });
  await hash.vm.destroy();
  await dense.vm.destroy();
}

// ---- the loops: one function per implementation, so each call site stays monomorphic ----

function spinGet4(obj: MemoryObject, off: Uint32Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s ^= obj.getUint(off[i]!, 4);
  return s >>> 0;
}

/** The same loop as spinGet4, kept apart so that each object's call site stays monomorphic. */
function spinGet4Dense(obj: MemoryObject, off: Uint32Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s ^= obj.getUint(off[i]!, 4);
  return s >>> 0;
}

function spinMixed(obj: MemoryObject, off: Uint32Array, lens: Uint8Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const o = off[i]!;
    const len = lens[i]!;
    if (len === 8) s ^= obj.getUint(o, 4) ^ obj.getUint(o + 4, 4);
    else s ^= obj.getUint(o, len as 1 | 2 | 4);
  }
  return s >>> 0;
}

function spinCopy(obj: MemoryObject, off: Uint32Array, lens: Uint8Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const b = obj.readSync(off[i]!, lens[i]!);
    s ^= b[0]! ^ (b[b.length - 1]! << 8);
  }
  return s >>> 0;
}

function asGet4(as: AddressSpace, start: number, off: Uint32Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s ^= as.getUint32(start + off[i]!);
  return s >>> 0;
}

function u8Get4(a: Uint8Array, off: Uint32Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const o = off[i]!;
    s ^= a[o]! | (a[o + 1]! << 8) | (a[o + 2]! << 16) | (a[o + 3]! << 24);
  }
  return s >>> 0;
}

function dvGet4(dv: DataView, off: Uint32Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s ^= dv.getUint32(off[i]!, true);
  return s >>> 0;
}

function read(a: Uint8Array, o: number, len: number): number {
  if (len === 1) return a[o]!;
  if (len === 2) return a[o]! | (a[o + 1]! << 8);
  const lo = a[o]! | (a[o + 1]! << 8) | (a[o + 2]! << 16) | (a[o + 3]! << 24);
  if (len === 4) return lo;
  return lo ^ (a[o + 4]! | (a[o + 5]! << 8) | (a[o + 6]! << 16) | (a[o + 7]! << 24));
}

function u8Mixed(a: Uint8Array, off: Uint32Array, lens: Uint8Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s ^= read(a, off[i]!, lens[i]!);
  return s >>> 0;
}

function u8Copy(a: Uint8Array, off: Uint32Array, lens: Uint8Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const o = off[i]!;
    const b = a.slice(o, o + lens[i]!);
    s ^= b[0]! ^ (b[b.length - 1]! << 8);
  }
  return s >>> 0;
}

function mpGet4(mp: MemoryPagerInstance, shift: number, off: Uint32Array, n: number): number {
  let s = 0;
  const mask = (1 << shift) - 1;
  for (let i = 0; i < n; i++) {
    const o = off[i]!;
    const a = mp.get(o >>> shift).buffer;
    const w = o & mask;
    s ^= a[w]! | (a[w + 1]! << 8) | (a[w + 2]! << 16) | (a[w + 3]! << 24);
  }
  return s >>> 0;
}

function mpMixed(mp: MemoryPagerInstance, shift: number, off: Uint32Array, lens: Uint8Array, n: number): number {
  let s = 0;
  const mask = (1 << shift) - 1;
  for (let i = 0; i < n; i++) {
    const o = off[i]!;
    s ^= read(mp.get(o >>> shift).buffer, o & mask, lens[i]!);
  }
  return s >>> 0;
}

const slice = Uint8Array.prototype.slice;

function mpCopy(mp: MemoryPagerInstance, shift: number, off: Uint32Array, lens: Uint8Array, n: number): number {
  let s = 0;
  const mask = (1 << shift) - 1;
  for (let i = 0; i < n; i++) {
    const o = off[i]!;
    const w = o & mask;
    // Buffer#slice is a view; a copy is what readSync and Uint8Array#slice make.
    const b = slice.call(mp.get(o >>> shift).buffer, w, w + lens[i]!);
    s ^= b[0]! ^ (b[b.length - 1]! << 8);
  }
  return s >>> 0;
}
