import { closeSync, existsSync, openSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { best, gc, mib, now, rss, timeAsync, timeSync } from './measure.js';
import type { BenchOptions, Sizes } from './options.js';
import type { Peers } from './peers.js';
import type { PolicyResults, Row, ScalingRow } from './results.js';
import { XorShift128 } from './rng.js';

export interface TestFile {
  path: string;
  bytes: number;
  pages: number;
}

/** What every workload gets: sizes, the loaded peers, and where to put its rows. */
export class Context {
  readonly rows: Row[] = [];
  readonly scaling: ScalingRow[] = [];
  policies: PolicyResults | undefined;

  constructor(
    readonly options: BenchOptions,
    readonly sizes: Sizes,
    readonly peers: Peers,
    /** A fresh folder of this run, removed at the end. */
    readonly tmp: string,
    private readonly log: (line: string) => void,
    /** What the runs of one suite share: the test file, made once. */
    private readonly shared: { file?: TestFile; started?: number } = {},
  ) {
    shared.started ??= now();
  }

  /** A line of progress on stderr, stamped with the time since the start. */
  progress(message: string): void {
    this.log(`[bench ${((now() - this.shared.started!) / 1000).toFixed(1).padStart(6)}s] ${message}`);
  }

  /** Records a row, filling in the derived rates. */
  add(row: Row): Row {
    if (row.available && row.seconds !== undefined && row.seconds > 0) {
      if (row.ops !== undefined) {
        row.opsPerSec = row.ops / row.seconds;
        row.nsPerOp = (row.seconds * 1e9) / row.ops;
      }
      if (row.bytes !== undefined) row.bytesPerSec = row.bytes / row.seconds;
    }
    this.rows.push(row);
    const rate = !row.available
      ? `— ${row.note ?? 'unavailable'}`
      : row.bytesPerSec !== undefined
        ? `${(row.bytesPerSec / 1e9).toFixed(2)} GB/s`
        : row.nsPerOp !== undefined
          ? `${row.nsPerOp.toFixed(1)} ns/op`
          : '';
    this.progress(`  ${row.workload} / ${row.case} / ${row.impl}: ${rate}`);
    return row;
  }

  /** A row for an implementation that cannot run here. */
  unavailable(workload: string, kase: string, impl: string, role: Row['role'], reason: string): void {
    this.add({ workload, case: kase, impl, role, available: false, note: reason });
  }

  /** Runs a loop `repeats` times and keeps the fastest run. */
  bestSync(loop: () => number): Promise<{ seconds: number; check: number }> {
    return best(this.options.repeats, () => timeSync(loop));
  }

  bestAsync(loop: () => Promise<number>): Promise<{ seconds: number; check: number }> {
    return best(this.options.repeats, () => timeAsync(loop));
  }

  /**
   * Runs several loops in rounds, each round every loop once (starting one further along each round), and
   * keeps each loop's fastest run. On a shared machine, load that comes and goes then falls on all of
   * them alike, so their ratios hold better than those of loops timed one after the other.
   */
  async interleave(loops: Array<[string, () => number | Promise<number>]>): Promise<Map<string, { seconds: number; check: number }>> {
    const best = new Map<string, { seconds: number; check: number }>();
    const rounds = Math.max(1, this.options.repeats);
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < loops.length; i++) {
        const [name, loop] = loops[(i + round) % loops.length]!;
        const t0 = now();
        const check = await loop();
        const seconds = (now() - t0) / 1000;
        const kept = best.get(name);
        if (!kept || seconds < kept.seconds) best.set(name, { seconds, check });
      }
      this.progress(`  round ${round + 1}/${rounds} of ${loops.length} loops`);
    }
    return best;
  }

  /** The process's resident set after a full collection: the baseline a workload's growth is measured from. */
  async settledRss(): Promise<number> {
    gc();
    // External memory (mmap'd buffers, large ArrayBuffers) is given back by finalizers that run after the
    // collection, in a later turn of the event loop: let them run, then collect again.
    await new Promise<void>((resolve) => setImmediate(resolve));
    gc();
    return rss();
  }

  /**
   * The file of the file workloads: four times the file pool, pseudo-random bytes from the seed, made once
   * per run (so it sits in the kernel's page cache for every reader alike).
   */
  testFile(): TestFile {
    if (this.shared.file && existsSync(this.shared.file.path)) return this.shared.file;
    const { fileBytes, pageSize } = this.sizes;
    const path = join(this.tmp, 'data.bin');
    this.progress(`making the test file: ${mib(fileBytes)} (${fileBytes / pageSize} pages of ${pageSize})`);
    const rng = new XorShift128(this.options.seed ^ 0xf11e);
    const chunk = new Uint8Array(Math.min(fileBytes, 4 << 20));
    const fd = openSync(path, 'w');
    try {
      for (let done = 0; done < fileBytes;) {
        const n = Math.min(chunk.length, fileBytes - done);
        rng.fill(chunk);
        for (let w = 0; w < n;) w += writeSync(fd, chunk, w, n - w, done + w);
        done += n;
      }
    } finally {
      closeSync(fd);
    }
    if (statSync(path).size !== fileBytes) throw new Error(`test file ${path} has the wrong size`);
    this.shared.file = { path, bytes: fileBytes, pages: Math.ceil(fileBytes / pageSize) };
    return this.shared.file;
  }
}

/** Runs `fn` and turns a thrown error into an unavailable row, so one broken part does not end the run. */
export async function guarded(ctx: Context, workload: string, kase: string, impl: string, role: Row['role'], fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    ctx.unavailable(workload, kase, impl, role, `failed: ${message.split('\n')[0]}`);
  }
}
