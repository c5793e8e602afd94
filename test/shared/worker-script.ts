// The worker side of the shared-memory tests: runs in a worker thread, transpiled by test/helpers/transpiled.ts.
// workerData says what to do; the result (or the error's name and code) goes back to the parent.
import { parentPort, workerData } from 'node:worker_threads';
import { attach, type SharedMemoryObjectHandle } from '../../extensions/worker/index.js';

export interface ModelJob {
  mode: 'model';
  handle: SharedMemoryObjectHandle;
  seed: number;
  ops: number;
  /** This thread's index among `threads`: it owns the units u with u % threads === index. */
  index: number;
  threads: number;
  unit: number;
}

export interface FaultJob {
  mode: 'fault';
  handle: SharedMemoryObjectHandle;
  /** Reads one byte of each of these offsets, blocking. */
  offsets: number[];
  timeout?: number;
  async?: boolean;
  /** Writes this byte at each offset instead of reading. */
  write?: number;
}

export interface PinJob {
  mode: 'pin';
  handle: SharedMemoryObjectHandle;
  page: number;
}

export interface MarkerJob {
  mode: 'marker';
  handle: SharedMemoryObjectHandle;
  seed: number;
  ops: number;
}

export type Job = ModelJob | FaultJob | PinJob | MarkerJob;

export interface Failure {
  error: { name: string; code: string | undefined; message: string; remoteCode?: string };
}

function mulberry(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    let t = (s = (s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * n);
  };
}

/** Random reads and writes of this thread's own units, each checked against its reference; answers the reference. */
async function model(job: ModelJob): Promise<{ reference: Uint8Array; reads: number; writes: number }> {
  const object = attach(job.handle);
  const rand = mulberry(job.seed);
  const reference = new Uint8Array(object.size);
  const units = Math.floor(object.size / job.unit);
  const own = (): number => {
    const u = rand(Math.floor((units - 1 - job.index) / job.threads) + 1) * job.threads + job.index;
    return u * job.unit;
  };
  let reads = 0;
  let writes = 0;
  const check = (at: number, got: Uint8Array, what: string): void => {
    for (let i = 0; i < got.length; i++) {
      const pos = at + i;
      if (Math.floor(pos / job.unit) % job.threads !== job.index) continue;
      if (got[i] !== reference[pos]) throw new Error(`${what} at ${pos}: got ${got[i]}, wrote ${reference[pos]} (thread ${job.index})`);
    }
  };
  for (let op = 0; op < job.ops; op++) {
    const base = own();
    const kind = rand(7);
    if (kind === 0 || kind === 1) {
      const length = 1 + rand(job.unit);
      const bytes = new Uint8Array(length).map(() => rand(256));
      const at = base + rand(job.unit - length + 1);
      if (kind === 0) object.writeSync(at, bytes);
      else await object.write(at, bytes);
      reference.set(bytes, at);
      writes++;
    } else if (kind === 2) {
      const size = ([1, 2, 4] as const)[rand(3)]!;
      const at = base + rand(job.unit - size + 1);
      const value = rand(2 ** (8 * size));
      object.setUint(at, size, value);
      for (let i = 0, v = value; i < size; i++, v = Math.floor(v / 256)) reference[at + i] = v & 0xff;
      writes++;
    } else if (kind === 3) {
      const size = ([1, 2, 4] as const)[rand(3)]!;
      const at = base + rand(job.unit - size + 1);
      let expected = 0;
      for (let i = size - 1; i >= 0; i--) expected = expected * 256 + reference[at + i]!;
      const got = object.getUint(at, size);
      if (got !== expected) throw new Error(`getUint(${at}, ${size}): got ${got}, wrote ${expected} (thread ${job.index})`);
      reads++;
    } else if (kind === 4) {
      const at = rand(object.size - 1);
      const length = 1 + rand(Math.min(object.size - at, 3 * object.pageSize));
      check(at, await object.read(at, length), 'read');
      reads++;
    } else {
      const at = rand(object.size - 1);
      const length = 1 + rand(Math.min(object.size - at, 3 * object.pageSize));
      check(at, object.readSync(at, length), 'readSync');
      reads++;
    }
  }
  object.close();
  return { reference, reads, writes };
}

async function faults(job: FaultJob): Promise<{ bytes: number[] }> {
  const object = attach(job.handle, job.timeout === undefined ? undefined : { timeout: job.timeout });
  parentPort!.postMessage({ attached: true });
  const bytes: number[] = [];
  for (const offset of job.offsets) {
    if (job.write !== undefined) object.setUint(offset, 1, job.write);
    else bytes.push(job.async ? (await object.read(offset, 1))[0]! : object.getUint(offset, 1));
  }
  return { bytes };
}

/** A worker that dies holding a pin: it pins the page's frame as a copy would, and never lets go. */
function pin(job: PinJob): never {
  const object = attach(job.handle);
  object.getUint(job.page * object.pageSize, 1); // resident now
  const table = new Int32Array(job.handle.table);
  const header = new Int32Array(job.handle.header);
  const frame = Atomics.load(table, job.page);
  Atomics.store(header, (1 + job.handle.slot) * 16, frame + 1); // its PIN word (protocol.ts), held forever
  parentPort!.postMessage({ pinned: frame });
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); // blocks until terminated
  throw new Error('unreachable');
}

/**
 * Reads whole pages and words of an object whose pager fills page p with (p + 1) & 255 and that nobody
 * writes: any other byte is another page's (a frame taken from under the copy). Answers how many reads.
 */
function markers(job: MarkerJob): { reads: number } {
  const object = attach(job.handle);
  const rand = mulberry(job.seed);
  const pages = object.size / object.pageSize;
  const page = new Uint8Array(object.pageSize);
  for (let op = 0; op < job.ops; op++) {
    const p = rand(pages);
    const marker = (p + 1) & 255;
    if (op % 2 === 0) {
      object.readIntoSync(p * object.pageSize, page);
      for (let i = 0; i < page.length; i++) if (page[i] !== marker) throw new Error(`page ${p} byte ${i}: got ${page[i]}, its marker is ${marker}`);
    } else {
      const word = object.getUint(p * object.pageSize + 4 * rand(object.pageSize / 4), 4);
      if (word !== marker * 0x01010101) throw new Error(`page ${p}: got word ${word.toString(16)}, its marker is ${marker}`);
    }
  }
  object.close();
  return { reads: job.ops };
}

const job = workerData as Job;
const run =
  job.mode === 'model'
    ? model(job)
    : job.mode === 'fault'
      ? faults(job)
      : job.mode === 'marker'
        ? Promise.resolve().then(() => markers(job))
        : Promise.resolve(pin(job));
run.then(
  (result) => parentPort!.postMessage({ result }),
  (err: Error & { code?: string; remoteCode?: string }) => {
    const failure: Failure = { error: { name: err.name, code: err.code, message: err.message, remoteCode: err.remoteCode } };
    parentPort!.postMessage(failure);
  },
);
