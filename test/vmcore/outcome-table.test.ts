import { describe, expect, it } from 'vitest';
import {
  BogoPager,
  createVm,
  DestroyedError,
  MAX_PAGE_IN_RETRIES,
  OutOfMemoryError,
  Pager,
  PagerFailedError,
  PagerIoError,
  PagerProtocolError,
  ResultCode,
} from '../../vmcore/index.js';
import { bytes, RecordingPager, ScriptedPager } from '../helpers/pagers.js';

const PS = 512;

describe('ResultCode and the Pager base class', () => {
  it('has exactly SPIN six codes', () => {
    const names = Object.keys(ResultCode).filter((k) => Number.isNaN(Number(k)));
    expect(names).toEqual(['Success', 'AlreadyPagedIn', 'AlreadyPagedOut', 'PagerDestroyed', 'DeviceFull', 'NotImplemented']);
  });

  it('answers NotImplemented to page-out in the base class; page-in has no default', () => {
    class ReadOnly extends Pager {
      override pageIn(): ResultCode {
        return ResultCode.Success;
      }
    }
    const p = new ReadOnly();
    expect(p.pageOut(0, new Uint8Array(PS), true)).toBe(ResultCode.NotImplemented);
    expect(Object.hasOwn(Pager.prototype, 'pageIn')).toBe(false);
  });

  it('a pager without pageIn (plain JavaScript, where the compiler cannot tell) is refused when the object is made', () => {
    const Base = Pager as unknown as new () => object;
    class Forgetful extends Base {}
    const vm = createVm({ pageSize: PS, frames: 2 });
    expect(() => vm.createMemoryObject({ size: PS, pager: new Forgetful() as Pager })).toThrow(/Forgetful has no pageIn/);
    expect(vm.stat().objects).toBe(0);
  });

  it('the bogopager zero-fills, has no page-out, and answers PagerDestroyed after destroy', () => {
    const p = new BogoPager();
    p.init({ pageSize: PS, size: PS, pageCount: 1, name: 'b' });
    const frame = new Uint8Array(PS).fill(7);
    expect(p.pageIn(0, frame, 'read')).toBe(ResultCode.Success);
    expect(frame.every((b) => b === 0)).toBe(true);
    expect(p.pageOut(0, frame, true)).toBe(ResultCode.NotImplemented);
    p.destroy();
    expect(p.pageIn(0, frame, 'read')).toBe(ResultCode.PagerDestroyed);
  });

  it('a memory object over a pager answering NotImplemented to page-in fails the fault and is destroyed', async () => {
    class Bare extends Pager {
      override pageIn(): ResultCode {
        return ResultCode.NotImplemented;
      }
    }
    const vm = createVm({ pageSize: PS, frames: 2 });
    const obj = vm.createMemoryObject({ size: PS, pager: new Bare() });
    const err = await obj.read(0, 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PagerFailedError);
    expect((err as PagerFailedError).result).toBe(ResultCode.NotImplemented);
    expect(obj.isDestroyed).toBe(true);
  });
});

describe('page-in answers', () => {
  it('Success: the frame enters the cache (no second page-in)', async () => {
    const vm = createVm({ pageSize: PS, frames: 2 });
    const pager = new ScriptedPager();
    const obj = vm.createMemoryObject({ size: PS, pager });
    await obj.read(0, 4);
    await obj.read(4, 4);
    expect(pager.pageIns).toBe(1);
    expect(obj.isResident(0, PS)).toBe(true);
  });

  it('AlreadyPagedIn: looks again and asks again; a later Success completes the fault', async () => {
    const vm = createVm({ pageSize: PS, frames: 2 });
    const pager = new ScriptedPager();
    pager.inAnswers = [ResultCode.AlreadyPagedIn, ResultCode.AlreadyPagedIn];
    const obj = vm.createMemoryObject({ size: PS, pager });
    await obj.write(0, bytes(9));
    expect(pager.pageIns).toBe(3);
    expect((await obj.read(0, 1))[0]).toBe(9);
    expect(vm.stat().freeFrames).toBe(1); // the spare frames were given back
  });

  it('AlreadyPagedIn forever: a bounded number of retries, then a typed error, never a loop', async () => {
    const vm = createVm({ pageSize: PS, frames: 2 });
    const pager = new ScriptedPager();
    pager.inDefault = ResultCode.AlreadyPagedIn;
    const obj = vm.createMemoryObject({ size: PS, pager });
    const err = await obj.read(0, 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PagerFailedError);
    expect((err as PagerFailedError).result).toBe(ResultCode.AlreadyPagedIn);
    expect(pager.pageIns).toBe(MAX_PAGE_IN_RETRIES);
    expect(vm.stat().freeFrames).toBe(2);
    expect(obj.isDestroyed).toBe(false); // the object stays usable
    pager.inDefault = 'store';
    expect((await obj.read(0, 1))[0]).toBe(0);
  });

  it.each([ResultCode.PagerDestroyed, ResultCode.DeviceFull, ResultCode.NotImplemented])(
    'code %s: the fault fails with the code, the object is destroyed, every waiter rejected',
    async (code) => {
      const vm = createVm({ pageSize: PS, frames: 4 });
      const pager = new ScriptedPager();
      const obj = vm.createMemoryObject({ size: 4 * PS, pager });
      await obj.write(PS, bytes(1)); // a resident page
      pager.hold = true;
      pager.inAnswers = [code];
      const waiters = [obj.read(0, 1), obj.read(1, 1), obj.read(2, 1)];
      const other = obj.read(2 * PS, 1); // a different page in flight
      const events: unknown[] = [];
      obj.on('destroyed', (e) => events.push(e.cause));
      await Promise.resolve();
      pager.release();
      const results = await Promise.allSettled(waiters);
      for (const r of results) {
        expect(r.status).toBe('rejected');
        const reason = (r as PromiseRejectedResult).reason;
        expect(reason).toBeInstanceOf(PagerFailedError);
        expect((reason as PagerFailedError).result).toBe(code);
      }
      const o = await other.catch((e: unknown) => e);
      expect(o).toBeInstanceOf(DestroyedError);
      expect((o as DestroyedError).cause).toBeInstanceOf(PagerFailedError);
      expect(obj.isDestroyed).toBe(true);
      expect(events).toHaveLength(1);
      expect(pager.destroyCalls).toBe(1);
      await Promise.resolve();
      pager.release();
      await new Promise((r) => setTimeout(r, 5));
      expect(vm.stat().freeFrames).toBe(4); // every frame back in the pool
    },
  );

  it.each(['throw', 'reject'] as const)('a pager that %ss: typed I/O error with the cause; the object stays usable, nothing lost', async (how) => {
    const vm = createVm({ pageSize: PS, frames: 2 });
    const pager = new ScriptedPager();
    const obj = vm.createMemoryObject({ size: 2 * PS, pager });
    await obj.write(0, bytes(5, 6));
    pager.inAnswers = [how];
    const err = await obj.read(PS, 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PagerIoError);
    expect((err as PagerIoError).cause).toBeInstanceOf(Error);
    expect((err as PagerIoError).operation).toBe('pageIn');
    expect(obj.isDestroyed).toBe(false);
    expect([...(await obj.read(0, 2))]).toEqual([5, 6]);
    expect((await obj.read(PS, 1))[0]).toBe(0);
    expect(vm.stat().freeFrames).toBe(0);
  });

  it('an answer that is not a ResultCode is a protocol error', async () => {
    const vm = createVm({ pageSize: PS, frames: 2 });
    const pager = new ScriptedPager();
    pager.inAnswers = ['junk'];
    const obj = vm.createMemoryObject({ size: PS, pager });
    await expect(obj.read(0, 1)).rejects.toBeInstanceOf(PagerProtocolError);
    expect(vm.stat().freeFrames).toBe(2);
  });
});

describe('page-out answers (eviction)', () => {
  /** Two frames, three pages: writing page 2 must evict page 0 or 1. */
  async function setup(policy = 'fifo') {
    const vm = createVm({ pageSize: PS, frames: 2, policy });
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
    const vm = createVm({ pageSize: PS, frames: 2, policy: 'fifo' });
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
    const vm = createVm({ pageSize: PS, frames: 1 });
    const pager = new ScriptedPager();
    pager.outDefault = ResultCode.NotImplemented;
    pager.refills = false;
    const obj = vm.createMemoryObject({ size: 2 * PS, pager });
    await obj.read(0, 1);
    await expect(obj.read(PS, 1)).rejects.toBeInstanceOf(OutOfMemoryError);
    expect(obj.isResident(0, 1)).toBe(true);
  });

  it.each(['throw', 'reject', 'junk'] as const)('a page-out that %ss fails the operation with a typed error; the page stays, dirty', async (how) => {
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
    const vm = createVm({ pageSize: PS, frames: 1 });
    const pager = new RecordingPager();
    const obj = vm.createMemoryObject({ size: 2 * PS, pager });
    await obj.read(0, 1);
    await obj.read(PS, 1);
    expect(pager.calls).toContainEqual({ op: 'pageOut', page: 0, dirty: false });
  });
});

describe('flush', () => {
  it('pages out every dirty page and keeps it resident', async () => {
    const vm = createVm({ pageSize: PS, frames: 4 });
    const pager = new RecordingPager();
    const obj = vm.createMemoryObject({ size: 4 * PS, pager });
    await obj.write(0, new Uint8Array(3 * PS).fill(3));
    expect(await obj.flush()).toBe(3);
    expect(obj.stat()).toMatchObject({ residentPages: 3, dirtyPages: 0, pageOuts: 3 });
    expect([...pager.store.keys()].sort()).toEqual([0, 1, 2]);
    expect(await obj.flush()).toBe(0);
  });

  it('a failed page-out in a flush leaves that page dirty and reports the first error after trying the rest', async () => {
    const vm = createVm({ pageSize: PS, frames: 4 });
    const pager = new ScriptedPager();
    const obj = vm.createMemoryObject({ size: 4 * PS, pager });
    await obj.write(0, new Uint8Array(3 * PS).fill(3));
    pager.outAnswers = ['store', ResultCode.DeviceFull, 'store'];
    const err = await obj.flush().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PagerFailedError);
    expect((err as PagerFailedError).result).toBe(ResultCode.DeviceFull);
    expect((err as PagerFailedError).page).toBe(1);
    expect(obj.stat().dirtyPages).toBe(1);
    expect(await obj.flush()).toBe(1);
  });

  it('the bogopager cannot flush: NotImplemented, and the data stays', async () => {
    const vm = createVm({ pageSize: PS, frames: 2 });
    const obj = vm.createMemoryObject({ size: PS });
    await obj.write(0, bytes(4));
    const err = await obj.flush().catch((e: unknown) => e);
    expect((err as PagerFailedError).result).toBe(ResultCode.NotImplemented);
    expect([...(await obj.read(0, 1))]).toEqual([4]);
  });
});
