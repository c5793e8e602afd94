// Events (vmcore/events.ts): the seven events of an object and of its instance, their payloads and order,
// unsubscribing, and listeners that throw.
import { describe, expect, it } from 'vitest';
import { PagerFailedError, PagerIoError, PagerProtocolError, ResultCode, type MemoryObject, type VmEvents } from '../../vmcore/index.js';
import { EVENTS, listen, plain } from '../helpers/events.js';
import { failureOf } from '../helpers/failure.js';
import { RecordingPager, ScriptedPager, pattern, tick } from '../helpers/pagers.js';
import { PS, smallObject, smallVm } from '../helpers/small.js';

/** Runs `run` with uncaught exceptions captured (listeners that throw are rethrown on a later tick). */
async function trapUncaught<T>(run: () => Promise<T>): Promise<{ result: T; uncaught: unknown[] }> {
  const saved = process.listeners('uncaughtException');
  process.removeAllListeners('uncaughtException');
  const uncaught: unknown[] = [];
  const trap = (err: unknown): void => {
    uncaught.push(err);
  };
  process.on('uncaughtException', trap);
  try {
    const result = await run();
    await tick();
    await tick();
    return { result, uncaught };
  } finally {
    process.removeListener('uncaughtException', trap);
    for (const listener of saved) process.on('uncaughtException', listener);
  }
}

/**
 * Makes every one of the seven events fire on `obj` (over `pager`, in a two-frame instance):
 * three written pages with a DeviceFull on the first eviction, a flush whose first page-out throws, a destroy.
 */
async function everything(obj: MemoryObject, pager: ScriptedPager) {
  pager.outAnswers = [ResultCode.DeviceFull];
  for (let p = 0; p < 3; p++) await obj.write(p * PS, pattern(PS, p + 1));
  const afterWrites = obj.stat();
  const resident = [0, 1, 2].map((p) => obj.isResident(p * PS, PS));
  const contents = [0, 2].map((p) => obj.readSync(p * PS, PS));
  pager.outAnswers = ['throw'];
  const flushError = await failureOf(obj.flush());
  const afterFlush = obj.stat();
  await obj.destroy();
  return { afterWrites, resident, contents, flushError: flushError.constructor.name, afterFlush };
}

/** What `everything` reports, event by event, on the object named obj. */
const EVERYTHING_EVENTS = [
  { name: 'fault', object: 'obj', page: 0, access: 'write' },
  { name: 'pageIn', object: 'obj', page: 0, frame: 0 },
  { name: 'fault', object: 'obj', page: 1, access: 'write' },
  { name: 'pageIn', object: 'obj', page: 1, frame: 1 },
  { name: 'fault', object: 'obj', page: 2, access: 'write' },
  { name: 'pageOut', object: 'obj', page: 0, dirty: true, result: ResultCode.DeviceFull },
  { name: 'deviceFull', object: 'obj', page: 0 },
  { name: 'pageOut', object: 'obj', page: 1, dirty: true, result: ResultCode.Success },
  { name: 'eviction', object: 'obj', page: 1, frame: 1, dirty: true },
  { name: 'pageIn', object: 'obj', page: 2, frame: 1 },
  { name: 'pageOutFailed', object: 'obj', page: 0, error: 'PagerIoError: obj: pageOut of page 0 failed: scripted failure on page 0' },
  { name: 'pageOut', object: 'obj', page: 2, dirty: true, result: ResultCode.Success },
  { name: 'destroyed', object: 'obj', cause: undefined },
];

const SOURCES = [
  ['obj.on', (s: ReturnType<typeof smallObject>) => s.obj],
  ['vm.on', (s: ReturnType<typeof smallObject>) => s.vm],
] as const;

describe('events: payloads', () => {
  it.each(SOURCES)('%s: all seven events fire in order with their payloads', async (_label, source) => {
    const s = smallObject();
    const { log } = listen(source(s));
    await everything(s.obj, s.pager);
    expect(plain(log)).toEqual(EVERYTHING_EVENTS);
    for (const entry of log) expect(entry.event.object).toBe(s.obj);
    const failed = log.find((e) => e.name === 'pageOutFailed')!.event as VmEvents['pageOutFailed'];
    expect(failed.error).toBeInstanceOf(PagerIoError);
  });

  it('both subscriptions see the same event objects, object subscribers first', async () => {
    const s = smallObject();
    const order: string[] = [];
    const seen: unknown[][] = [[], []];
    s.obj.on('pageIn', (e) => (order.push('obj'), seen[0]!.push(e)));
    s.vm.on('pageIn', (e) => (order.push('vm'), seen[1]!.push(e)));
    await s.obj.read(0, 2 * PS);
    expect(order).toEqual(['obj', 'vm', 'obj', 'vm']);
    expect(seen[0]).toHaveLength(2);
    seen[0]!.forEach((e, i) => expect(e).toBe(seen[1]![i]));
  });

  it('fault carries the access: read, write, execute; pageIn carries the frame that holds the page', async () => {
    const s = smallObject({ size: 2 * PS });
    const { log } = listen(s.obj);
    await s.obj.read(0, 1);
    await s.obj.request(1, 'execute');
    await s.obj.destroy();
    const s2 = smallObject();
    const { log: log2 } = listen(s2.obj);
    await s2.obj.write(PS + 3, pattern(4, 4));
    expect(
      plain(log)
        .filter((e) => e['name'] === 'fault')
        .map((e) => e['access']),
    ).toEqual(['read', 'execute']);
    expect(plain(log2).filter((e) => e['name'] === 'fault')).toEqual([{ name: 'fault', object: 'obj', page: 1, access: 'write' }]);
    const pageIn = log2.find((e) => e.name === 'pageIn')!.event as VmEvents['pageIn'];
    expect(s2.pool.state.pageOf(pageIn.frame)).toBe(1);
    expect(s2.pool.view(pageIn.frame).subarray(3, 7)).toEqual(pattern(4, 4));
  });

  it('a fault on a resident page, or a second faulter of an in-flight page, fires no fault', async () => {
    const s = smallObject();
    s.pager.hold = true;
    const { log } = listen(s.vm);
    const first = s.obj.read(0, 1);
    const second = s.obj.read(1, 1);
    await tick();
    s.pager.release();
    await Promise.all([first, second]);
    await s.obj.read(0, PS);
    expect(plain(log)).toEqual([
      { name: 'fault', object: 'obj', page: 0, access: 'read' },
      { name: 'pageIn', object: 'obj', page: 0, frame: 0 },
    ]);
  });

  it('a clean page: paged out with dirty false when the pager does not refill, dropped silently when it does', async () => {
    for (const refills of [false, true]) {
      const s = smallObject({ refills });
      const { log } = listen(s.obj);
      await s.obj.read(0, 3 * PS);
      const outs = plain(log).filter((e) => e['name'] === 'pageOut' || e['name'] === 'eviction');
      expect(outs).toEqual([
        ...(refills ? [] : [{ name: 'pageOut', object: 'obj', page: 0, dirty: false, result: ResultCode.Success }]),
        { name: 'eviction', object: 'obj', page: 0, frame: 0, dirty: false },
      ]);
    }
  });

  it('pageOut reports AlreadyPagedOut as its result; flush reports dirty pages only and evicts nothing', async () => {
    const s = smallObject();
    const { log } = listen(s.obj);
    await s.obj.write(0, pattern(PS, 1));
    await s.obj.read(PS, 1);
    s.pager.outAnswers = [ResultCode.AlreadyPagedOut];
    expect(await s.obj.flush()).toBe(1);
    expect(plain(log).filter((e) => e['name'] !== 'fault' && e['name'] !== 'pageIn')).toEqual([
      { name: 'pageOut', object: 'obj', page: 0, dirty: true, result: ResultCode.AlreadyPagedOut },
    ]);
    expect(s.obj.stat()).toMatchObject({ pageOuts: 1, evictions: 0, dirtyPages: 0, residentPages: 2 });
  });

  it('deviceFull on a flush: the page stays dirty, flush rejects with PagerFailedError', async () => {
    const s = smallObject();
    const { log } = listen(s.vm);
    await s.obj.write(0, pattern(PS, 1));
    s.pager.outAnswers = [ResultCode.DeviceFull];
    const err = await failureOf(s.obj.flush());
    expect(err).toBeInstanceOf(PagerFailedError);
    expect((err as PagerFailedError).result).toBe(ResultCode.DeviceFull);
    expect(plain(log).slice(2)).toEqual([
      { name: 'pageOut', object: 'obj', page: 0, dirty: true, result: ResultCode.DeviceFull },
      { name: 'deviceFull', object: 'obj', page: 0 },
    ]);
    expect(s.obj.stat().dirtyPages).toBe(1);
    expect(await s.obj.flush()).toBe(1);
  });

  it.each([
    ['throws', 'throw', PagerIoError],
    ['answers junk', 'junk', PagerProtocolError],
  ] as const)('pageOutFailed during an eviction when the pager %s: the fault fails, the page stays resident and dirty', async (_label, answer, ErrorClass) => {
    const s = smallObject();
    for (let p = 0; p < 2; p++) await s.obj.write(p * PS, pattern(PS, p + 1));
    const { log } = listen(s.obj);
    const vmLog = listen(s.vm).log;
    s.pager.outAnswers = [answer];
    const err = await failureOf(s.obj.write(2 * PS, pattern(PS, 3)));
    expect(err).toBeInstanceOf(ErrorClass);
    const failed = log.filter((e) => e.name === 'pageOutFailed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.event).toMatchObject({ object: s.obj, page: 0 });
    expect((failed[0]!.event as VmEvents['pageOutFailed']).error).toBe(err);
    expect(vmLog.filter((e) => e.name === 'pageOutFailed').map((e) => e.event)).toEqual(failed.map((e) => e.event));
    expect(log.filter((e) => e.name === 'eviction')).toEqual([]);
    expect(s.obj.stat()).toMatchObject({ residentPages: 2, dirtyPages: 2, evictions: 0, pageOuts: 0 });
    expect(s.obj.readSync(0, PS)).toEqual(pattern(PS, 1));
    // The pager recovers: the write goes through and nothing was lost.
    await s.obj.write(2 * PS, pattern(PS, 3));
    for (let p = 0; p < 3; p++) expect(await s.obj.read(p * PS, PS)).toEqual(pattern(PS, p + 1));
  });

  it('pageOutFailed during write-behind when the pager rejects: the fault takes another victim, the page stays resident and dirty', async () => {
    const s = smallObject();
    for (let p = 0; p < 2; p++) await s.obj.write(p * PS, pattern(PS, p + 1));
    const { log } = listen(s.obj);
    s.pager.outAnswers = ['reject'];
    // Page 0's page-out goes asynchronous: the fault does not wait for it and evicts page 1 instead.
    await s.obj.write(2 * PS, pattern(PS, 3));
    await tick();
    const failed = log.filter((e) => e.name === 'pageOutFailed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.event).toMatchObject({ object: s.obj, page: 0 });
    expect((failed[0]!.event as VmEvents['pageOutFailed']).error).toBeInstanceOf(PagerIoError);
    expect(log.filter((e) => e.name === 'eviction').map((e) => (e.event as VmEvents['eviction']).page)).toEqual([1]);
    expect(s.obj.isResident(0, PS)).toBe(true);
    expect(s.obj.stat()).toMatchObject({ residentPages: 2, dirtyPages: 2, evictions: 1, pageOuts: 1 });
    for (let p = 0; p < 3; p++) expect(await s.obj.read(p * PS, PS)).toEqual(pattern(PS, p + 1));
  });

  it('destroyed: once, with no cause for destroy(); with the error for a catastrophic page-in', async () => {
    const s = smallObject();
    const { log } = listen(s.obj);
    const vmLog = listen(s.vm).log;
    await Promise.all([s.obj.destroy(), s.obj.destroy()]);
    await s.obj.destroy();
    expect(plain(log)).toEqual([{ name: 'destroyed', object: 'obj', cause: undefined }]);
    expect(plain(vmLog)).toEqual(plain(log));

    const t = smallObject();
    const tLog = listen(t.vm).log;
    t.pager.inAnswers = [ResultCode.NotImplemented];
    const err = await failureOf(t.obj.read(0, 1));
    expect(err).toBeInstanceOf(PagerFailedError);
    await t.obj.destroy();
    const destroyed = tLog.filter((e) => e.name === 'destroyed');
    expect(destroyed).toHaveLength(1);
    expect((destroyed[0]!.event as VmEvents['destroyed']).cause).toBe(err);
    expect(t.obj.isDestroyed).toBe(true);
  });

  it('vm.destroy() fires destroyed once per object', async () => {
    const vm = smallVm({ frames: 4 });
    const a = vm.createMemoryObject({ size: PS, name: 'a' });
    const b = vm.createMemoryObject({ size: PS, name: 'b', pager: new RecordingPager() });
    const { log } = listen(vm);
    await a.write(0, pattern(PS, 1));
    await vm.destroy();
    await vm.destroy();
    expect(
      plain(log.filter((e) => e.name === 'destroyed'))
        .map((e) => e['object'])
        .sort(),
    ).toEqual(['a', 'b']);
    expect(b.isDestroyed).toBe(true);
  });
});

describe('events: unsubscribing', () => {
  it.each(SOURCES)('%s: after unsubscribing every event, nothing more is heard; unsubscribing twice is harmless', async (_label, source) => {
    const ref = smallObject();
    const refLog = listen(source(ref)).log;
    await ref.obj.read(0, 1);
    await everything(ref.obj, ref.pager);

    const s = smallObject();
    const kept = listen(source(s));
    const dropped = listen(source(s));
    await s.obj.read(0, 1);
    expect(plain(dropped.log)).toEqual([
      { name: 'fault', object: 'obj', page: 0, access: 'read' },
      { name: 'pageIn', object: 'obj', page: 0, frame: 0 },
    ]);
    for (const off of dropped.off) {
      off();
      off();
    }
    await everything(s.obj, s.pager);
    expect(dropped.log).toHaveLength(2);
    expect(plain(kept.log)).toEqual(plain(refLog));
    expect(new Set(kept.log.map((e) => e.name))).toEqual(new Set(EVENTS));
  });

  it.each(EVENTS)('unsubscribing %s leaves the other events and the other listener of that event', async (name) => {
    const s = smallObject();
    const gone: unknown[] = [];
    const stays: unknown[] = [];
    const offObj = s.obj.on(name, (e: unknown) => gone.push(e));
    const offVm = s.vm.on(name, (e: unknown) => gone.push(e));
    s.obj.on(name, (e: unknown) => stays.push(e));
    const { log } = listen(s.vm);
    offObj();
    offVm();
    await everything(s.obj, s.pager);
    expect(gone).toEqual([]);
    expect(stays.length).toBe(EVERYTHING_EVENTS.filter((e) => e.name === name).length);
    expect(plain(log)).toEqual(EVERYTHING_EVENTS);
  });
});

describe('events: a listener that throws', () => {
  it.each(EVENTS)('throwing from %s (object and instance listeners) does not corrupt the VM', async (name) => {
    // The reference run, with well-behaved listeners only.
    const ref = smallObject();
    const refLog = listen(ref.vm).log;
    const expected = await everything(ref.obj, ref.pager);
    const refVm = ref.vm.stat();

    const s = smallObject();
    const log = listen(s.vm).log;
    s.obj.on(name, () => {
      throw new Error(`object listener of ${name}`);
    });
    s.vm.on(name, () => {
      throw new Error(`instance listener of ${name}`);
    });
    const after = listen(s.obj).log; // subscribed after the throwing one: still called
    const { result, uncaught } = await trapUncaught(() => everything(s.obj, s.pager));
    expect(result).toEqual(expected);
    expect(plain(log)).toEqual(plain(refLog));
    expect(plain(after)).toEqual(EVERYTHING_EVENTS);
    expect(s.vm.stat()).toEqual(refVm);
    expect(s.vm.stat()).toMatchObject({ freeFrames: 2, busyFrames: 0, pinnedFrames: 0, objects: 0 });
    // Each throw was rethrown later, as an uncaught exception: none was swallowed.
    const count = EVERYTHING_EVENTS.filter((e) => e.name === name).length;
    expect(uncaught).toHaveLength(2 * count);
    expect((uncaught as Error[]).map((e) => e.message).sort()).toEqual(
      [...Array(count).fill(`instance listener of ${name}`), ...Array(count).fill(`object listener of ${name}`)].sort(),
    );
  });

  it('the instance keeps working after a throwing listener: new objects, faults, evictions', async () => {
    const s = smallObject();
    s.vm.on('eviction', () => {
      throw new Error('eviction listener');
    });
    const { uncaught } = await trapUncaught(async () => {
      for (let p = 0; p < 3; p++) await s.obj.write(p * PS, pattern(PS, p));
      for (let p = 0; p < 3; p++) expect(await s.obj.read(p * PS, PS)).toEqual(pattern(PS, p));
      const other = s.vm.createMemoryObject({ size: 2 * PS, pager: new RecordingPager() });
      await other.write(0, pattern(2 * PS, 9));
      expect(await other.read(0, 2 * PS)).toEqual(pattern(2 * PS, 9));
    });
    expect(uncaught.length).toBeGreaterThan(0);
    expect(s.vm.stat()).toMatchObject({ busyFrames: 0, pinnedFrames: 0, residentFrames: 2, freeFrames: 0 });
  });
});

describe('events: subscribing', () => {
  // Pins a bug found in review: on() took any event name and any listener.
  it('event subscriptions check the event name and the listener', () => {
    const vm = smallVm({ frames: 2 });
    const obj = vm.createMemoryObject({ size: PS });
    expect(() => obj.on('fault', 42 as never)).toThrow(/listener must be a function/);
    expect(() => vm.on('nope' as 'fault', () => {})).toThrow(/event must be one of fault/);
  });
});
