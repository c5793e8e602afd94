// Shared memory for worker threads across real threads: issue 14's protocol (vmcore/shared/protocol.ts).
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { attach } from '../../extensions/worker/index.js';
import {
  createVm,
  DestroyedError,
  InvalidArgumentError,
  Pager,
  ResultCode,
  shareMemoryObject,
  type PagerAnswer,
  type SharedMemoryObjectHandle,
} from '../../index.js';
import { SharedPageTable } from '../../vmcore/index.js';
import { RecordingPager, ScriptedPager } from '../helpers/pagers.js';
import { Prng } from '../helpers/prng.js';
import { transpiled } from '../helpers/transpiled.js';
import type { Failure, Job } from './worker-script.js';

const js = transpiled();
afterAll(() => js.remove());

interface Running {
  worker: Worker;
  /** The job's result, or its error as the worker reported it. */
  done: Promise<{ result?: unknown } & Partial<Failure>>;
  /** The worker's first message that is not its result (attached, pinned). */
  first: Promise<Record<string, unknown>>;
}

function run(job: Job): Running {
  const worker = new Worker(js.file('test/shared/worker-script.ts'), { workerData: job, transferList: [job.handle.port] });
  let first!: (m: Record<string, unknown>) => void;
  const firstMessage = new Promise<Record<string, unknown>>((resolve) => (first = resolve));
  const done = new Promise<{ result?: unknown } & Partial<Failure>>((resolve, reject) => {
    worker.on('message', (m: Record<string, unknown>) => {
      if ('result' in m || 'error' in m) resolve(m);
      else first(m);
    });
    worker.on('error', reject);
    worker.on('exit', (code) => reject(new Error(`worker exited (${code}) before answering`)));
  });
  return { worker, done, first: firstMessage };
}

/** A pager over a Map whose every answer comes after `delay()` ms (0: the next turn). */
function asyncPager(rand: Prng, maxDelay: number): RecordingPager {
  return new RecordingPager({ async: () => rand.int(maxDelay + 1) });
}

describe('createVm({ shared: true })', () => {
  it('puts the frames, their state and the page tables in SharedArrayBuffers', async () => {
    const vm = createVm({ shared: true, pageSize: 512, frames: 8 });
    const object = vm.createMemoryObject({ size: 4096 });
    await object.write(100, new Uint8Array([1, 2, 3]));
    expect(await object.read(99, 5)).toEqual(new Uint8Array([0, 1, 2, 3, 0]));
    const handle = shareMemoryObject(object);
    expect(handle.chunks.every((c) => c instanceof SharedArrayBuffer)).toBe(true);
    expect(handle.table).toBeInstanceOf(SharedArrayBuffer);
    expect(new Int32Array(handle.table)[0]).toBeGreaterThanOrEqual(0);
    handle.port.close();
    await vm.destroy();
  });

  it('refuses a shared option that is not a boolean, and objects of an instance that is not shared', async () => {
    expect(() => createVm({ shared: 'yes' as unknown as boolean })).toThrow(InvalidArgumentError);
    const vm = createVm({ frames: 4 });
    const object = vm.createMemoryObject({ size: 4096 });
    expect(() => shareMemoryObject(object)).toThrow(/createVm\(\{ shared: true \}\)/);
    expect(() => shareMemoryObject({} as never)).toThrow(InvalidArgumentError);
    await vm.destroy();
    expect(() => attach({} as never)).toThrow(InvalidArgumentError);
  });
});

describe('a memory object whose size changes while shared', () => {
  it('ends its handles (their page table is stale) and keeps what they wrote', async () => {
    const vm = createVm({ shared: true, pageSize: 512, frames: 4 });
    const object = vm.createMemoryObject({ size: 2 * 512, pager: new RecordingPager() });
    await object.write(0, new Uint8Array([1]));
    const handle = shareMemoryObject(object);
    const here = attach(handle); // on the owning thread only resident pages may be touched: a miss would wait on itself
    here.setUint(1, 1, 7);
    object.grow(4 * 512, new SharedPageTable(4));
    expect(() => here.getUint(0, 1)).toThrow(DestroyedError);
    expect(() => shareMemoryObject(object)).toThrow(/size did not change/);
    await object.flush();
    expect(await object.read(0, 2)).toEqual(new Uint8Array([1, 7]));
    here.close();
    await vm.destroy();
  });
});

/** Fills page p with (p + 1) & 255, from the next turn when `async`; clean pages are refilled, so nothing is paged out. */
class MarkerPager extends Pager {
  constructor(private readonly async: boolean) {
    super();
  }
  override get refillsCleanPages(): boolean {
    return true;
  }
  override pageIn(page: number, frame: Uint8Array): PagerAnswer {
    frame.fill((page + 1) & 255);
    return this.async ? new Promise((resolve) => setImmediate(() => resolve(ResultCode.Success))) : ResultCode.Success;
  }
}

/** The bytes of `frame` as a worker sees them through `handle`. */
function frameBytes(handle: SharedMemoryObjectHandle, frame: number): Uint8Array {
  const at = (frame & handle.chunkMask) * handle.pageSize;
  return new Uint8Array(handle.chunks[frame >>> handle.chunkShift]!, at, handle.pageSize);
}

describe('truncating a memory object shared with workers', () => {
  it('a page a worker pins leaves the object, but its frame is not reused until the worker lets go', async () => {
    const vm = createVm({ shared: true, pageSize: 512, frames: 3, policy: 'fifo' });
    const object = vm.createMemoryObject({ size: 8 * 512, pager: new RecordingPager() });
    await object.write(3 * 512, new Uint8Array(512).fill(42));
    const handle = shareMemoryObject(object);
    const w = run({ mode: 'pin', handle: shareMemoryObject(object), page: 3 });
    const exited = w.done.catch((err: Error) => err.message);
    const { pinned } = (await w.first) as { pinned: number };
    // The reclaimer finds the frame pinned by the worker and keeps it, pinned here on the worker's behalf.
    const other = vm.createMemoryObject({ size: 6 * 512, pager: new RecordingPager() });
    for (let p = 0; p < 6; p++) await other.write(p * 512, new Uint8Array(512).fill(0xee));
    expect(new Int32Array(handle.table)[3]).toBe(pinned);
    object.discardFrom(2 * 512); // as a mapped file cut short does: the page goes, though its frame cannot yet
    expect(new Int32Array(handle.table)[3]).toBe(-1);
    expect(object.stat().residentPages).toBe(0);
    // The pool's two other frames serve everything else; the pinned one keeps the bytes under the copy.
    for (let p = 0; p < 6; p++) await other.write(p * 512 + 1, new Uint8Array(511).fill(0xee));
    expect(frameBytes(handle, pinned).every((b) => b === 42)).toBe(true);
    expect(vm.stat().freeFrames).toBe(0);
    // The page comes back as its pager has it: paged out when the reclaimer first tried the frame (a file
    // pager would have been cut too; this one keeps what it was given).
    expect(await object.read(3 * 512, 2)).toEqual(new Uint8Array([42, 42]));
    await w.worker.terminate();
    expect(await exited).toMatch(/worker exited/);
    await new Promise((resolve) => setTimeout(resolve, 50)); // the port's close arrives; the poll frees the orphan
    await other.destroy();
    await object.destroy();
    expect(vm.stat().freeFrames).toBe(3);
    handle.port.close();
    await vm.destroy();
  });

  it("workers' writes to a truncated page go with it; a write after the cut is kept and written back", async () => {
    const vm = createVm({ shared: true, pageSize: 512, frames: 4 });
    const pager = new RecordingPager();
    const object = vm.createMemoryObject({ size: 4 * 512, pager });
    await object.write(0, new Uint8Array([1]));
    await object.write(2 * 512, new Uint8Array([1]));
    await object.flush();
    const here = attach(shareMemoryObject(object)); // resident pages only: a miss on this thread would wait on itself
    here.setUint(2 * 512, 1, 9);
    object.discardFrom(2 * 512);
    expect(object.stat().dirtyPages).toBe(0);
    here.setUint(1, 1, 7);
    expect(object.stat().dirtyPages).toBe(1);
    await object.flush();
    expect(pager.store.get(0)?.subarray(0, 2)).toEqual(new Uint8Array([1, 7]));
    expect(pager.store.get(2)?.[0]).toBe(1); // what the cut forgot was never paged out
    here.close();
    await vm.destroy();
  });

  it('across real threads: workers reading while the owner cuts the object again and again never see another page', async () => {
    const rand = new Prng(21);
    const vm = createVm({ shared: true, pageSize: 512, frames: 6 });
    const object = vm.createMemoryObject({ size: 24 * 512, pager: new MarkerPager(true) });
    const other = vm.createMemoryObject({ size: 12 * 512, pager: new MarkerPager(false) });
    const workers = [1, 2].map((seed) => run({ mode: 'marker', handle: shareMemoryObject(object), seed, ops: 4000 }));
    let settled = false;
    const all = Promise.all(workers.map((w) => w.done)).finally(() => (settled = true));
    let cuts = 0;
    while (!settled) {
      object.discardFrom(rand.int(24) * 512);
      cuts++;
      // Another object takes the frames just freed, with bytes no page of `object` holds.
      for (let i = 0; i < 3; i++) await other.read(rand.int(12) * 512, 1);
      await new Promise((resolve) => setImmediate(resolve)); // the workers' faults are served meanwhile
    }
    const results = await all;
    for (const r of results) expect(r.error).toBeUndefined();
    expect(results.map((r) => r.result)).toEqual([{ reads: 4000 }, { reads: 4000 }]);
    expect(cuts).toBeGreaterThan(10);
    await vm.destroy();
    expect(vm.stat().freeFrames).toBe(6);
  });
});

describe('a memory object shared with workers', () => {
  it('the model: 3 workers and the owner write and read through 6 frames over an asynchronous pager', async () => {
    const rand = new Prng(14);
    const pager = asyncPager(rand, 2);
    const vm = createVm({ shared: true, pageSize: 512, frames: 6 });
    const object = vm.createMemoryObject({ size: 40 * 512, pager });
    const threads = 4;
    const unit = 16;
    const workers = [1, 2, 3].map((index) => run({ mode: 'model', handle: shareMemoryObject(object), seed: 1000 + index, ops: 1500, index, threads, unit }));
    // The owner's own share: units with u % threads === 0, through the asynchronous API.
    const mine = new Uint8Array(object.size);
    const units = object.size / unit;
    for (let op = 0; op < 600; op++) {
      const at = rand.int(units / threads) * threads * unit + rand.int(unit - 4);
      if (rand.chance(0.5)) {
        const bytes = new Uint8Array(1 + rand.int(4)).map(() => rand.int(256));
        await object.write(at, bytes);
        mine.set(bytes, at);
      } else expect(await object.read(at, 4)).toEqual(mine.subarray(at, at + 4));
    }
    const results = await Promise.all(workers.map((w) => w.done));
    for (const r of results) expect(r.error).toBeUndefined();
    // Every unit holds what its thread wrote last, read through the object and after a flush and eviction.
    const expected = new Uint8Array(object.size);
    for (let u = 0; u < units; u++) {
      const owner = u % threads;
      const source = owner === 0 ? mine : (results[owner - 1]!.result as { reference: Uint8Array }).reference;
      expected.set(source.subarray(u * unit, (u + 1) * unit), u * unit);
    }
    expect(await object.read(0, object.size)).toEqual(expected);
    await object.flush();
    const other = vm.createMemoryObject({ size: 6 * 512, pager: new RecordingPager() });
    for (let i = 0; i < 24; i++) await other.write((i % 6) * 512, new Uint8Array([i])); // evicts the object's pages
    expect(object.stat().residentPages).toBeLessThan(6);
    expect(await object.read(0, object.size)).toEqual(expected);
    const counts = results.map((r) => r.result as { reads: number; writes: number });
    expect(counts.every((c) => c.reads > 100 && c.writes > 100)).toBe(true);
    await vm.destroy();
    expect(vm.stat().freeFrames).toBe(6);
  });

  it('eviction storms: two workers sweep an object 16 times the pool while the owner sweeps another', async () => {
    const rand = new Prng(7);
    const vm = createVm({ shared: true, pageSize: 512, frames: 4 });
    const object = vm.createMemoryObject({ size: 64 * 512, pager: asyncPager(rand, 0) });
    for (let p = 0; p < 64; p++) await object.write(p * 512, new Uint8Array([p, 255 - p]));
    const offsets = Array.from({ length: 400 }, (_, i) => ((i * 13) % 64) * 512 + (i % 2));
    const a = run({ mode: 'fault', handle: shareMemoryObject(object), offsets });
    const b = run({ mode: 'fault', handle: shareMemoryObject(object), offsets: offsets.slice().reverse(), async: true });
    const other = vm.createMemoryObject({ size: 32 * 512, pager: asyncPager(rand, 1) });
    for (let i = 0; i < 300; i++) await other.write((i % 32) * 512, new Uint8Array([i & 255]));
    const [ra, rb] = await Promise.all([a.done, b.done]);
    const want = offsets.map((o) => (o % 2 === 0 ? (o >> 9) & 255 : 255 - (o >> 9)));
    expect(ra.result).toEqual({ bytes: want });
    expect(rb.result).toEqual({ bytes: want.slice().reverse() });
    expect(object.stat().faults).toBeGreaterThan(64);
    await vm.destroy();
  });

  it('faults on one page from several workers cause one page-in', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let pageIns = 0;
    const pager = new (class extends Pager {
      override pageIn(_page: number, frame: Uint8Array): PagerAnswer {
        pageIns++;
        frame.fill(9);
        return gate.then(() => ResultCode.Success);
      }
    })();
    const vm = createVm({ shared: true, pageSize: 512, frames: 4 });
    const object = vm.createMemoryObject({ size: 4 * 512, pager });
    const workers = [0, 1, 2].map(() => run({ mode: 'fault', handle: shareMemoryObject(object), offsets: [700] }));
    await Promise.all(workers.map((w) => w.first));
    const mine = object.read(701, 1);
    await new Promise((resolve) => setTimeout(resolve, 100)); // every worker's fault has arrived and waits
    release();
    for (const w of workers) expect((await w.done).result).toEqual({ bytes: [9] });
    expect(await mine).toEqual(new Uint8Array([9]));
    expect(pageIns).toBe(1);
    await vm.destroy();
  });

  it('destroying the object wakes every blocked worker with DestroyedError; so does destroying the instance', async () => {
    for (const what of ['object', 'instance'] as const) {
      const pager = new ScriptedPager();
      pager.hold = true;
      const vm = createVm({ shared: true, pageSize: 512, frames: 4 });
      const object = vm.createMemoryObject({ size: 4 * 512, pager });
      const workers = [0, 1, 2].map((i) => run({ mode: 'fault', handle: shareMemoryObject(object), offsets: [i * 512], async: i === 2 }));
      await Promise.all(workers.map((w) => w.first));
      await new Promise((resolve) => setTimeout(resolve, 100));
      await (what === 'object' ? object.destroy() : vm.destroy());
      for (const w of workers) expect((await w.done).error).toMatchObject({ name: 'DestroyedError', code: 'SPINVM_DESTROYED' });
      await vm.destroy();
      pager.release(); // the page-ins under way end, and their frames go back to the pool
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(vm.stat().freeFrames).toBe(4);
    }
  });

  it("stat().dirtyPages counts a worker's writes at once, before any flush or reclaim looks", async () => {
    const pager = new RecordingPager();
    const vm = createVm({ shared: true, pageSize: 512, frames: 8 });
    const object = vm.createMemoryObject({ size: 8 * 512, pager });
    await object.read(0, 8 * 512);
    expect(object.stat().dirtyPages).toBe(0);
    const w = await run({ mode: 'fault', handle: shareMemoryObject(object), offsets: [5, 600, 601, 3000], write: 77 }).done;
    expect(w.error).toBeUndefined();
    expect(object.stat().dirtyPages).toBe(3);
    expect(await object.flush()).toBe(3);
    expect(object.stat().dirtyPages).toBe(0);
    expect([pager.store.get(0)?.[5], pager.store.get(1)?.[600 - 512], pager.store.get(5)?.[3000 - 2560]]).toEqual([77, 77, 77]);
    await vm.destroy();
  });

  it("a pager's failure comes back as RemoteFaultError, and a slow owner as FaultTimeoutError", async () => {
    const pager = new ScriptedPager();
    pager.inAnswers.push('throw');
    const vm = createVm({ shared: true, pageSize: 512, frames: 4 });
    const object = vm.createMemoryObject({ size: 4 * 512, pager });
    const failed = await run({ mode: 'fault', handle: shareMemoryObject(object), offsets: [0] }).done;
    expect(failed.error).toMatchObject({ name: 'RemoteFaultError', code: 'SPINVM_REMOTE_FAULT', remoteCode: 'SPINVM_PAGER_IO' });
    pager.hold = true;
    const slow = await run({ mode: 'fault', handle: shareMemoryObject(object), offsets: [1024], timeout: 50 }).done;
    expect(slow.error).toMatchObject({ name: 'FaultTimeoutError', code: 'SPINVM_FAULT_TIMEOUT' });
    await vm.destroy();
  });

  it('a worker terminated while holding a pin does not wedge the pool', async () => {
    const vm = createVm({ shared: true, pageSize: 512, frames: 2, policy: 'fifo' });
    const object = vm.createMemoryObject({ size: 8 * 512, pager: new RecordingPager() });
    await object.write(3 * 512, new Uint8Array([42]));
    const w = run({ mode: 'pin', handle: shareMemoryObject(object), page: 3 });
    const exited = w.done.catch((err: Error) => err.message);
    const { pinned } = (await w.first) as { pinned: number };
    // Pinned: sweeping the object evicts every page but that one.
    for (let p = 4; p < 8; p++) await object.write(p * 512, new Uint8Array([p]));
    expect(new Int32Array(shareMemoryObject(object).table)[3]).toBe(pinned);
    await w.worker.terminate();
    expect(await exited).toMatch(/worker exited/);
    await new Promise((resolve) => setTimeout(resolve, 50)); // the port's close arrives
    for (let p = 0; p < 8; p++) if (p !== 3) await object.write(p * 512 + 1, new Uint8Array([p]));
    expect(object.isResident(3 * 512, 1)).toBe(false);
    expect(await object.read(3 * 512, 1)).toEqual(new Uint8Array([42]));
    await vm.destroy();
    expect(vm.stat().freeFrames).toBe(2);
  });
});
