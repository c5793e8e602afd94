// Run page-in (vmcore/memory-object/page-in.ts, FreeBSD's getpages): a fault brings the pages after it in one
// pageInRun, read-ahead never costs a page-out or a wait, and a read-ahead page that does not come is only a
// missed guess: its waiters fault it again, and nothing is lost or leaked.
import { describe, expect, it } from 'vitest';
import { definePager, DestroyedError, type MemoryObject, Pager, PagerIoError, PagerProtocolError, ResultCode, type Access } from '../../vmcore/index.js';
import fc from 'fast-check';
import { dataApiOps, disjointBatches, MODEL_SEED, runModel } from '../../conformance/model/index.js';
import { tick } from '../helpers/pagers.js';
import { PS, smallModel, smallVm } from '../helpers/small.js';

/** A run-reading pager over a Map: pages never written read as their page number in every byte. */
class RunPager extends Pager {
  readonly store = new Map<number, Uint8Array>();
  readonly runs: Array<{ first: number; count: number }> = [];
  singles = 0;
  runLength = 8;
  /** Asynchronous answers, released by `release()` when `hold` is set. */
  async = false;
  hold = false;
  private held: Array<() => void> = [];
  /** Per page in a run: the code to answer instead of Success. */
  answer: (page: number, i: number) => ResultCode = () => ResultCode.Success;
  throwRun = false;
  junk: unknown = undefined;
  /** Never-written pages read as their page number (false: as zeros, as the reference model has them). */
  numbered = true;

  override get refillsCleanPages(): boolean {
    return true;
  }
  override pageInRunLength(): number {
    return this.runLength;
  }
  override pageIn(page: number, frame: Uint8Array): ResultCode {
    this.singles++;
    this.fill(page, frame);
    return ResultCode.Success;
  }
  override pageInRun(first: number, frames: readonly Uint8Array[], _access: Access): ResultCode[] | Promise<ResultCode[]> {
    this.runs.push({ first, count: frames.length });
    if (this.throwRun) throw new Error('disk on fire');
    const work = (): ResultCode[] => {
      if (this.junk !== undefined) return this.junk as ResultCode[];
      return frames.map((frame, i) => {
        const code = this.answer(first + i, i);
        if (code === ResultCode.Success) this.fill(first + i, frame);
        return code;
      });
    };
    if (!this.async) return work();
    return new Promise((resolve) => {
      const go = (): void => resolve(work());
      if (this.hold) this.held.push(go);
      else setImmediate(go);
    });
  }
  override pageOut(page: number, frame: Uint8Array): ResultCode {
    this.store.set(page, frame.slice());
    return ResultCode.Success;
  }
  release(): void {
    const held = this.held;
    this.held = [];
    for (const go of held) go();
  }
  private fill(page: number, frame: Uint8Array): void {
    const saved = this.store.get(page);
    if (saved) frame.set(saved);
    else frame.fill(this.numbered ? page & 0xff : 0);
  }
}

/** Faults `page` in (synchronously, with these synchronous pagers) and reads its byte at `at`. */
function touch(obj: MemoryObject, page: number, at = 0): number {
  expect(obj.request(page, 'read')).toBeUndefined();
  return obj.getUint(page * PS + at, 1);
}

function setup(frames = 16, pages = 20) {
  const vm = smallVm({ frames });
  const pager = new RunPager();
  const obj = vm.createMemoryObject({ size: pages * PS, name: 'runs', pager });
  return { vm, pager, obj };
}

describe('run page-in', () => {
  it('one fault brings the run: one pageInRun, one fault, a page-in per page, later reads are hits', async () => {
    const { vm, pager, obj } = setup();
    expect(touch(obj, 3)).toBe(3);
    expect(pager.runs).toEqual([{ first: 3, count: 4 }]); // the pool's quarter: a guess never sweeps the pool
    expect(obj.stat()).toMatchObject({ faults: 1, pageIns: 4 });
    for (let p = 3; p < 7; p++) expect(obj.getUint(p * PS + 7, 1)).toBe(p);
    expect(obj.stat().faults).toBe(1);
    expect(vm.stat().freeFrames).toBe(12);
  });

  it('stops at a resident page and at the end of the object', async () => {
    const { pager, obj } = setup(64, 20);
    pager.runLength = 100;
    touch(obj, 5); // pages 5..19: the object ends
    expect(pager.runs.at(-1)).toEqual({ first: 5, count: 15 });
    touch(obj, 2); // 2, 3, 4, then 5 is resident
    expect(pager.runs.at(-1)).toEqual({ first: 2, count: 3 });
    touch(obj, 0); // 0, 1
    expect(pager.runs.at(-1)).toEqual({ first: 0, count: 2 });
    expect(obj.stat()).toMatchObject({ faults: 3, pageIns: 20 });
  });

  it('a run stops before a page in flight: the fault is then a single page-in', async () => {
    const { pager, obj } = setup(64, 20);
    pager.runLength = 100;
    touch(obj, 10); // 10..19 resident
    pager.async = true;
    pager.hold = true;
    const inFlight = obj.read(8 * PS, 1); // 8, 9 in flight
    await tick();
    expect(pager.runs.at(-1)).toEqual({ first: 8, count: 2 });
    pager.async = false;
    expect(touch(obj, 7)).toBe(7); // 7 alone: 8 is in flight
    expect(pager.singles).toBe(1);
    expect(pager.runs.length).toBe(2);
    pager.release();
    expect((await inFlight)[0]).toBe(8);
  });

  it('read-ahead never pages out: with every frame dirty, the run is the faulting page alone', async () => {
    const { pager, obj } = setup(16, 20);
    for (let p = 0; p < 16; p++) await obj.write(p * PS, new Uint8Array([200 + p]));
    const runs = pager.runs.length;
    const singles = pager.singles;
    expect(touch(obj, 18)).toBe(18);
    expect([pager.runs.length, pager.singles]).toEqual([runs, singles + 1]);
    expect(pager.store.size).toBe(1); // the faulting page's own frame cost the one page-out
    for (let p = 0; p < 16; p++) expect((await obj.read(p * PS, 1))[0]).toBe(200 + p); // nothing lost
  });

  it('an asynchronous run: faulters of its read-ahead pages wait for it, and get their pages', async () => {
    const { pager, obj } = setup();
    pager.async = true;
    pager.hold = true;
    const reads = [obj.read(3 * PS, 1), obj.read(4 * PS + 1, 1), obj.read(6 * PS, 1), obj.read(5 * PS, 1)];
    await tick();
    expect(pager.runs).toEqual([{ first: 3, count: 4 }]);
    pager.release();
    expect((await Promise.all(reads)).map((b) => b[0])).toEqual([3, 4, 6, 5]);
    expect(obj.stat()).toMatchObject({ faults: 1, pageIns: 4 });
  });

  it('a read-ahead page answering other than Success is dropped; its waiters fault it again', async () => {
    const { vm, pager, obj } = setup();
    pager.async = true;
    pager.hold = true;
    pager.answer = (page) => (page === 5 ? ResultCode.AlreadyPagedIn : page === 6 ? ResultCode.DeviceFull : ResultCode.Success);
    const head = obj.read(3 * PS, 1);
    await tick();
    const five = obj.read(5 * PS, 1);
    const six = obj.read(6 * PS, 1);
    pager.hold = false;
    pager.release();
    pager.answer = () => ResultCode.Success;
    expect((await head)[0]).toBe(3);
    expect((await five)[0]).toBe(5);
    expect((await six)[0]).toBe(6);
    expect(obj.isDestroyed).toBe(false); // DeviceFull on a guess is not the catastrophe it is on a fault
    expect(vm.stat().pinnedFrames).toBe(0);
  });

  it('a run that throws fails the fault with PagerIoError and gives every frame back; the object stays usable', async () => {
    const { vm, pager, obj } = setup();
    pager.throwRun = true;
    await expect(obj.read(3 * PS, 1)).rejects.toThrow(PagerIoError);
    expect(vm.stat().freeFrames).toBe(16);
    pager.throwRun = false;
    expect((await obj.read(3 * PS, 1))[0]).toBe(3);
  });

  it('a rejected asynchronous run: the fault fails, waiters of its read-ahead pages fault again', async () => {
    const vm = smallVm({ frames: 16 });
    let fail = true;
    const pager = definePager({
      pageIn: (page, frame) => (frame.fill(page), ResultCode.Success),
      pageInRunLength: () => 4,
      pageInRun: (first, frames) =>
        new Promise((resolve, reject) =>
          setImmediate(() => {
            if (fail) return reject(new Error('link down'));
            frames.forEach((f, i) => f.fill(first + i));
            resolve(frames.map(() => ResultCode.Success));
          }),
        ),
      refillsCleanPages: true,
    });
    const obj = vm.createMemoryObject({ size: 10 * PS, pager });
    const head = expect(obj.read(0, 1)).rejects.toThrow(PagerIoError);
    await tick();
    const ahead = obj.read(2 * PS, 1);
    fail = false;
    await head;
    expect((await ahead)[0]).toBe(2);
    expect(vm.stat().pinnedFrames).toBe(0);
  });

  it('answers that are not one code per frame are a protocol error; nothing enters the cache', async () => {
    const { vm, pager, obj } = setup();
    pager.junk = [ResultCode.Success];
    await expect(obj.read(3 * PS, 1)).rejects.toThrow(PagerProtocolError);
    expect(vm.stat().freeFrames).toBe(16);
    pager.junk = 'yes';
    await expect(obj.read(3 * PS, 1)).rejects.toThrow(PagerProtocolError);
    expect(vm.stat().freeFrames).toBe(16);
  });

  it('destroy while a run is out: every waiter gets DestroyedError and every frame comes back', async () => {
    const { vm, pager, obj } = setup();
    pager.async = true;
    pager.hold = true;
    const reads = [obj.read(3 * PS, 1), obj.read(5 * PS, 1)];
    await tick();
    await obj.destroy();
    pager.release();
    for (const r of reads) await expect(r).rejects.toThrow(DestroyedError);
    await tick();
    expect(vm.stat().freeFrames).toBe(16);
  });

  it('frames arrive zero-filled, even frames reused from another object', async () => {
    const vm = smallVm({ frames: 16 });
    const dirtyer = vm.createMemoryObject({ size: 16 * PS });
    for (let p = 0; p < 16; p++) await dirtyer.write(p * PS, new Uint8Array(PS).fill(0xee));
    await dirtyer.destroy();
    const seen: number[] = [];
    const obj = vm.createMemoryObject({
      size: 8 * PS,
      pager: definePager({
        pageIn: () => ResultCode.Success,
        pageInRunLength: () => 4,
        pageInRun: (_first, frames) => (frames.forEach((f) => seen.push(f.reduce((a, b) => a + b, 0))), frames.map(() => ResultCode.Success)),
      }),
    });
    await obj.read(0, 1);
    expect(seen).toEqual([0, 0, 0, 0]);
  });

  it('the reference model agrees over run-reading pagers, synchronous and asynchronous, in a pool of eight frames', async () => {
    const cfg = { ...smallModel, frames: 8, objectSize: 14 * PS + 100 };
    const ops = fc.array(dataApiOps(cfg), { minLength: 20, maxLength: 60 }).filter(disjointBatches);
    for (const async of [false, true]) {
      const makePager = () => Object.assign(new RunPager(), { runLength: 4, numbered: false, async });
      await fc.assert(
        fc.asyncProperty(ops, async (list) => void (await runModel(cfg, { makePager }, list))),
        { seed: MODEL_SEED, numRuns: 120 },
      );
    }
  });
});

describe('Pager.adjacent and Pager.joined', () => {
  it('find stretches of frames next to each other in one buffer', () => {
    const buf = new Uint8Array(8 * 16);
    const at = (i: number): Uint8Array => buf.subarray(i * 16, i * 16 + 16);
    const frames = [at(0), at(1), at(2), at(5), at(6), new Uint8Array(16)];
    expect(Pager.adjacent(frames, 0)).toBe(3);
    expect(Pager.adjacent(frames, 3)).toBe(2);
    expect(Pager.adjacent(frames, 5)).toBe(1);
    const j = Pager.joined(frames, 0, 3)!;
    expect([j.byteOffset, j.length, j.buffer === buf.buffer]).toEqual([0, 48, true]);
    expect(Pager.joined(frames, 1, 3)).toBeUndefined();
    expect(Pager.joined(frames, 0, 0)).toBeUndefined();
  });
});
