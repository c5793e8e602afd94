// The randomized reference-model test, grown to address spaces: random map / unmap / protect / write / read /
// fork / sync over a few frames, against a plain model of the same semantics. Seeded (MODEL_SEED, or
// SPINVM_SEED in the environment); fast-check prints the seed and the shrunk counterexample on failure.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AccessDeniedError,
  BusError,
  MemoryFault,
  NotResidentError,
  PROT,
  ProtectionFault,
  SegmentationFault,
  UnmappedRangeError,
  type AddressSpace,
} from '../../vmcore/index.js';
import { zeroPage } from '../../vmcore/address-space/zero-page.js';
import { MODEL_SEED } from '../../conformance/model/index.js';
import { pattern } from '../helpers/pagers.js';
import { expectNothingLeaked, setup, type Setup } from './helpers.js';

const PS = 512;
const FILE_PAGES = [4, 3];
const MAX_SPACES = 4;
/** Mappings are placed in pages 1 to 8 (first fit may go higher); accesses range over pages 0 to 10. */
const TOP_PAGE = 8;

/**
 * Where an access or a range goes: mostly into a page the space has mapped (the `pick`-th, at `within`),
 * so most operations land; with `raw`, at `addr` anywhere from page 0 to past the mappings.
 */
interface Spot {
  raw: boolean;
  pick: number;
  within: number;
  addr: number;
}
type Cmd =
  | {
      op: 'map';
      s: number;
      src: 'anon' | 0 | 1;
      share: 'shared' | 'private';
      prot: number;
      page: number;
      pages: number;
      offset: number;
      fixed: boolean;
      hint: boolean;
    }
  | { op: 'unmap'; s: number; at: Spot; pages: number }
  | { op: 'protect'; s: number; at: Spot; pages: number; prot: number }
  | { op: 'write'; s: number; at: Spot; len: number; seed: number }
  | { op: 'read'; s: number; at: Spot; len: number }
  | { op: 'readSync'; s: number; at: Spot; len: number }
  | { op: 'set32'; s: number; at: Spot; value: number }
  | { op: 'get32'; s: number; at: Spot }
  | { op: 'fork'; s: number }
  | { op: 'destroy'; s: number }
  | { op: 'sync'; s: number; at: Spot; pages: number; invalidate: boolean };

const s = fc.nat({ max: MAX_SPACES - 1 });
const at: fc.Arbitrary<Spot> = fc.record({
  raw: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  pick: fc.nat({ max: 63 }),
  within: fc.oneof({ weight: 3, arbitrary: fc.nat({ max: PS - 1 }) }, { weight: 1, arbitrary: fc.integer({ min: PS - 8, max: PS - 1 }) }),
  addr: fc.integer({ min: 0, max: (TOP_PAGE + 2) * PS - 1 }),
});
/** Ranges for unmap, protect and sync: mostly one or two pages, now and then up to five. */
const pages = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 2 }) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 5 }) });
/** Mostly read + write, so writes land and copies are made; any mask now and then. */
const prot = fc.oneof({ weight: 3, arbitrary: fc.constant(PROT.READ | PROT.WRITE) }, { weight: 2, arbitrary: fc.integer({ min: 0, max: 7 }) });
/** Mostly short accesses, now and then up to two and a half pages (crossing pages and mappings). */
const len = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 64 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: Math.floor(2.5 * PS) }) });
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant('map' as const),
      s,
      src: fc.constantFrom('anon' as const, 0 as const, 1 as const),
      share: fc.constantFrom('shared' as const, 'private' as const),
      prot,
      page: fc.integer({ min: 1, max: TOP_PAGE }),
      pages: fc.integer({ min: 1, max: 4 }),
      offset: fc.nat({ max: 2 }),
      fixed: fc.boolean(),
      hint: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('unmap' as const), s, at, pages }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('protect' as const), s, at, pages, prot }) },
  { weight: 6, arbitrary: fc.record({ op: fc.constant('write' as const), s, at, len, seed: fc.nat() }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('read' as const), s, at, len }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('readSync' as const), s, at, len }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('set32' as const), s, at, value: fc.nat({ max: 2 ** 32 - 1 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('get32' as const), s, at }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('fork' as const), s }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('destroy' as const), s }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('sync' as const), s, at, pages, invalidate: fc.boolean() }) },
);

/** The address a spot names in a space whose model is `m`. */
function addressOf(m: MSpace, spot: Spot): number {
  if (spot.raw || m.size === 0) return spot.addr;
  const mapped = [...m.keys()].sort((x, y) => x - y);
  return mapped[spot.pick % mapped.length]! * PS + spot.within;
}

// ---- the model ----

/** A shared anonymous object or a file: plain bytes. `limit`: pages that can be accessed (bus error beyond). */
interface MObj {
  bytes: Uint8Array;
  limit: number;
  file?: number;
}
type MPage =
  | { kind: 'anon'; prot: number; data: Uint8Array }
  | { kind: 'shared'; prot: number; obj: MObj; page: number; writable: boolean }
  | { kind: 'private'; prot: number; obj: MObj; page: number; copy: Uint8Array | undefined };
type MSpace = Map<number, MPage>;

type Fault = { kind: typeof SegmentationFault | typeof ProtectionFault | typeof BusError; address: number };

function need(access: 'read' | 'write'): number {
  return access === 'read' ? PROT.READ : PROT.WRITE;
}

/** The first fault an access of `address .. address + length` raises in the model, page by page. */
function faultOf(m: MSpace, address: number, length: number, access: 'read' | 'write'): Fault | undefined {
  for (let pos = address; pos < address + length; pos = (Math.floor(pos / PS) + 1) * PS) {
    const e = m.get(Math.floor(pos / PS));
    if (!e) return { kind: SegmentationFault, address: pos };
    if (!(e.prot & need(access))) return { kind: ProtectionFault, address: pos };
    if (e.kind !== 'anon' && !(e.kind === 'private' && e.copy) && e.page >= e.obj.limit) return { kind: BusError, address: pos };
  }
  return undefined;
}

function readModel(m: MSpace, address: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    const a = address + i;
    const e = m.get(Math.floor(a / PS))!;
    const w = a % PS;
    out[i] = e.kind === 'anon' ? e.data[w]! : e.kind === 'private' && e.copy ? e.copy[w]! : e.obj.bytes[e.page * PS + w]!;
  }
  return out;
}

function writeModel(m: MSpace, address: number, bytes: Uint8Array): void {
  for (let i = 0; i < bytes.length; i++) {
    const a = address + i;
    const e = m.get(Math.floor(a / PS))!;
    const w = a % PS;
    if (e.kind === 'anon') e.data[w] = bytes[i]!;
    else if (e.kind === 'shared') e.obj.bytes[e.page * PS + w] = bytes[i]!;
    else (e.copy ??= e.obj.bytes.slice(e.page * PS, (e.page + 1) * PS))[w] = bytes[i]!;
  }
}

function forkModel(m: MSpace): MSpace {
  const out: MSpace = new Map();
  for (const [p, e] of m) {
    if (e.kind === 'anon') out.set(p, { ...e, data: e.data.slice() });
    else if (e.kind === 'shared') out.set(p, { ...e });
    else out.set(p, { ...e, copy: e.copy?.slice() });
  }
  return out;
}

function isFree(m: MSpace, first: number, count: number): boolean {
  for (let p = first; p < first + count; p++) if (m.has(p)) return false;
  return true;
}

// ---- the run ----

async function expectFault(work: () => unknown, fault: Fault): Promise<void> {
  let err: unknown;
  try {
    await work();
  } catch (e) {
    err = e;
  }
  if (!(err instanceof fault.kind) || (err as MemoryFault).address !== fault.address) {
    throw new Error(`expected ${fault.kind.name} at ${fault.address}, got ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  }
}

async function run(cmds: Cmd[], options: { async: boolean }): Promise<void> {
  const t: Setup = setup({ pageSize: PS, frames: 6, swap: options.async ? 'async' : true, asyncFiles: options.async });
  try {
    const paths = FILE_PAGES.map((n, i) => t.file(`file${i}`, pattern(n * PS, i + 1)));
    // File 1 cannot be written (the mapper refuses write access): a shared mapping of it with write rights, or
    // protect giving them, is EACCES. File 0 can: every shared mapping of it may be given write rights.
    t.mapper.readOnly.add(paths[1]!);
    const files: MObj[] = FILE_PAGES.map((n, i) => ({ bytes: pattern(n * PS, i + 1), limit: n, file: i }));
    const spaces: AddressSpace[] = [t.space];
    const models: MSpace[] = [new Map()];
    const checkDisk = (i: number): void => {
      expect(t.disk(paths[i]!), `file ${i} on disk`).toEqual(files[i]!.bytes);
    };
    /** Files a range holds shared pages of: every dirty page of them must be on disk after a sync or an unmap of it, whichever mapping wrote it. */
    const writableFiles = (m: MSpace, first: number, count: number): Set<number> => {
      const out = new Set<number>();
      for (let p = first; p < first + count; p++) {
        const e = m.get(p);
        if (e?.kind === 'shared' && e.obj.file !== undefined) out.add(e.obj.file);
      }
      return out;
    };

    for (const c of cmds) {
      const i = c.s % spaces.length;
      const space = spaces[i]!;
      const m = models[i]!;
      switch (c.op) {
        case 'map': {
          const length = c.pages * PS;
          let expected: number;
          if (c.fixed) expected = c.page;
          else if (c.hint && isFree(m, c.page, c.pages)) expected = c.page;
          else for (expected = 1; !isFree(m, expected, c.pages); expected++);
          const synced = c.fixed ? writableFiles(m, c.page, c.pages) : new Set<number>();
          const options =
            c.src === 'anon'
              ? { anonymous: true, length, prot: c.prot, share: c.share }
              : { file: paths[c.src]!, offset: c.offset * PS, length, prot: c.prot, share: c.share };
          const placed = { ...options, ...(c.fixed || c.hint ? { address: c.page * PS } : {}), ...(c.fixed ? { fixed: true } : {}) };
          if (c.src === 1 && c.share === 'shared' && c.prot & PROT.WRITE) {
            await expect(space.map(placed)).rejects.toBeInstanceOf(AccessDeniedError);
            break;
          }
          const at = await space.map(placed);
          expect(at).toBe(expected * PS);
          const shared: MObj = c.src === 'anon' ? { bytes: new Uint8Array(length), limit: c.pages } : files[c.src]!;
          for (let k = 0; k < c.pages; k++) {
            const p = expected + k;
            if (c.src === 'anon' && c.share === 'private') m.set(p, { kind: 'anon', prot: c.prot, data: new Uint8Array(PS) });
            else if (c.share === 'shared')
              m.set(p, { kind: 'shared', prot: c.prot, obj: shared, page: (c.src === 'anon' ? 0 : c.offset) + k, writable: c.src !== 1 });
            else m.set(p, { kind: 'private', prot: c.prot, obj: shared, page: c.offset + k, copy: undefined });
          }
          for (const f of synced) checkDisk(f);
          break;
        }
        case 'unmap': {
          const first = Math.floor(addressOf(m, c.at) / PS);
          const synced = writableFiles(m, first, c.pages);
          await space.unmap(first * PS, c.pages * PS);
          for (let p = first; p < first + c.pages; p++) m.delete(p);
          for (const f of synced) checkDisk(f);
          break;
        }
        case 'protect': {
          const first = Math.floor(addressOf(m, c.at) / PS);
          let unmapped = false;
          let denied = false;
          for (let p = first; p < first + c.pages; p++) {
            const e = m.get(p);
            if (!e) unmapped = true;
            else if (c.prot & PROT.WRITE && e.kind === 'shared' && !e.writable) denied = true;
          }
          if (unmapped) expect(() => space.protect(first * PS, c.pages * PS, c.prot)).toThrow(UnmappedRangeError);
          else if (denied) expect(() => space.protect(first * PS, c.pages * PS, c.prot)).toThrow(AccessDeniedError);
          else {
            space.protect(first * PS, c.pages * PS, c.prot);
            for (let p = first; p < first + c.pages; p++) m.get(p)!.prot = c.prot;
          }
          break;
        }
        case 'write': {
          const a = addressOf(m, c.at);
          const bytes = pattern(c.len, c.seed);
          const fault = faultOf(m, a, c.len, 'write');
          if (fault) await expectFault(() => space.write(a, bytes), fault);
          else {
            await space.write(a, bytes);
            writeModel(m, a, bytes);
          }
          break;
        }
        case 'read': {
          const a = addressOf(m, c.at);
          const fault = faultOf(m, a, c.len, 'read');
          if (fault) await expectFault(() => space.read(a, c.len), fault);
          else expect(await space.read(a, c.len), `read of ${c.len} at ${a}`).toEqual(readModel(m, a, c.len));
          break;
        }
        case 'readSync': {
          const a = addressOf(m, c.at);
          const fault = faultOf(m, a, c.len, 'read');
          let seen: Uint8Array | undefined;
          try {
            seen = space.readSync(a, c.len);
          } catch (err) {
            if (err instanceof NotResidentError) break;
            if (!fault) throw err;
            await expectFault(() => {
              throw err;
            }, fault);
            break;
          }
          expect(fault, 'readSync succeeded where the model faults').toBeUndefined();
          expect(seen, `readSync of ${c.len} at ${a}`).toEqual(readModel(m, a, c.len));
          break;
        }
        case 'set32': {
          const a = addressOf(m, c.at);
          const fault = faultOf(m, a, 4, 'write');
          if (fault) {
            await expectFault(() => space.trap(a, 'write', 4), fault);
            break;
          }
          let rounds = 0;
          for (let p; (p = space.trap(a, 'write', 4)); rounds++) {
            if (rounds > 20) throw new Error('trap never made the pages ready');
            await p;
          }
          space.setUint32(a, c.value);
          writeModel(m, a, Uint8Array.of(c.value & 0xff, (c.value >>> 8) & 0xff, (c.value >>> 16) & 0xff, c.value >>> 24));
          if (!faultOf(m, a, 4, 'read')) expect(space.getUint32(a)).toBe(c.value);
          break;
        }
        case 'get32': {
          // The synchronous accessor as it stands: a value, AddressNotResidentError, or the fault.
          const a = addressOf(m, c.at);
          const fault = faultOf(m, a, 4, 'read');
          let value: number;
          try {
            value = space.getUint32(a);
          } catch (err) {
            if (err instanceof NotResidentError) break;
            if (!fault) throw err;
            await expectFault(() => {
              throw err;
            }, fault);
            break;
          }
          expect(fault, 'getUint32 succeeded where the model faults').toBeUndefined();
          const b = readModel(m, a, 4);
          expect(value, `getUint32 at ${a}`).toBe((b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0);
          break;
        }
        case 'fork': {
          if (spaces.length >= MAX_SPACES) break;
          spaces.push(space.fork());
          models.push(forkModel(m));
          break;
        }
        case 'destroy': {
          if (spaces.length === 1) break;
          const synced = writableFiles(m, 0, Math.max(0, ...m.keys()) + 1);
          await space.destroy();
          spaces.splice(i, 1);
          models.splice(i, 1);
          for (const f of synced) checkDisk(f);
          break;
        }
        case 'sync': {
          const first = Math.floor(addressOf(m, c.at) / PS);
          let unmapped = false;
          for (let p = first; p < first + c.pages; p++) if (!m.has(p)) unmapped = true;
          if (unmapped) {
            await expect(space.sync(first * PS, c.pages * PS, { invalidate: c.invalidate })).rejects.toBeInstanceOf(UnmappedRangeError);
            break;
          }
          // invalidate keeps private copies, as Linux does: nothing changes in the model.
          await space.sync(first * PS, c.pages * PS, { invalidate: c.invalidate });
          for (const f of writableFiles(m, first, c.pages)) checkDisk(f);
          break;
        }
      }
    }

    // Every readable page of every space reads as the model says; then everything goes and nothing is left.
    for (let i = 0; i < spaces.length; i++) {
      for (const [p, e] of models[i]!) {
        if (!(e.prot & PROT.READ)) continue;
        const fault = faultOf(models[i]!, p * PS, PS, 'read');
        if (fault) await expectFault(() => spaces[i]!.read(p * PS, PS), fault);
        else expect(await spaces[i]!.read(p * PS, PS), `final read of page ${p} of space ${i}`).toEqual(readModel(models[i]!, p * PS, PS));
      }
    }
    for (const space of spaces) await space.destroy();
    files.forEach((_, i) => checkDisk(i));
    expectNothingLeaked(t.vm);
  } finally {
    await t.done();
  }
}

describe('address spaces against a reference model (seed printed on failure)', () => {
  it('synchronous pagers: random map / unmap / protect / write / read / fork / sync over 6 frames', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(cmd, { minLength: 10, maxLength: 60, size: 'max' }), (cmds) => run(cmds, { async: false })),
      { seed: MODEL_SEED, numRuns: 120 },
    );
  });

  it('asynchronous pagers (anonymous memory and files): the same, every fault a promise', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(cmd, { minLength: 10, maxLength: 60, size: 'max' }), (cmds) => run(cmds, { async: true })),
      { seed: MODEL_SEED + 1, numRuns: 60 },
    );
  });

  it('after both workloads the one zero page of their page size is still all zeros (nobody wrote it)', () => {
    expect(zeroPage(PS).every((b) => b === 0)).toBe(true);
  });
});
