// A watchdog that a frozen event loop cannot fool. The main thread bumps a heartbeat in a SharedArrayBuffer
// from a setInterval; a worker thread watches it. When the heartbeat stalls (a hang, or microtask
// starvation: promises resolving forever so no timer ever runs), the worker first raises a flag in shared
// memory that the fuzzer's pagers check on every call (so a livelock that goes through a pager ends in an
// error the fuzzer reports, with its seed and shrunk sequence); if the loop is still frozen after a grace
// period, the worker prints the seed and the operation (kept in shared memory too) straight to fd 2, appends
// the same to the report file, and kills the process with SIGKILL.
import { Worker } from 'node:worker_threads';

const HEADER = 32;
const TEXT = 16 * 1024;
const HEARTBEAT = 0;
const STALLED = 1;
const LENGTH = 2;
const STOP = 3;
/** How many times the usual silence the current operation may take (a 65,536-reader burst runs long on microtasks). */
const SLACK = 4;

const WORKER = `
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');
const { sab, stallMs, graceMs, reportFile, pid } = workerData;
const i32 = new Int32Array(sab, 0, 8);
const text = new Uint8Array(sab, ${HEADER});
let last = Atomics.load(i32, ${HEARTBEAT});
let since = Date.now();
setInterval(() => {
  if (Atomics.load(i32, ${STOP}) === 1) process.exit(0);
  const now = Date.now();
  const beat = Atomics.load(i32, ${HEARTBEAT});
  if (beat !== last) {
    last = beat;
    since = now;
    return;
  }
  const stalled = now - since;
  const slack = Math.max(1, Atomics.load(i32, ${SLACK}));
  if (stalled > stallMs * slack) Atomics.store(i32, ${STALLED}, 1);
  if (stalled > (stallMs + graceMs) * slack) {
    const note = Buffer.from(text.slice(0, Atomics.load(i32, ${LENGTH}))).toString('utf8');
    const line = '\\n[spinvm fuzz watchdog] the event loop has not turned for ' + stalled + ' ms (a hang or microtask starvation); killing the process\\n' + note + '\\n';
    try { fs.writeSync(2, line); } catch {}
    if (reportFile) {
      try { fs.appendFileSync(reportFile, JSON.stringify({ killed: true, stalledMs: stalled, note }) + '\\n'); } catch {}
    }
    process.kill(pid, 'SIGKILL');
  }
}, 100);
`;

export interface WatchdogOptions {
  /** Heartbeat silence after which the pagers are told to abort (ms). */
  stallMs: number;
  /** Further silence after which the process is killed (ms). */
  graceMs: number;
  reportFile?: string;
}

export class Watchdog {
  private readonly sab = new SharedArrayBuffer(HEADER + TEXT);
  private readonly i32 = new Int32Array(this.sab, 0, 8);
  private readonly text = new Uint8Array(this.sab, HEADER, TEXT);
  private readonly encoder = new TextEncoder();
  private worker: Worker | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: WatchdogOptions) {}

  start(): void {
    this.worker = new Worker(WORKER, {
      eval: true,
      workerData: { sab: this.sab, stallMs: this.options.stallMs, graceMs: this.options.graceMs, reportFile: this.options.reportFile, pid: process.pid },
    });
    this.worker.unref();
    this.timer = setInterval(() => Atomics.add(this.i32, HEARTBEAT, 1), 50);
    this.timer.unref();
  }

  /** True once the worker saw the heartbeat stall: pagers throw, the fuzzer reports a hang. */
  get stalled(): boolean {
    return Atomics.load(this.i32, STALLED) === 1;
  }

  clearStall(): void {
    Atomics.store(this.i32, STALLED, 0);
  }

  /** The next operation may keep the event loop busy `factor` times longer than usual (1 ends that). */
  slack(factor: number): void {
    Atomics.store(this.i32, SLACK, factor);
  }

  /** What the worker prints if it has to kill the process: the seed, the operation, how to replay. */
  note(text: string): void {
    const bytes = this.encoder.encode(text.length > TEXT / 2 ? text.slice(0, TEXT / 2) + ' …' : text);
    const n = Math.min(bytes.length, TEXT);
    this.text.set(bytes.subarray(0, n));
    Atomics.store(this.i32, LENGTH, n);
  }

  async stop(): Promise<void> {
    Atomics.store(this.i32, STOP, 1);
    if (this.timer) clearInterval(this.timer);
    await this.worker?.terminate();
    this.worker = undefined;
  }
}
