import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Context } from './context.js';
import { calibrateTimer, now } from './measure.js';
import { DEFAULT_OPTIONS, sizesFor, WORKLOADS, type BenchOptions, type WorkloadName } from './options.js';
import { loadPeers, missingPeersMessage, type Peers } from './peers.js';
import { combineRuns, computeRatios, evaluateIssue13, evaluateIssue14, evaluateTargets } from './report.js';
import type { BenchResults, TargetResult } from './results.js';
import { faults } from './workloads/faults.js';
import { hits, hitsDenseCacheExperiment } from './workloads/hits.js';
import { memory } from './workloads/memory.js';
import { objects } from './workloads/objects.js';
import { policies } from './workloads/policies.js';
import { random } from './workloads/random.js';
import { scaling } from './workloads/scaling.js';
import { scan } from './workloads/scan.js';
import { redis } from './workloads/redis.js';
import { sqlite } from './workloads/sqlite.js';
import { swap } from './workloads/swap.js';
import { worker } from './workloads/worker.js';

const RUNNERS: Record<WorkloadName, (ctx: Context) => Promise<void>> = {
  hits,
  faults,
  scan,
  random,
  swap,
  objects,
  memory,
  scaling,
  policies,
  redis,
  sqlite,
  worker,
};

export interface RunOptions {
  /** Where progress lines go; stderr by default. */
  log?: (line: string) => void;
  /** The peers to measure against; by default those installed (a test passes some that are missing). */
  peers?: Peers;
}

export interface SuiteRun {
  results: BenchResults;
  /** The JSON file written, if any. */
  file: string | undefined;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Runs the selected workloads in this process and answers the results (and writes the JSON file when `out` says where). */
export async function runSuite(partial: Partial<BenchOptions> = {}, run: RunOptions = {}): Promise<SuiteRun> {
  const options: BenchOptions = { ...DEFAULT_OPTIONS, ...partial };
  const log = run.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const sizes = sizesFor(options);
  const startedAt = new Date();
  const t0 = now();
  const loadBefore = loadavg()[0]!;
  const peers = run.peers ?? (await loadPeers());
  const tmp = mkdtempSync(join(options.tmpDir ?? tmpdir(), 'spinvm-bench-'));
  const shared = {};
  const runs = Math.max(1, options.runs);
  let ctx = new Context(options, sizes, peers, tmp, log, shared);
  const overhead = calibrateTimer();
  ctx.progress(`timer overhead ${overhead.toFixed(0)} ns (subtracted from sampled latencies); temporary files in ${tmp}`);
  const missing = missingPeersMessage(peers.missing);
  if (missing) ctx.progress(missing);
  const loaded = { memoryPager: peers.memoryPager, lruCache: peers.lruCache, mmap: peers.mmap };
  for (const [name, p] of Object.entries(loaded)) if (!p.ok && !peers.missing.some((m) => p.reason.includes(m.name))) ctx.progress(`${name}: ${p.reason}`);
  const selected = WORKLOADS.filter((w) => !options.only || options.only.includes(w));
  // Ctrl-C (or a kill) removes the temporary folder, which holds a test file of up to hundreds of MiB.
  const interrupted = (code: number) => (): void => {
    rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
    log(`interrupted; removed ${tmp}`);
    process.exit(code);
  };
  const onSigint = interrupted(130);
  const onSigterm = interrupted(143);
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigterm);
  // Each run is every selected workload once, in a fresh context (the test file is made once); the targets
  // are judged in every run and then combined, so a target's spread is that of whole runs.
  const perRun: TargetResult[][] = [];
  let primary: Record<string, string> = {};
  try {
    for (let run = 0; run < runs; run++) {
      if (run > 0) ctx = new Context(options, sizes, peers, tmp, log, shared);
      for (const [i, name] of selected.entries()) {
        ctx.progress(`${runs > 1 ? `run ${run + 1}/${runs} ` : ''}[${i + 1}/${selected.length}] ${name}`);
        await RUNNERS[name](ctx);
      }
      if (selected.includes('hits')) {
        ctx.progress('hits: the page table against the hash cache');
        await hitsDenseCacheExperiment(ctx);
      }
      primary = computeRatios(ctx.rows);
      perRun.push([...evaluateIssue14(ctx.rows), ...evaluateIssue13(ctx.rows, ctx.scaling, ctx.policies), ...evaluateTargets(ctx.rows, ctx.scaling)]);
    }
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
    rmSync(tmp, { recursive: true, force: true });
  }
  const cpu = cpus();
  const results: BenchResults = {
    version: 1,
    startedAt: startedAt.toISOString(),
    seconds: (now() - t0) / 1000,
    machine: {
      cpus: cpu.length,
      model: cpu[0]?.model ?? 'unknown',
      memoryBytes: totalmem(),
      node: process.version,
      platform: process.platform,
      arch: process.arch,
      loadAverage: [loadBefore, loadavg()[0]!],
    },
    options: { ...options, sizes },
    rows: ctx.rows,
    scaling: ctx.scaling,
    targets: combineRuns(perRun),
    runs,
    ...(ctx.policies ? { policies: ctx.policies } : {}),
    primary,
    ...(peers.missing.length > 0 ? { missingPeers: { packages: peers.missing.map((p) => `${p.name}@${p.range}`), message: missing } } : {}),
  };
  let file: string | undefined;
  if (options.out !== undefined) {
    let target = resolve(options.out);
    if (/[\\/]$/.test(options.out) || isDirectory(target)) {
      mkdirSync(target, { recursive: true });
      target = join(target, `${startedAt.toISOString().replace(/[:.]/g, '-')}${options.smoke ? '-smoke' : ''}.json`);
    } else mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, `${JSON.stringify(results, null, 2)}\n`);
    file = target;
  }
  return { results, file };
}
