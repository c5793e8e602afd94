// The memory object's data API (vmcore/memory-object/): typed accessors on resident pages, and reads and
// writes checked against the reference model under every kind of pager.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OutOfMemoryError, OutOfRangeError, PagerFailedError, PagerIoError, ResultCode } from '../../vmcore/index.js';
import { dataApiOps, disjointBatches, MODEL_SEED, runModel, type ModelConfig } from '../../conformance/model/index.js';
import { FlakyPager, RecordingPager } from '../helpers/pagers.js';
import { PS, smallModel, smallVm } from '../helpers/small.js';

const cfg = smallModel;
const ops = fc.array(dataApiOps(cfg), { minLength: 20, maxLength: 60 }).filter(disjointBatches);
const params = { seed: MODEL_SEED, numRuns: 250 } as const;

describe('typed accessors on resident memory', () => {
  it('read and write little-endian integers within and across pages, without promises', async () => {
    const vm = smallVm({ frames: 4 });
    const obj = vm.createMemoryObject({ size: 2 * PS });
    await obj.request(0, 'write');
    await obj.request(1, 'write');
    obj.setUint(10, 4, 0xdeadbeef);
    expect(obj.getUint(10, 4)).toBe(0xdeadbeef);
    expect([...obj.readSync(10, 4)]).toEqual([0xef, 0xbe, 0xad, 0xde]);
    obj.setUint(PS - 2, 4, 0x01020304); // straddles the page boundary
    expect(obj.getUint(PS - 2, 4)).toBe(0x01020304);
    obj.setUint(100, 2, 0xbeef);
    expect(obj.getUint(100, 2)).toBe(0xbeef);
    expect(obj.getUint(101, 1)).toBe(0xbe);
    obj.setBigUint64(PS - 4, 0x1122334455667788n);
    expect(obj.getBigUint64(PS - 4)).toBe(0x1122334455667788n);
    expect(obj.stat().dirtyPages).toBe(2);
  });

  it("readSyncInto copies resident bytes into the caller's buffer, and refuses an absent page, a bad buffer or span, copying nothing", async () => {
    const vm = smallVm({ frames: 4 });
    const obj = vm.createMemoryObject({ size: 3 * PS });
    await obj.request(0, 'write');
    await obj.request(1, 'write');
    obj.setUint(PS - 2, 4, 0x01020304); // across pages 0 and 1
    const dest = new Uint8Array(6).fill(0xee);
    obj.readSyncInto(PS - 3, dest.subarray(1, 5));
    expect([...dest]).toEqual([0xee, 0, 0x04, 0x03, 0x02, 0xee]);
    const untouched = new Uint8Array(8).fill(7);
    expect(() => obj.readSyncInto(2 * PS - 4, untouched)).toThrow(/page 2 is not resident/);
    expect([...untouched]).toEqual(new Array(8).fill(7));
    expect(() => obj.readSyncInto(0, [1, 2] as unknown as Uint8Array)).toThrow(/dest must be/);
    expect(() => obj.readSyncInto(3 * PS - 2, untouched)).toThrow(OutOfRangeError);
  });

  it('refuse absent pages before touching a byte', async () => {
    const vm = smallVm({ frames: 4 });
    const obj = vm.createMemoryObject({ size: 2 * PS });
    await obj.request(0, 'write');
    expect(() => obj.setUint(PS - 2, 4, 1)).toThrow(/page 1 is not resident/);
    expect(() => obj.setBigUint64(PS - 4, 1n)).toThrow(/not resident/);
    expect(obj.getUint(PS - 4, 4)).toBe(0);
    expect(() => obj.getUint(PS, 1)).toThrow(/page 1 is not resident/);
    expect(() => obj.setUint(0, 4, 2 ** 32)).toThrow(/value must be an integer/);
    expect(() => obj.setUint(0, 3 as 4, 1)).toThrow(/size must be 1, 2 or 4/);
  });
});

describe('randomized reads and writes against a reference model (seed printed on failure)', () => {
  it('a synchronous page-out pager: every read matches the model (thousands of operations over 3 frames)', async () => {
    await fc.assert(
      fc.asyncProperty(ops, async (list) => {
        await runModel(cfg, { makePager: () => new RecordingPager() }, list);
      }),
      params,
    );
  });

  it('an asynchronous pager with concurrent batches: every read matches the model', async () => {
    await fc.assert(
      fc.asyncProperty(ops, async (list) => {
        await runModel(cfg, { makePager: () => new RecordingPager({ async: true }) }, list);
      }),
      { ...params, numRuns: 150 },
    );
  });

  it('the bogopager: data stays resident; out of memory is the only error allowed', async () => {
    const big: ModelConfig = { ...cfg, frames: 24 };
    await fc.assert(
      fc.asyncProperty(ops, async (list) => {
        await runModel(
          big,
          { acceptError: (e) => e instanceof OutOfMemoryError || (e instanceof PagerFailedError && e.result === ResultCode.NotImplemented) },
          list,
        );
      }),
      { ...params, numRuns: 150 },
    );
  });

  it('a pager that fails (DeviceFull, throws) never loses a write: errors are typed and data reads back', async () => {
    await fc.assert(
      fc.asyncProperty(ops, fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.boolean(), async (list, seed, async) => {
        await runModel(
          cfg,
          {
            makePager: (i) => new FlakyPager(seed + i, async),
            acceptError: (e) => e instanceof PagerIoError || e instanceof OutOfMemoryError || (e instanceof PagerFailedError && e.operation === 'pageOut'),
          },
          list,
        );
      }),
      { ...params, numRuns: 250 },
    );
  });
});

describe("readInto: read into the caller's buffer", () => {
  it('fills exactly the bytes asked for, faulting pages in through eviction, as read does', async () => {
    const vm = smallVm({ frames: 2 });
    const obj = vm.createMemoryObject({ size: 6 * PS, pager: new RecordingPager() });
    for (let page = 0; page < 6; page++) await obj.write(page * PS + 3, Uint8Array.of(page + 1, page + 101));
    const dest = new Uint8Array(3 * PS + 4).fill(0xee);
    const view = dest.subarray(2, 2 + 3 * PS); // a view into a larger buffer: nothing outside it may change
    await obj.readInto(2 * PS + 1, view);
    expect(view).toEqual(await obj.read(2 * PS + 1, 3 * PS));
    expect([view[2], view[3], view[PS + 2], view[2 * PS + 2]]).toEqual([3, 103, 4, 5]);
    expect([dest[0], dest[1], dest[dest.length - 2], dest[dest.length - 1]]).toEqual([0xee, 0xee, 0xee, 0xee]);
    await obj.readInto(0, new Uint8Array(0)); // an empty read touches nothing
    await vm.destroy();
  });

  it('one buffer, reused across a scan larger than the pool, reads every page', async () => {
    const vm = smallVm({ frames: 3 });
    const obj = vm.createMemoryObject({ size: 8 * PS, pager: new RecordingPager() });
    for (let page = 0; page < 8; page++) await obj.write(page * PS, Uint8Array.of(page));
    const buf = new Uint8Array(PS);
    const firsts: number[] = [];
    for (let page = 0; page < 8; page++) {
      await obj.readInto(page * PS, buf);
      firsts.push(buf[0]!);
    }
    expect(firsts).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    await vm.destroy();
  });
});
