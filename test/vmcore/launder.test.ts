// Write-behind eviction (vmcore/memory-object/launder.ts, page-out.ts's reclaim): a dirty victim whose
// page-out goes asynchronous is laundered in place, and the faulter takes a clean victim without waiting.
import { describe, expect, it } from 'vitest';
import { OutOfMemoryError, Pager, PagerIoError, ResultCode, type Access, type PagerAnswer } from '../../vmcore/index.js';
import { RecordingPager, bytes, tick } from '../helpers/pagers.js';
import { PS, smallVm } from '../helpers/small.js';

type Answer = ResultCode | 'reject';

/** Page-ins answer at once; page-out runs are recorded and held until `release()`, then answer `answer`. */
class LaunderPager extends Pager {
  readonly store = new Map<number, Uint8Array>();
  readonly runs: Array<[first: number, pages: number]> = [];
  answer: Answer = ResultCode.Success;
  private held: Array<() => void> = [];

  override get refillsCleanPages(): boolean {
    return true;
  }

  get waiting(): number {
    return this.held.length;
  }

  release(): void {
    const held = this.held;
    this.held = [];
    for (const h of held) h();
  }

  override pageIn(page: number, frame: Uint8Array, _access: Access): PagerAnswer {
    const saved = this.store.get(page);
    if (saved) frame.set(saved);
    else frame.fill(0);
    return ResultCode.Success;
  }

  override pageOut(page: number, frame: Uint8Array, _dirty: boolean): PagerAnswer {
    return this.pageOutRun(page, [frame]).then((codes) => codes[0]!);
  }

  override pageOutRun(firstPage: number, frames: readonly Uint8Array[]): Promise<ResultCode[]> {
    this.runs.push([firstPage, frames.length]);
    const copies = frames.map((f) => f.slice()); // as a network pager copies before its request goes out
    return new Promise<void>((resolve) => this.held.push(resolve)).then(() => {
      const answer = this.answer;
      if (answer === 'reject') throw new Error('connection lost');
      if (answer === ResultCode.Success) copies.forEach((c, i) => this.store.set(firstPage + i, c));
      return frames.map(() => answer);
    });
  }
}

/** `frames` frames, FIFO, one object of `pages` pages over a LaunderPager. */
function setup(frames: number, pages: number) {
  const vm = smallVm({ frames, policy: 'fifo' });
  const pager = new LaunderPager();
  const obj = vm.createMemoryObject({ size: pages * PS, pager });
  return { vm, pager, obj };
}

/** Whether `promise` has settled after a turn of the event loop. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  await tick();
  return done;
}

describe('write-behind eviction', () => {
  it('a faulter passes over dirty victims being laundered and takes a clean one without waiting', async () => {
    const { pager, obj } = setup(4, 8);
    await obj.write(0, bytes(1)); // dirty
    await obj.write(PS, bytes(2)); // dirty
    await obj.read(2 * PS, 1); // clean
    await obj.read(3 * PS, 1); // clean
    const evicted: number[] = [];
    obj.on('eviction', (e) => evicted.push(e.page));
    const fault = obj.read(4 * PS, 1);
    expect(await settled(fault)).toBe(true); // while both page-outs are held
    expect(pager.waiting).toBe(2);
    expect(evicted).toEqual([2]);
    expect(obj.isResident(0, 1) && obj.isResident(PS, 1)).toBe(true);
    expect([...obj.readSync(0, 1)]).toEqual([1]); // readable while it is written back
    pager.release();
    await tick();
    // Laundered, not dropped: resident and clean, so the next faults take them without I/O.
    expect(obj.stat()).toMatchObject({ residentPages: 4, dirtyPages: 0, pageOuts: 2 });
    await obj.read(5 * PS, 1);
    await obj.read(6 * PS, 1);
    expect(evicted).toEqual([2, 0, 1]);
    expect(pager.waiting).toBe(0);
    expect([...(await obj.read(0, 1))]).toEqual([1]);
    expect([...(await obj.read(PS, 1))]).toEqual([2]);
  });

  it('once the pager is seen asynchronous, the dirty run around the victim goes in one pageOutRun', async () => {
    const { pager, obj } = setup(8, 32);
    await obj.write(20 * PS, bytes(20)); // the first victim: its page-out teaches vmcore the pager is asynchronous
    for (let p = 0; p < 5; p++) await obj.write(p * PS, bytes(p + 1));
    await obj.read(10 * PS, 1);
    await obj.read(11 * PS, 1);
    const fault = obj.read(12 * PS, 1);
    expect(await settled(fault)).toBe(true);
    expect(pager.runs).toEqual([
      [20, 1],
      [0, 5],
    ]);
    expect(obj.isResident(10 * PS, 1)).toBe(false);
    pager.release();
    await tick();
    expect(obj.stat().dirtyPages).toBe(0);
    for (let p = 0; p < 5; p++) expect([...(await obj.read(p * PS, 1))]).toEqual([p + 1]);
    expect([...(await obj.read(20 * PS, 1))]).toEqual([20]);
  });

  it('with every victim dirty, the faulter waits for a laundering, then takes the page it cleaned', async () => {
    const { pager, obj } = setup(2, 4);
    await obj.write(0, bytes(1));
    await obj.write(PS, bytes(2));
    const fault = obj.read(2 * PS, 1);
    expect(await settled(fault)).toBe(false);
    expect(pager.runs).toEqual([
      [0, 1],
      [1, 1],
    ]);
    pager.release();
    await fault;
    expect(obj.stat()).toMatchObject({ residentPages: 2, evictions: 1, pageOuts: 2 });
    expect([...(await obj.read(0, 1))]).toEqual([1]);
    expect([...(await obj.read(PS, 1))]).toEqual([2]);
  });

  it('with the laundry full (32 pages), further dirty victims are passed over, not written', async () => {
    const { pager, obj } = setup(40, 200);
    for (let p = 0; p < 78; p += 2) await obj.write(p * PS, bytes(p + 1)); // 39 dirty pages, none adjacent
    await obj.read(100 * PS, 1); // the one clean page, last in the queue
    const fault = obj.read(101 * PS, 1);
    expect(await settled(fault)).toBe(true);
    expect(pager.runs).toHaveLength(32); // pages 0 .. 62, one run each
    expect(pager.runs.at(-1)).toEqual([62, 1]);
    expect(obj.isResident(100 * PS, 1)).toBe(false);
    pager.release();
    await tick();
    expect(obj.stat().dirtyPages).toBe(7); // pages 64 .. 76, passed over
  });

  it('a page written during its laundering stays dirty, and its new bytes are written later', async () => {
    const { pager, obj } = setup(3, 4);
    await obj.write(0, bytes(1));
    await obj.read(PS, 1);
    await obj.read(2 * PS, 1);
    await obj.read(3 * PS, 1); // launders page 0 (held), evicts clean page 1
    obj.writeSync(0, bytes(9));
    pager.release();
    await tick();
    expect(obj.stat().dirtyPages).toBe(1);
    expect(pager.store.get(0)![0]).toBe(1); // the laundering wrote the bytes it saw
    const flushing = obj.flush();
    pager.release();
    await tick();
    pager.release();
    await flushing;
    expect(pager.store.get(0)![0]).toBe(9);
  });
});

describe('write-behind failures', () => {
  it.each([ResultCode.DeviceFull, ResultCode.NotImplemented])(
    'a laundering answered %s keeps the pages resident and dirty; with nothing else, out of memory',
    async (code) => {
      const { pager, obj } = setup(2, 4);
      await obj.write(0, bytes(1));
      await obj.write(PS, bytes(2));
      pager.answer = code;
      const fault = obj.read(2 * PS, 1);
      await tick();
      pager.release(); // both launderings fail; the faulter does not launder them again
      await expect(fault).rejects.toBeInstanceOf(OutOfMemoryError);
      expect(pager.runs).toHaveLength(2);
      expect(obj.stat()).toMatchObject({ residentPages: 2, dirtyPages: 2, evictions: 0 });
      expect([...obj.readSync(0, 1)]).toEqual([1]);
      expect([...obj.readSync(PS, 1)]).toEqual([2]);
    },
  );

  it('a rejected laundering is reported, keeps the page dirty and fails the faulter that waited for it; the next one succeeds', async () => {
    const { pager, obj } = setup(2, 4);
    await obj.write(0, bytes(1));
    await obj.write(PS, bytes(2));
    const failed: number[] = [];
    obj.on('pageOutFailed', (e) => failed.push(e.page));
    pager.answer = 'reject';
    const fault = obj.read(2 * PS, 1);
    await tick();
    pager.release();
    await expect(fault).rejects.toBeInstanceOf(PagerIoError);
    expect(failed.sort()).toEqual([0, 1]);
    expect(obj.stat()).toMatchObject({ residentPages: 2, dirtyPages: 2 });
    pager.answer = ResultCode.Success;
    const again = obj.read(2 * PS, 1);
    await tick();
    pager.release();
    await again;
    expect([...(await obj.read(0, 1))]).toEqual([1]);
    expect([...(await obj.read(PS, 1))]).toEqual([2]);
  });

  it('a failed laundering of a victim the faulter passed over is reported only; the faulter already had its frame', async () => {
    const { pager, obj } = setup(2, 4);
    await obj.write(0, bytes(1));
    await obj.read(PS, 1);
    const failed: number[] = [];
    obj.on('pageOutFailed', (e) => failed.push(e.page));
    pager.answer = 'reject';
    await obj.read(2 * PS, 1); // page 0 laundered behind, clean page 1 evicted
    pager.release();
    await tick();
    expect(failed).toEqual([0]);
    expect(obj.stat()).toMatchObject({ residentPages: 2, dirtyPages: 1 });
    expect([...obj.readSync(0, 1)]).toEqual([1]);
  });
});

describe('write-behind and destroy', () => {
  it('destroying an object while its pages are laundered leaks no frame; a faulter waiting for them gets one', async () => {
    const vm = smallVm({ frames: 2, policy: 'fifo' });
    const pager = new LaunderPager();
    const a = vm.createMemoryObject({ size: 4 * PS, pager });
    await a.write(0, bytes(1));
    await a.write(PS, bytes(2));
    const b = vm.createMemoryObject({ size: PS, pager: new RecordingPager() });
    const fault = b.read(0, 1);
    expect(await settled(fault)).toBe(false); // both of a's pages are being laundered
    await a.destroy();
    expect(vm.stat()).toMatchObject({ freeFrames: 0, busyFrames: 2 });
    pager.release();
    await fault;
    await tick();
    expect(vm.stat()).toMatchObject({ freeFrames: 1, busyFrames: 0, pinnedFrames: 0 });
  });

  it('destroying an object mid-laundering with no one waiting returns its frames when the pager answers', async () => {
    const { vm, pager, obj } = setup(2, 4);
    await obj.write(0, bytes(1));
    await obj.read(PS, 1);
    await obj.read(2 * PS, 1); // launders page 0, evicts page 1
    await obj.destroy();
    expect(vm.stat()).toMatchObject({ freeFrames: 1, busyFrames: 1 });
    pager.release();
    await tick();
    expect(vm.stat()).toMatchObject({ freeFrames: 2, busyFrames: 0 });
  });
});
