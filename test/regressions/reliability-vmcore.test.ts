// Regressions for the reliability issue's vmcore items (2, 6, 7, 9, 11, 12, 14): each failed before its fix.
import { describe, expect, it } from 'vitest';
import { createAddressSpace, DestroyedError, InvalidArgumentError, OutOfMemoryError, Pager, ResultCode, SpinVmError, TOKENS } from '../../vmcore/index.js';
import { filled, setup } from '../address-space/helpers.js';
import { MicrotaskPager, RecordingPager, ScriptedPager, tick } from '../helpers/pagers.js';
import { PS, smallVm } from '../helpers/small.js';

/** Detaches `bytes`' buffer, as a transfer to a worker would. */
function detach(bytes: Uint8Array): void {
  const buffer = bytes.buffer as ArrayBuffer;
  structuredClone(buffer, { transfer: [buffer] });
}

/** Starts `write(src)` with `pager` holding its page-in, detaches `src` meanwhile, and answers what the write threw. */
async function detachedMidFault(pager: ScriptedPager, src: Uint8Array, write: (src: Uint8Array) => Promise<void>): Promise<unknown> {
  pager.hold = true;
  const writing = write(src);
  await tick();
  detach(src);
  pager.hold = false;
  pager.release();
  return writing.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('item 2: vm.destroy() reports a shared file mapping whose write-back failed', () => {
  it('rejects with the write-back error instead of resolving', async () => {
    const s = setup({ pageSize: PS, frames: 8 });
    try {
      const file = s.file('a.bin', new Uint8Array(2 * PS));
      const at = await s.space.map({ file, length: 2 * PS, prot: ['read', 'write'], share: 'shared' });
      await s.space.write(at, filled(10, 7));
      s.mapper.failNextSync = true;
      await expect(s.vm.destroy()).rejects.toThrow(/ENOSPC/);
    } finally {
      await s.done();
    }
  });
});

describe('item 6: address-space accesses make progress with more of them than frames', () => {
  for (const kind of ['setImmediate', 'microtask'] as const) {
    it(`two readers over one frame with a ${kind} pager both finish`, async () => {
      const vm = smallVm({ frames: 1 });
      const pager = kind === 'microtask' ? new MicrotaskPager() : new RecordingPager({ async: true });
      const obj = vm.createMemoryObject({ size: 4 * PS, pager });
      for (let p = 0; p < 4; p++) await obj.write(p * PS, filled(PS, p + 1));
      const space = createAddressSpace(vm);
      const at = await space.map({ object: obj, length: 4 * PS, prot: ['read', 'write'], share: 'shared' });
      const reads = await Promise.all([0, 1, 2, 3, 0, 2].map((p) => space.read(at + p * PS + 5, 3)));
      expect(reads.map((r) => [...r])).toEqual([0, 1, 2, 3, 0, 2].map((p) => [p + 1, p + 1, p + 1]));
      await Promise.all([1, 2, 3].map((p) => space.write(at + p * PS, filled(4, 40 + p))));
      for (let p = 1; p < 4; p++) expect([...(await obj.read(p * PS, 5))]).toEqual([40 + p, 40 + p, 40 + p, 40 + p, p + 1]);
      await space.destroy();
      await vm.destroy();
      expect(vm.stat().pinnedFrames).toBe(0);
    });
  }

  it('private copies over one frame with a microtask pager all land', async () => {
    const vm2 = smallVm({ frames: 2 });
    vm2.container
      .rebind<Pager>(TOKENS.DefaultPager)
      .toDynamicValue(() => new MicrotaskPager())
      .inTransientScope();
    const obj = vm2.createMemoryObject({ size: 4 * PS, pager: new MicrotaskPager() });
    for (let p = 0; p < 4; p++) await obj.write(p * PS, filled(PS, p + 1));
    const space = createAddressSpace(vm2);
    const at = await space.map({ object: obj, length: 4 * PS, prot: ['read', 'write'], share: 'private' });
    await Promise.all([0, 1, 2, 3].map((p) => space.write(at + p * PS + 1, filled(2, 90 + p))));
    const got = await Promise.all([0, 1, 2, 3].map((p) => space.read(at + p * PS, 4)));
    expect(got.map((g) => [...g])).toEqual([0, 1, 2, 3].map((p) => [p + 1, 90 + p, 90 + p, p + 1]));
    await vm2.destroy();
  });
});

describe('item 7: a source buffer detached during the fault', () => {
  it('memory object write: a typed error, and the pin is released', async () => {
    const vm = smallVm({ frames: 1 });
    const pager = new ScriptedPager();
    const obj = vm.createMemoryObject({ size: 4 * PS, pager });
    const err = await detachedMidFault(pager, filled(100, 9), (src) => obj.write(10, src));
    expect(err).toBeInstanceOf(SpinVmError);
    expect(String(err)).toMatch(/detached/);
    expect(vm.stat().pinnedFrames).toBe(0);
    // With one frame, a leaked pin would make this wait forever.
    expect([...(await obj.read(3 * PS, 2))]).toEqual([0, 0]);
    await vm.destroy();
  });

  it('address-space write: a typed error, and later faults still run', async () => {
    const vm = smallVm({ frames: 1 });
    const pager = new ScriptedPager();
    const obj = vm.createMemoryObject({ size: 4 * PS, pager });
    const space = createAddressSpace(vm);
    const at = await space.map({ object: obj, length: 4 * PS, prot: ['read', 'write'], share: 'shared' });
    const err = await detachedMidFault(pager, filled(PS + 10, 9), (src) => space.write(at + 10, src));
    expect(err).toBeInstanceOf(SpinVmError);
    expect(vm.stat().pinnedFrames).toBe(0);
    expect([...(await space.read(at + 3 * PS, 2))]).toEqual([0, 0]);
    await vm.destroy();
  });

  it('a buffer detached before the call is refused up front', async () => {
    const vm = smallVm({ frames: 1 });
    const obj = vm.createMemoryObject({ size: PS, pager: new RecordingPager() });
    const src = filled(10, 1);
    detach(src);
    await expect(obj.write(0, src)).rejects.toThrow(SpinVmError);
    await vm.destroy();
  });
});

describe("item 9: one object's destruction never fails another object's fault", () => {
  it('B reads although A was destroyed during the page-out that B started and its pager rejected', async () => {
    const vm = smallVm({ frames: 1 });
    const a = new ScriptedPager();
    const objA = vm.createMemoryObject({ size: PS, pager: a, name: 'A' });
    await objA.write(0, filled(4, 1));
    a.outAnswers.push('reject');
    a.hold = true;
    const objB = vm.createMemoryObject({ size: PS, pager: new RecordingPager(), name: 'B' });
    const reading = objB.read(0, 4);
    await tick();
    expect(a.waiting).toBe(1);
    const destroying = objA.destroy();
    a.release();
    expect([...(await reading)]).toEqual([0, 0, 0, 0]);
    await destroying;
    await vm.destroy();
  });
});

describe('item 11: pins are not limited to 65,535 waiters', () => {
  it('70,000 concurrent reads of one absent page cause one page-in and all succeed', async () => {
    const vm = smallVm({ frames: 1 });
    const pager = new RecordingPager({ async: true });
    const obj = vm.createMemoryObject({ size: PS, pager });
    const reads: Array<Promise<Uint8Array>> = [];
    for (let i = 0; i < 70_000; i++) reads.push(obj.read(0, 1));
    const got = await Promise.all(reads);
    expect(got.length).toBe(70_000);
    expect(obj.stat().pageIns).toBe(1);
    expect(pager.pageIns).toBe(1);
    expect(vm.stat().pinnedFrames).toBe(0);
    await vm.destroy();
  });
});

describe('item 12: a length that cannot be allocated is refused up front', () => {
  it('read and readSync of 2^40 bytes throw a typed error', async () => {
    const vm = smallVm({ frames: 2 });
    const obj = vm.createMemoryObject({ size: 2 ** 50 });
    await expect(obj.read(0, 2 ** 40)).rejects.toThrow(SpinVmError);
    expect(() => obj.readSync(0, 2 ** 40)).toThrow(SpinVmError);
    expect(obj.stat().faults).toBe(0);
    const space = createAddressSpace(vm);
    const at = await space.map({ anonymous: true, length: 2 ** 41, prot: 'read', share: 'private' });
    await expect(space.read(at, 2 ** 40)).rejects.toThrow(SpinVmError);
    expect(() => space.readSync(at, 2 ** 40)).toThrow(SpinVmError);
    await vm.destroy();
  });
});

describe('item 14: a second vm.destroy() waits for the first', () => {
  it('does not resolve while the first is still running', async () => {
    const vm = smallVm({ frames: 2 });
    let finish!: () => void;
    vm.onShutdown(() => new Promise<void>((resolve) => (finish = resolve)));
    const first = vm.destroy();
    let secondDone = false;
    const second = vm.destroy().then(() => (secondDone = true));
    for (let i = 0; i < 5; i++) await tick();
    expect(secondDone).toBe(false);
    finish();
    await first;
    await second;
    expect(secondDone).toBe(true);
    await expect(vm.destroy()).resolves.toBeUndefined();
  });

  it('a second call sees the first one fail no more than once', async () => {
    const vm = smallVm({ frames: 2 });
    vm.onShutdown(() => Promise.reject(new Error('hook failed')));
    await expect(vm.destroy()).rejects.toThrow(/hook failed/);
    await expect(vm.destroy()).resolves.toBeUndefined();
  });

  it('objects are told they are destroyed after it', async () => {
    const vm = smallVm({ frames: 2 });
    const obj = vm.createMemoryObject({ size: PS });
    await vm.destroy();
    expect(() => obj.readSync(0, 1)).toThrow(DestroyedError);
  });
});

// Found by the fuzz test (test/fuzz) once the 14 items above were fixed.
describe('found by the fuzz test', () => {
  it('a wait for a frame ends when a fault hands its pin over to pin(): OutOfMemoryError, not a hang', async () => {
    const vm = smallVm({ frames: 2 });
    const pager = new ScriptedPager();
    pager.inDefault = (_page, frame) => new Promise((resolve) => setImmediate(() => resolve((frame.fill(0), ResultCode.Success))));
    pager.outDefault = ResultCode.NotImplemented;
    const obj = vm.createMemoryObject({ size: 4 * PS, pager });
    await obj.write(0, filled(4, 1));
    const settled = await Promise.allSettled([obj.pin(1), obj.read(2 * PS, 1)]);
    expect(settled[0].status).toBe('fulfilled');
    expect(settled[1].status).toBe('rejected');
    expect((settled[1] as PromiseRejectedResult).reason).toBeInstanceOf(OutOfMemoryError);
    await vm.destroy();
  }, 10_000);

  it("remap growing a moved piece of a private mapping reads the object, not another piece's copies", async () => {
    const vm = smallVm({ frames: 8 });
    const obj = vm.createMemoryObject({ size: 4 * PS, pager: new RecordingPager() });
    await obj.write(0, filled(4 * PS, 7));
    const space = createAddressSpace(vm);
    const a = await space.map({ object: obj, length: 2 * PS, prot: ['read', 'write'], share: 'private' });
    await space.write(a + PS, filled(1, 0xaa));
    const b = await space.remap(a, PS, 3 * PS, { move: true });
    expect([...(await space.read(b + PS, 1)), ...(await space.read(b + 2 * PS, 1))]).toEqual([7, 7]);
    expect((await space.read(a + PS, 1))[0]).toBe(0xaa); // the piece left behind keeps its copy
    // Growing in place after the move does not alias either.
    const c = await space.remap(b, 3 * PS, 4 * PS);
    expect(c).toBe(b);
    expect((await space.read(b + 3 * PS, 1))[0]).toBe(7);
    await vm.destroy();
  });

  it('trap never answers ready while a page of the range is gone: it fails with a typed error instead', async () => {
    const vm = smallVm({ frames: 2 });
    const obj = vm.createMemoryObject({ size: 4 * PS, pager: new RecordingPager() });
    await obj.pin(3);
    const space = createAddressSpace(vm);
    const a = await space.map({ object: obj, length: 4 * PS, prot: 'read', share: 'shared' });
    let failure: unknown;
    try {
      let p: Promise<void> | undefined;
      while ((p = space.trap(a + PS - 2, 'read', 4))) await p;
      space.getUint32(a + PS - 2); // ready means ready
    } catch (err) {
      failure = err;
    }
    expect(failure).toBeInstanceOf(OutOfMemoryError);
    await vm.destroy();
  });

  it("an address space's lock is its own: the object's unpin cannot take it away", async () => {
    const vm = smallVm({ frames: 4 });
    const obj = vm.createMemoryObject({ size: 4 * PS, pager: new RecordingPager() });
    const space = createAddressSpace(vm);
    const a = await space.map({ object: obj, length: 4 * PS, prot: 'read', share: 'shared' });
    await space.lock(a, PS);
    expect(() => obj.unpin(0)).toThrow(InvalidArgumentError);
    expect(vm.stat().pinnedFrames).toBe(1);
    space.unlock(a, PS);
    expect(vm.stat().pinnedFrames).toBe(0);
    await vm.destroy();
  });
});
