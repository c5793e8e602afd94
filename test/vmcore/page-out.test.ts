// Page-out and eviction (vmcore/memory-object/page-out.ts, the page queue's victim): a frame in page-out is
// handed to nobody, what the object does with each page-out answer, and which frame reclaim gives up.
import { describe, expect, it } from 'vitest';
import { DestroyedError, OutOfMemoryError, PagerIoError, PagerProtocolError, ResultCode } from '../../vmcore/index.js';
import { bytes, RecordingPager, ScriptedPager, tick } from '../helpers/pagers.js';
import { PS, smallVm } from '../helpers/small.js';

describe('page-out in flight', () => {
  async function evicting() {
    const vm = smallVm({ frames: 1 });
    const pager = new ScriptedPager();
    const obj = vm.createMemoryObject({ size: 3 * PS, pager });
    await obj.write(0, bytes(1, 2, 3));
    pager.hold = true;
    const fault = obj.read(PS, 1); // needs the only frame: page 0 is paged out (held)
    await tick();
    expect(pager.pageOuts).toBe(1);
    return { vm, pager, obj, fault };
  }

  it('a frame being paged out is handed to nobody until the page-out ends, and stays readable meanwhile', async () => {
    const { vm, pager, obj, fault } = await evicting();
    const other = vm.createMemoryObject({ size: PS, pager: new RecordingPager() });
    const otherRead = other.read(0, 1);
    let otherDone = false;
    void otherRead.then(() => (otherDone = true));
    await tick();
    expect(otherDone).toBe(false);
    expect(vm.stat().busyFrames).toBe(1);
    expect([...obj.readSync(0, 3)]).toEqual([1, 2, 3]); // still resident during its page-out
    expect(pager.pageIns).toBe(1); // no page-in for page 1 yet
    pager.hold = false;
    pager.release(); // the page-out ends; page 1's page-in then runs
    await fault;
    await otherRead;
    expect(otherDone).toBe(true);
    expect([...(await obj.read(0, 3))]).toEqual([1, 2, 3]); // came back from the pager's store
  });

  it('a write during a page-out leaves the page dirty and resident; it is paged out again later', async () => {
    const { pager, obj, fault } = await evicting();
    obj.writeSync(1, bytes(9)); // during the page-out
    pager.hold = false;
    pager.release();
    await fault;
    // The written page was kept, paged out again with its new byte, then the fault got the frame.
    expect(pager.pageOuts).toBe(2);
    expect(pager.store.get(0)!.subarray(0, 3)).toEqual(bytes(1, 9, 3));
    expect([...(await obj.read(0, 3))]).toEqual([1, 9, 3]);
  });

  it('destroying an object while its page-out is in flight frees the frame only when the page-out ends', async () => {
    const { vm, pager, obj, fault } = await evicting();
    await obj.destroy();
    expect(vm.stat().freeFrames).toBe(0); // still busy
    pager.release();
    await expect(fault).rejects.toBeInstanceOf(DestroyedError);
    await tick();
    expect(vm.stat()).toMatchObject({ freeFrames: 1, busyFrames: 0, pinnedFrames: 0 });
  });
});

describe('page-out answers (eviction)', () => {
  /** Two frames, three pages: writing page 2 must evict page 0 or 1. */
  async function setup(policy = 'fifo') {
    const vm = smallVm({ frames: 2, policy });
    const pager = new ScriptedPager();
    const obj = vm.createMemoryObject({ size: 3 * PS, pager });
    await obj.write(0, bytes(10));
    await obj.write(PS, bytes(11));
    return { vm, pager, obj };
  }

  it.each([ResultCode.Success, ResultCode.AlreadyPagedOut])('code %s: the frame is reused', async (code) => {
    const { pager, obj } = await setup();
    pager.outAnswers = [code === ResultCode.Success ? 'store' : (_p: number, _f: Uint8Array) => code];
    const events: string[] = [];
    obj.on('eviction', (e) => events.push(`evict ${e.page} dirty=${e.dirty}`));
    await obj.write(2 * PS, bytes(12));
    expect(events).toEqual(['evict 0 dirty=true']);
    expect(obj.isResident(0, 1)).toBe(false);
    expect(obj.isResident(2 * PS, 1)).toBe(true);
    expect(obj.stat().pageOuts).toBe(1);
  });

  it('DeviceFull: the page stays resident and dirty, another victim is chosen, the event is reported', async () => {
    const { pager, obj } = await setup();
    pager.outAnswers = [ResultCode.DeviceFull];
    const full: number[] = [];
    obj.on('deviceFull', (e) => full.push(e.page));
    await obj.write(2 * PS, bytes(12));
    expect(full).toEqual([0]);
    expect(obj.isResident(0, 1)).toBe(true); // kept
    expect(obj.isResident(PS, 1)).toBe(false); // the other victim
    expect(obj.stat().dirtyPages).toBe(2);
    expect([...(await obj.read(0, 1))]).toEqual([10]);
    expect([...(await obj.read(PS, 1))]).toEqual([11]);
    expect([...(await obj.read(2 * PS, 1))]).toEqual([12]);
  });

  it('DeviceFull everywhere: the allocation fails with a typed out-of-memory error; nothing is lost', async () => {
    const { vm, pager, obj } = await setup();
    pager.outDefault = ResultCode.DeviceFull;
    const err = await obj.write(2 * PS, bytes(12)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutOfMemoryError);
    expect((err as Error).message).toMatch(/2 kept after a failed page-out/);
    expect(obj.isDestroyed).toBe(false);
    pager.outDefault = 'store';
    await obj.write(2 * PS, bytes(12));
    expect([...(await obj.read(0, 1))]).toEqual([10]);
    expect([...(await obj.read(PS, 1))]).toEqual([11]);
    expect([...(await obj.read(2 * PS, 1))]).toEqual([12]);
    expect(vm.stat().frames).toBe(2);
  });

  it('NotImplemented: a dirty page of that object cannot be evicted; a clean one of a refilling pager can be dropped', async () => {
    const vm = smallVm({ frames: 2, policy: 'fifo' });
    const bogo = vm.createMemoryObject({ size: 4 * PS }); // the bogopager
    await bogo.write(0, bytes(1)); // dirty, cannot be paged out
    await bogo.read(PS, 1); // clean zero page, can be dropped
    await bogo.read(2 * PS, 1); // evicts the clean page 1, not the dirty page 0
    expect(bogo.isResident(0, 1)).toBe(true);
    expect(bogo.isResident(PS, 1)).toBe(false);
    await bogo.write(2 * PS, bytes(2)); // now both resident pages are dirty
    const err = await bogo.read(3 * PS, 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutOfMemoryError);
    expect((err as Error).message).toMatch(/2 dirty with a pager that cannot page them out/);
    expect([...(await bogo.read(0, 1))]).toEqual([1]);
    expect([...(await bogo.read(2 * PS, 1))]).toEqual([2]);
  });

  it('NotImplemented from a pager that cannot refill: even a clean page is kept', async () => {
    const vm = smallVm({ frames: 1 });
    const pager = new ScriptedPager();
    pager.outDefault = ResultCode.NotImplemented;
    pager.refills = false;
    const obj = vm.createMemoryObject({ size: 2 * PS, pager });
    await obj.read(0, 1);
    await expect(obj.read(PS, 1)).rejects.toBeInstanceOf(OutOfMemoryError);
    expect(obj.isResident(0, 1)).toBe(true);
  });

  it.each(['throw', 'junk'] as const)('a page-out that %ss fails the operation with a typed error; the page stays, dirty', async (how) => {
    const { pager, obj } = await setup();
    pager.outAnswers = [how];
    const failed: string[] = [];
    obj.on('pageOutFailed', (e) => failed.push(e.error.name));
    const err = await obj.write(2 * PS, bytes(12)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(how === 'junk' ? PagerProtocolError : PagerIoError);
    expect(failed).toHaveLength(1);
    expect(obj.isDestroyed).toBe(false);
    expect(obj.stat().dirtyPages).toBe(2);
    await obj.write(2 * PS, bytes(12));
    expect([...(await obj.read(0, 1))]).toEqual([10]);
    expect([...(await obj.read(PS, 1))]).toEqual([11]);
    expect([...(await obj.read(2 * PS, 1))]).toEqual([12]);
  });

  it('a clean page of a pager that cannot refill is offered to pageOut with dirty=false', async () => {
    const vm = smallVm({ frames: 1 });
    const pager = new RecordingPager();
    const obj = vm.createMemoryObject({ size: 2 * PS, pager });
    await obj.read(0, 1);
    await obj.read(PS, 1);
    expect(pager.calls).toContainEqual({ op: 'pageOut', page: 0, dirty: false });
  });
});

describe('reclaim: which frame the page queue gives up', () => {
  it('pinned frames are never reclaimed; with every frame pinned the allocation is out of memory', async () => {
    const vm = smallVm({ frames: 2 });
    const pager = new RecordingPager();
    const obj = vm.createMemoryObject({ size: 4 * PS, pager });
    await obj.pin(0);
    await obj.write(PS, bytes(1));
    await obj.read(2 * PS, 1); // evicts page 1, not the pinned page 0
    expect(obj.isResident(0, 1)).toBe(true);
    expect(obj.isResident(PS, 1)).toBe(false);
    await obj.pin(2);
    await expect(obj.read(3 * PS, 1)).rejects.toSatisfy((e) => e instanceof OutOfMemoryError && /2 pinned/.test(e.message));
    obj.unpin(0);
    await obj.read(3 * PS, 1);
    expect(obj.isResident(0, 1)).toBe(false);
    expect([...(await obj.read(PS, 1))]).toEqual([1]);
  });

  it('FIFO reclaims the head of the queue: the oldest issued frame first', async () => {
    const vm = smallVm({ frames: 3, policy: 'fifo' });
    const obj = vm.createMemoryObject({ size: 5 * PS, pager: new RecordingPager() });
    const evicted: number[] = [];
    obj.on('eviction', (e) => evicted.push(e.page));
    for (const p of [0, 1, 2, 0, 3, 4]) await obj.read(p * PS, 1);
    expect(evicted).toEqual([0, 1]);
  });

  it('second chance spares a page used since it was queued', async () => {
    const vm = smallVm({ frames: 3, policy: 'second-chance' });
    const obj = vm.createMemoryObject({ size: 5 * PS, pager: new RecordingPager() });
    const evicted: number[] = [];
    obj.on('eviction', (e) => evicted.push(e.page));
    for (const p of [0, 1, 2, 0, 3, 4]) await obj.read(p * PS, 1);
    expect(evicted).toEqual([1, 2]);
  });
});
