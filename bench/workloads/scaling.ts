import { createAddressSpace, createVm, type AddressSpace, type MemoryObject, type Vm } from '../../vmcore/index.js';
import type { Context } from '../context.js';
import type { ScalingPoint, ScalingRow } from '../results.js';
import { XorShift128 } from '../rng.js';

/** Pages of each object (and each mapped range) in the object and range dimensions. */
const PAGES_PER_OBJECT = 4;

/**
 * The scaling table: the cost of one random resident 4-byte read as resident pages, objects and mapped
 * ranges each grow 100×, beside the same read on plain arrays of the same sizes (whose cost grows too, as
 * the data outgrows the CPU's caches and TLB: spinvm's overhead is what should stay flat).
 */
export async function scaling(ctx: Context): Promise<void> {
  const { pageSize: ps, scalePages, scaleObjects, scaleRanges, scaleOps: ops } = ctx.sizes;
  ctx.progress(`scaling: pages ${scalePages.join('/')}, objects ${scaleObjects.join('/')}, ranges ${scaleRanges.join('/')}; ${ops} reads each`);

  // ---- resident pages ----
  {
    const points: ScalingPoint[] = [];
    for (const n of scalePages) {
      const size = n * ps;
      const data = new Uint8Array(size);
      new XorShift128(ctx.options.seed + 500 + n).fill(data);
      const off = offsets(ops, size, ctx.options.seed + 501);
      const vm = createVm({ pageSize: ps, frames: n });
      const obj = vm.createMemoryObject({ size });
      for (let p = 0; p < n; p++) {
        obj.request(p, 'write');
        obj.writeSync(p * ps, data.subarray(p * ps, (p + 1) * ps));
      }
      const s = await ctx.bestSync(() => spinPages(obj, off));
      const u = await ctx.bestSync(() => u8Pages(data, off));
      if (s.check !== u.check) throw new Error(`scaling: spinvm and Uint8Array read different bytes at ${n} pages`);
      points.push({ n, spinvmNs: (s.seconds * 1e9) / ops, peerNs: (u.seconds * 1e9) / ops });
      ctx.progress(`  scaling / resident pages ${n}: spinvm ${points.at(-1)!.spinvmNs!.toFixed(1)} ns, Uint8Array ${points.at(-1)!.peerNs!.toFixed(1)} ns`);
      await vm.destroy();
      await ctx.settledRss();
    }
    ctx.scaling.push(row('resident pages', 'random getUint(o, 4) over one object', 'Uint8Array of the same size', points));
  }

  // ---- objects ----
  {
    const points: ScalingPoint[] = [];
    const size = PAGES_PER_OBJECT * ps;
    for (const n of scaleObjects) {
      const rng = new XorShift128(ctx.options.seed + 600 + n);
      const { which, off } = picks(rng, ops, n, size);
      const vm = createVm({ pageSize: ps, frames: n * PAGES_PER_OBJECT });
      const { objs, arrays } = filledObjects(vm, rng, n, size);
      const s = await ctx.bestSync(() => spinObjects(objs, which, off));
      const u = await ctx.bestSync(() => u8Objects(arrays, which, off));
      if (s.check !== u.check) throw new Error(`scaling: spinvm and Uint8Array read different bytes at ${n} objects`);
      points.push({ n, spinvmNs: (s.seconds * 1e9) / ops, peerNs: (u.seconds * 1e9) / ops });
      ctx.progress(`  scaling / objects ${n}: spinvm ${points.at(-1)!.spinvmNs!.toFixed(1)} ns, Uint8Array ${points.at(-1)!.peerNs!.toFixed(1)} ns`);
      await vm.destroy();
      await ctx.settledRss();
    }
    ctx.scaling.push(row('objects', `random getUint(o, 4) over objects of ${PAGES_PER_OBJECT} pages`, 'one Uint8Array per object', points));
  }

  // ---- mapped ranges of an address space ----
  const RANGES_OP = `random getUint32 over ranges of ${PAGES_PER_OBJECT} pages`;
  {
    const points: ScalingPoint[] = [];
    const size = PAGES_PER_OBJECT * ps;
    try {
      for (const n of scaleRanges) {
        const rng = new XorShift128(ctx.options.seed + 700 + n);
        const vm: Vm = createVm({ pageSize: ps, frames: n * PAGES_PER_OBJECT });
        const as = createAddressSpace(vm);
        const { objs, arrays } = filledObjects(vm, rng, n, size);
        const starts = new Float64Array(n);
        for (let k = 0; k < n; k++) starts[k] = await as.map({ object: objs[k]!, offset: 0, length: size, prot: ['read', 'write'], share: 'shared' });
        const { which, off } = picks(rng, ops, n, size);
        const s = await ctx.bestSync(() => spinRanges(as, starts, which, off));
        const u = await ctx.bestSync(() => u8Objects(arrays, which, off));
        if (s.check !== u.check) throw new Error(`scaling: the address space and Uint8Array read different bytes at ${n} ranges`);
        points.push({ n, spinvmNs: (s.seconds * 1e9) / ops, peerNs: (u.seconds * 1e9) / ops });
        ctx.progress(`  scaling / mapped ranges ${n}: spinvm ${points.at(-1)!.spinvmNs!.toFixed(1)} ns`);
        await vm.destroy();
        await ctx.settledRss();
      }
      ctx.scaling.push(row('mapped ranges', RANGES_OP, 'one Uint8Array per range', points));
    } catch (err) {
      const note = `failed: ${err instanceof Error ? err.message : String(err)}`;
      ctx.scaling.push({
        dimension: 'mapped ranges',
        op: RANGES_OP,
        peer: 'one Uint8Array per range',
        available: false,
        note,
        points,
        growth: null,
        peerGrowth: null,
      });
      ctx.progress(`  scaling / mapped ranges: ${note}`);
    }
  }
}

/** `n` objects of PAGES_PER_OBJECT resident pages with random bytes, and the same bytes as plain arrays. */
function filledObjects(vm: Vm, rng: XorShift128, n: number, size: number): { objs: MemoryObject[]; arrays: Uint8Array[] } {
  const objs: MemoryObject[] = [];
  const arrays: Uint8Array[] = [];
  for (let k = 0; k < n; k++) {
    const a = new Uint8Array(size);
    rng.fill(a);
    arrays.push(a);
    const o = vm.createMemoryObject({ size });
    for (let p = 0; p < PAGES_PER_OBJECT; p++) o.request(p, 'write');
    o.writeSync(0, a);
    objs.push(o);
  }
  return { objs, arrays };
}

/** `ops` random picks of one of `n` objects and a 4-byte-aligned offset in it. */
function picks(rng: XorShift128, ops: number, n: number, size: number): { which: Uint32Array; off: Uint32Array } {
  const which = new Uint32Array(ops);
  const off = new Uint32Array(ops);
  for (let i = 0; i < ops; i++) {
    which[i] = rng.below(n);
    off[i] = rng.below(size / 4) * 4;
  }
  return { which, off };
}

function row(dimension: string, op: string, peer: string, points: ScalingPoint[]): ScalingRow {
  const first = points[0]!;
  const last = points.at(-1)!;
  return {
    dimension,
    op,
    peer,
    available: true,
    points,
    growth: first.spinvmNs && last.spinvmNs ? last.spinvmNs / first.spinvmNs : null,
    peerGrowth: first.peerNs && last.peerNs ? last.peerNs / first.peerNs : null,
  };
}

function offsets(ops: number, size: number, seed: number): Uint32Array {
  const rng = new XorShift128(seed);
  const off = new Uint32Array(ops);
  for (let i = 0; i < ops; i++) off[i] = rng.below(size / 4) * 4;
  return off;
}

function spinPages(obj: MemoryObject, off: Uint32Array): number {
  let s = 0;
  for (let i = 0; i < off.length; i++) s ^= obj.getUint(off[i]!, 4);
  return s >>> 0;
}

function u8Pages(a: Uint8Array, off: Uint32Array): number {
  let s = 0;
  for (let i = 0; i < off.length; i++) {
    const o = off[i]!;
    s ^= a[o]! | (a[o + 1]! << 8) | (a[o + 2]! << 16) | (a[o + 3]! << 24);
  }
  return s >>> 0;
}

function spinObjects(objs: MemoryObject[], which: Uint32Array, off: Uint32Array): number {
  let s = 0;
  for (let i = 0; i < off.length; i++) s ^= objs[which[i]!]!.getUint(off[i]!, 4);
  return s >>> 0;
}

function u8Objects(arrays: Uint8Array[], which: Uint32Array, off: Uint32Array): number {
  let s = 0;
  for (let i = 0; i < off.length; i++) {
    const a = arrays[which[i]!]!;
    const o = off[i]!;
    s ^= a[o]! | (a[o + 1]! << 8) | (a[o + 2]! << 16) | (a[o + 3]! << 24);
  }
  return s >>> 0;
}

function spinRanges(as: AddressSpace, starts: Float64Array, which: Uint32Array, off: Uint32Array): number {
  let s = 0;
  for (let i = 0; i < off.length; i++) s ^= as.getUint32(starts[which[i]!]! + off[i]!);
  return s >>> 0;
}
