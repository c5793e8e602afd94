// The worker thread of the bench's `worker` workload (worker.ts): it attaches the shared object it is given
// and times, in this thread, what issue 14 measures. It runs as JavaScript: from dist/ after `npm run build`,
// or transpiled by the smoke run.
import { parentPort, workerData } from 'node:worker_threads';
// spinvm/worker is an entry point of its own (package.json's "./worker"), not part of extensions/index: a worker
// thread loads it and vmcore, nothing else.
// eslint-disable-next-line no-restricted-imports
import { attach, type SharedMemoryObjectHandle } from '../../extensions/worker/index.js';
import { XorShift128 } from '../rng.js';
import { pageByte, type StoreShape } from './worker-store.js';

/** Resident 4-byte reads: the same random aligned offsets through the shared object and through a plain array. */
export interface HitsJob {
  mode: 'hits';
  handle: SharedMemoryObjectHandle;
  seed: number;
  ops: number;
  rounds: number;
}

/** One 4-byte read per page, every one a miss: through the shared object, then through synckit. */
export interface FaultsJob {
  mode: 'faults';
  handle: SharedMemoryObjectHandle;
  store: StoreShape;
  ops: number;
  warmup: number;
  /** synckit's worker script, and the installed synckit's specifier (computed: an optional peer). */
  synckitScript: string;
  synckitPackage: string;
}

export type WorkerJob = HitsJob | FaultsJob;

export interface Timed {
  seconds: number;
  check: number;
  /** Per-operation latencies' p50 and p99, in ns, where each operation was timed. */
  p50Ns?: number;
  p99Ns?: number;
}

export type WorkerAnswer =
  | { mode: 'hits'; spinvm: Timed; uint8array: Timed }
  | { mode: 'faults'; spinvm: Timed; faults: number; synckit: Timed | { unavailable: string } }
  | { error: string };

function hits(job: HitsJob): WorkerAnswer {
  const object = attach(job.handle);
  // The limit: the same bytes in a plain array of this thread (the owner filled the object from the same seed).
  const data = new Uint8Array(object.size);
  new XorShift128(job.seed).fill(data);
  const rng = new XorShift128(job.seed + 1);
  const off = new Uint32Array(job.ops);
  for (let i = 0; i < job.ops; i++) off[i] = rng.below(object.size / 4) * 4;
  let spinvm: Timed | undefined;
  let uint8array: Timed | undefined;
  // Interleaved rounds, the fastest of each kept (as Context.interleave does on the main thread).
  for (let round = 0; round < job.rounds; round++) {
    for (const which of round % 2 === 0 ? [0, 1] : [1, 0]) {
      const t0 = performance.now();
      const check = which === 0 ? spinGet4(object, off, job.ops) : u8Get4(data, off, job.ops);
      const seconds = (performance.now() - t0) / 1000;
      if (which === 0 && (!spinvm || seconds < spinvm.seconds)) spinvm = { seconds, check };
      if (which === 1 && (!uint8array || seconds < uint8array.seconds)) uint8array = { seconds, check };
    }
  }
  object.close();
  return { mode: 'hits', spinvm: spinvm!, uint8array: uint8array! };
}

function spinGet4(object: ReturnType<typeof attach>, off: Uint32Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s ^= object.getUint(off[i]!, 4);
  return s >>> 0;
}

function u8Get4(a: Uint8Array, off: Uint32Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const o = off[i]!;
    s ^= a[o]! | (a[o + 1]! << 8) | (a[o + 2]! << 16) | (a[o + 3]! << 24);
  }
  return s >>> 0;
}

/** Times `read(i)` for ops after `warmup` untimed ones: total seconds, XOR of the values, p50 and p99. */
function timeEach(ops: number, warmup: number, read: (i: number) => number): Timed {
  for (let i = 0; i < warmup; i++) read(i);
  const samples = new Float64Array(ops);
  let check = 0;
  const t0 = performance.now();
  for (let i = 0; i < ops; i++) {
    const t = performance.now();
    check ^= read(warmup + i);
    samples[i] = (performance.now() - t) * 1e6;
  }
  const seconds = (performance.now() - t0) / 1000;
  samples.sort();
  return { seconds, check: check >>> 0, p50Ns: samples[Math.floor(ops / 2)]!, p99Ns: samples[Math.min(ops - 1, Math.floor(ops * 0.99))]! };
}

async function faults(job: FaultsJob): Promise<WorkerAnswer> {
  const object = attach(job.handle);
  const { pages, pageSize } = job.store;
  // Page i of a cyclic sweep of an object larger than the pool (FIFO): every read is a miss.
  const spinvm = timeEach(job.ops, job.warmup, (i) => object.getUint((i % pages) * pageSize + pageByte(i % pages, pageSize), 4));
  object.close();
  let synckit: Timed | { unavailable: string };
  try {
    const { createSyncFn } = (await import(job.synckitPackage)) as { createSyncFn: (path: string) => (page: number, shape?: StoreShape) => number };
    const read = createSyncFn(job.synckitScript);
    read(0, job.store); // makes its store
    synckit = timeEach(job.ops, job.warmup, (i) => read(i % pages));
  } catch (err) {
    synckit = { unavailable: err instanceof Error ? err.message : String(err) };
  }
  return { mode: 'faults', spinvm, faults: job.ops + job.warmup, synckit };
}

const job = workerData as WorkerJob;
(job.mode === 'hits' ? Promise.resolve().then(() => hits(job)) : faults(job)).then(
  (answer) => parentPort!.postMessage(answer),
  (err: unknown) => parentPort!.postMessage({ error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }),
);
