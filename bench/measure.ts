import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Milliseconds, sub-microsecond resolution. */
export const now = (): number => performance.now();

let collector: (() => void) | undefined;

/** A full garbage collection, so that RSS readings and the next measurement do not pay for the last one. */
export function gc(): void {
  if (!collector) {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (exposed) collector = exposed;
    else {
      setFlagsFromString('--expose-gc');
      collector = runInNewContext('gc') as () => void;
    }
  }
  collector();
  collector();
}

export function rss(): number {
  return process.memoryUsage.rss();
}

/**
 * Latency samples of single operations. Tight loops are never timed op by op: a workload times one
 * operation in `every` (a power of two) and runs the rest untimed.
 */
export class Sampler {
  private readonly samples: Float64Array;
  private count = 0;

  constructor(
    readonly every: number,
    capacity: number,
  ) {
    this.samples = new Float64Array(Math.max(1, capacity));
  }

  /** Whether operation `i` is one to time. */
  wants(i: number): boolean {
    return (i & (this.every - 1)) === 0 && this.count < this.samples.length;
  }

  add(ms: number): void {
    this.samples[this.count++] = ms * 1e6 - timerOverheadNs;
  }

  get size(): number {
    return this.count;
  }

  /** p50 and p99 in nanoseconds, or undefined with no samples. */
  percentiles(): { p50Ns: number; p99Ns: number } | undefined {
    if (this.count === 0) return undefined;
    const sorted = this.samples.slice(0, this.count).sort();
    return { p50Ns: Math.max(0, at(sorted, 0.5)), p99Ns: Math.max(0, at(sorted, 0.99)) };
  }
}

function at(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** What two back-to-back `now()` calls cost: subtracted from every sample. */
let timerOverheadNs = 0;

export function calibrateTimer(): number {
  const n = 20001;
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = now();
    d[i] = now() - t0;
  }
  d.sort();
  timerOverheadNs = d[n >>> 1]! * 1e6;
  return timerOverheadNs;
}

/** Runs `fn` `repeats` times and keeps the fastest run (the least disturbed by the VM's neighbours). */
export async function best<T extends { seconds: number }>(repeats: number, fn: () => T | Promise<T>): Promise<T> {
  let kept: T | undefined;
  for (let i = 0; i < Math.max(1, repeats); i++) {
    const r = await fn();
    if (!kept || r.seconds < kept.seconds) kept = r;
  }
  return kept!;
}

/** Times a synchronous loop once; `loop` answers a checksum so that the work cannot be optimised away. */
export function timeSync(loop: () => number): { seconds: number; check: number } {
  const t0 = now();
  const check = loop();
  return { seconds: (now() - t0) / 1000, check };
}

export async function timeAsync(loop: () => Promise<number>): Promise<{ seconds: number; check: number }> {
  const t0 = now();
  const check = await loop();
  return { seconds: (now() - t0) / 1000, check };
}

/** Formats a count of bytes for messages. */
export function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(bytes < 2 ** 20 ? 2 : 0)} MiB`;
}
