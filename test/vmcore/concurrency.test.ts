import { describe, expect, it } from 'vitest';
import { createVm, DestroyedError, OutOfMemoryError, ResultCode } from '../../vmcore/index.js';
import { bytes, pattern, RecordingPager, ScriptedPager, tick } from '../helpers/pagers.js';

const PS = 512;

describe('concurrent faults', () => {
  it('100 concurrent faults on one absent page cause exactly one page-in', async () => {
    const vm = createVm({ pageSize: PS, frames: 2 });
    const pager = new ScriptedPager();
    pager.store.set(0, new Uint8Array(PS).fill(42));
    pager.hold = true;
    const obj = vm.createMemoryObject({ size: PS, pager });
    const reads = Array.from({ length: 100 }, (_, i) => obj.read(i, 1));
    await tick();
    expect(pager.pageIns).toBe(1);
    expect(pager.waiting).toBe(1);
    pager.release();
    const results = await Promise.all(reads);
    expect(results.every((r) => r[0] === 42)).toBe(true);
    expect(pager.pageIns).toBe(1);
    expect(obj.stat().faults).toBe(1);
    expect(vm.stat().pinnedFrames).toBe(0); // every waiter's pin was given back
  });

  it('request() answers undefined (no promise) for resident pages and synchronous pagers', async () => {
    const vm = createVm({ pageSize: PS, frames: 2 });
    const obj = vm.createMemoryObject({ size: 2 * PS });
    expect(obj.request(0, 'write')).toBeUndefined(); // the bogopager answers without I/O
    expect(obj.request(0, 'read')).toBeUndefined();
    const slow = vm.createMemoryObject({ size: PS, pager: new RecordingPager({ async: true }) });
    const pending = slow.request(0, 'read');
    expect(pending).toBeInstanceOf(Promise);
    await pending;
    expect(slow.request(0, 'read')).toBeUndefined();
  });

  it('more concurrent faults than frames wait for frames instead of failing', async () => {
    const vm = createVm({ pageSize: PS, frames: 2 });
    const pager = new RecordingPager({ async: () => Math.floor(Math.random() * 3) });
    const obj = vm.createMemoryObject({ size: 40 * PS, pager });
    await Promise.all(Array.from({ length: 40 }, (_, i) => obj.write(i * PS, pattern(PS, i))));
    const back = await Promise.all(Array.from({ length: 40 }, (_, i) => obj.read(i * PS, PS)));
    back.forEach((b, i) => expect(b).toEqual(pattern(PS, i)));
  });
});

describe('page-out in flight', () => {
  async function evicting() {
    const vm = createVm({ pageSize: PS, frames: 1 });
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

  it('destroying an object while a page-in is in flight rejects its waiters and returns the frame', async () => {
    const vm = createVm({ pageSize: PS, frames: 1 });
    const pager = new ScriptedPager();
    pager.hold = true;
    const obj = vm.createMemoryObject({ size: PS, pager });
    const reads = [obj.read(0, 1), obj.read(1, 1)];
    await tick();
    await obj.destroy();
    for (const r of await Promise.allSettled(reads)) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(DestroyedError);
    pager.release();
    await tick();
    expect(vm.stat()).toMatchObject({ freeFrames: 1, busyFrames: 0 });
  });
});

describe('the frame pool and the page queue', () => {
  it('a frame given to a different object is zeroed first', async () => {
    const vm = createVm({ pageSize: PS, frames: 1 });
    const a = vm.createMemoryObject({ size: PS });
    await a.write(0, new Uint8Array(PS).fill(0xaa));
    await a.destroy();
    // A pager that answers Success without filling the frame: it must still see no byte of a's.
    const lazy = new ScriptedPager();
    lazy.inDefault = ResultCode.Success;
    lazy.store.clear();
    lazy.inDefault = (_page, _frame) => ResultCode.Success;
    const b = vm.createMemoryObject({ size: PS, pager: lazy });
    expect((await b.read(0, PS)).every((x) => x === 0)).toBe(true);
  });

  it('pinned frames are never reclaimed; with every frame pinned the allocation is out of memory', async () => {
    const vm = createVm({ pageSize: PS, frames: 2 });
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
    const vm = createVm({ pageSize: PS, frames: 3, policy: 'fifo' });
    const obj = vm.createMemoryObject({ size: 5 * PS, pager: new RecordingPager() });
    const evicted: number[] = [];
    obj.on('eviction', (e) => evicted.push(e.page));
    for (const p of [0, 1, 2, 0, 3, 4]) await obj.read(p * PS, 1);
    expect(evicted).toEqual([0, 1]);
  });

  it('second chance spares a page used since it was queued', async () => {
    const vm = createVm({ pageSize: PS, frames: 3, policy: 'second-chance' });
    const obj = vm.createMemoryObject({ size: 5 * PS, pager: new RecordingPager() });
    const evicted: number[] = [];
    obj.on('eviction', (e) => evicted.push(e.page));
    for (const p of [0, 1, 2, 0, 3, 4]) await obj.read(p * PS, 1);
    expect(evicted).toEqual([1, 2]);
  });

  it('keeps frame metadata in typed arrays within 32 bytes per frame', () => {
    for (const policy of ['fifo', 'second-chance']) {
      expect(createVm({ frames: 8, policy }).stat().metadataBytesPerFrame).toBeLessThanOrEqual(32);
    }
  });
});

describe('typed accessors on resident memory', () => {
  it('read and write little-endian integers within and across pages, without promises', async () => {
    const vm = createVm({ pageSize: PS, frames: 4 });
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

  it('refuse absent pages before touching a byte', async () => {
    const vm = createVm({ pageSize: PS, frames: 4 });
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
