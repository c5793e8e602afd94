// Runs fuzz scenarios seed by seed, shrinks failures, and keeps the figures (operations, seeds, fault kinds).
import { appendFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countOps, describeOps, generate, type Op, type Scenario } from './ops.js';
import type { Watchdog } from './watchdog.js';
import { describeErr, Divergence, World, type WorldLimits } from './world.js';

/** SPINVM_FUZZ_TRACE=1 prints every operation as it runs (for replays). */
const TRACE = process.env.SPINVM_FUZZ_TRACE === '1';

export interface Failure {
  kind: string;
  message: string;
  /** Index of the operation that failed; ops.length when it was the final read-back or teardown. */
  at: number;
}

export interface RunResult {
  failure: Failure | undefined;
  operations: number;
  faults: Map<string, number>;
}

/** Runs one scenario from a fresh instance to its teardown. */
export async function runScenario(sc: Scenario, watchdog: Watchdog | undefined, limits: WorldLimits): Promise<RunResult> {
  const world = new World(sc.config, watchdog, limits);
  let failure: Failure | undefined;
  let at = 0;
  try {
    for (; at < sc.ops.length; at++) {
      watchdog?.note(note(sc, at));
      if (TRACE) console.log(`#${at + 1} ${JSON.stringify(sc.ops[at])}`);
      await world.step(sc.ops[at]!, at);
      if (at % 8 === 7) await world.atRest(`after #${at + 1}`);
    }
    watchdog?.note(note(sc, at));
    await world.finish();
  } catch (err) {
    failure =
      err instanceof Divergence
        ? { kind: err.kind, message: err.message, at }
        : { kind: 'harness-error', message: `${describeErr(err)}\n${(err as Error)?.stack?.split('\n').slice(1, 6).join('\n') ?? ''}`, at };
  }
  if (failure) await world.dispose();
  watchdog?.clearStall();
  return { failure, operations: world.operations, faults: world.faults };
}

function note(sc: Scenario, at: number): string {
  const c = sc.config;
  const where = at < sc.ops.length ? `operation #${at + 1} of ${sc.ops.length}: ${JSON.stringify(sc.ops[at])}` : 'the final read-back and teardown';
  return `seed ${c.seed} (${c.profile}, ${c.frames} frames of ${c.pageSize} bytes, ${c.policy}, teardown ${c.teardown}), during ${where}\nreplay: SPINVM_SEED=${c.seed} npx vitest run test/fuzz`;
}

export interface Shrunk {
  ops: Op[];
  runs: number;
  failure: Failure;
  file: string;
}

/**
 * Shrinks a failing scenario: drops everything after the failing operation, then chunks of operations
 * (halving as in delta debugging), then batch members, then simplifies what is left — keeping each change
 * that still fails the same way. Stops at `deadline`.
 */
export async function shrink(sc: Scenario, first: Failure, watchdog: Watchdog | undefined, limits: WorldLimits, deadline: number): Promise<Shrunk> {
  let ops = sc.ops.slice(0, first.at + 1);
  let failure = first;
  let runs = 0;
  const fails = async (cand: Op[]): Promise<boolean> => {
    if (Date.now() > deadline) return false;
    runs++;
    const r = await runScenario({ config: sc.config, ops: cand }, watchdog, limits);
    if (r.failure?.kind !== first.kind) return false;
    failure = r.failure;
    return true;
  };
  if (ops.length < sc.ops.length && !(await fails(ops))) {
    ops = sc.ops;
    failure = first;
  } else if (ops.length < sc.ops.length) ops = ops.slice(0, failure.at + 1);
  // Delta debugging over the top-level operations.
  for (let n = 2; ops.length >= 2 && Date.now() < deadline;) {
    const chunk = Math.ceil(ops.length / n);
    let reduced = false;
    for (let i = 0; i < ops.length && Date.now() < deadline; i += chunk) {
      const cand = [...ops.slice(0, i), ...ops.slice(i + chunk)];
      if (cand.length > 0 && (await fails(cand))) {
        ops = cand.slice(0, failure.at + 1);
        n = Math.max(n - 1, 2);
        reduced = true;
        break;
      }
    }
    if (!reduced) {
      if (chunk <= 1) break;
      n = Math.min(ops.length, n * 2);
    }
  }
  // Batches: fewer members, or a lone member instead of the batch.
  for (let i = 0; i < ops.length && Date.now() < deadline; i++) {
    const op = ops[i]!;
    if (op.k !== 'batch') continue;
    let members = op.ops;
    for (let j = 0; j < members.length && members.length > 1 && Date.now() < deadline;) {
      const fewer = [...members.slice(0, j), ...members.slice(j + 1)];
      if (await fails([...ops.slice(0, i), { k: 'batch', ops: fewer }, ...ops.slice(i + 1)])) members = fewer;
      else j++;
    }
    ops = [...ops.slice(0, i), { k: 'batch', ops: members }, ...ops.slice(i + 1)];
    if (members.length === 1 && (await fails([...ops.slice(0, i), members[0]!, ...ops.slice(i + 1)]))) ops[i] = members[0]!;
  }
  // Smaller numbers: lengths, burst sizes, page counts.
  for (let i = 0; i < ops.length && Date.now() < deadline; i++) {
    for (const field of ['len', 'n', 'pages', 'size'] as const) {
      for (;;) {
        const op = ops[i] as Record<string, unknown>;
        const v = op[field];
        if (typeof v !== 'number' || v <= 1 || (field === 'size' && (op.k === 'get' || op.k === 'set'))) break;
        const cand = [...ops];
        cand[i] = { ...op, [field]: Math.floor(v / 2) } as Op;
        if (!(await fails(cand))) break;
        ops = cand;
      }
    }
  }
  const file = join(tmpdir(), `spinvm-fuzz-${sc.config.seed}-${first.kind}.json`);
  writeFileSync(file, JSON.stringify({ config: sc.config, ops }, null, 1));
  return { ops, runs, failure, file };
}

export interface SeedsOptions {
  start: number;
  seeds: number;
  ops: number;
  /** Total milliseconds to spend shrinking; each failure kind is shrunk once. */
  shrinkMs: number;
  limits: WorldLimits;
  shrinkLimits: WorldLimits;
  watchdog: Watchdog | undefined;
  /** A file to append one JSON line per seed to (for `npm run fuzz`). */
  report?: string;
  log: (line: string) => void;
}

export interface Totals {
  seeds: number;
  operations: number;
  faults: Map<string, number>;
  failures: Array<{ seed: number; failure: Failure; shrunk?: Shrunk }>;
  ms: number;
}

/** Milliseconds 20,000 unrelated awaits take now (the least of three tries). */
async function awaitCost(): Promise<number> {
  let best = Infinity;
  for (let k = 0; k < 3; k++) {
    const t = performance.now();
    for (let i = 0; i < 20_000; i++) await null;
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

export async function runSeeds(o: SeedsOptions): Promise<Totals> {
  const began = Date.now();
  const before = await awaitCost();
  const totals: Totals = { seeds: 0, operations: 0, faults: new Map(), failures: [], ms: 0 };
  const shrunkKinds = new Set<string>();
  let shrinkLeft = o.shrinkMs;
  for (let seed = o.start; seed < o.start + o.seeds; seed++) {
    const sc = generate(seed, o.ops);
    const r = await runScenario(sc, o.watchdog, o.limits);
    totals.seeds++;
    totals.operations += r.operations;
    for (const [k, n] of r.faults) totals.faults.set(k, (totals.faults.get(k) ?? 0) + n);
    let shrunk: Shrunk | undefined;
    if (r.failure) {
      o.log(`seed ${seed}: ${r.failure.kind}: ${r.failure.message.split('\n')[0]}`);
      if (!shrunkKinds.has(r.failure.kind) && shrinkLeft > 0) {
        shrunkKinds.add(r.failure.kind);
        const t = Date.now();
        shrunk = await shrink(sc, r.failure, o.watchdog, o.shrinkLimits, t + shrinkLeft);
        shrinkLeft -= Date.now() - t;
      }
      totals.failures.push({ seed, failure: r.failure, ...(shrunk ? { shrunk } : {}) });
    }
    if (o.report) {
      const line = {
        seed,
        operations: r.operations,
        faults: Object.fromEntries(r.faults),
        ...(r.failure ? { failure: r.failure, shrunk: shrunk && { ops: shrunk.ops.length, file: shrunk.file } } : {}),
      };
      appendFileSync(o.report, JSON.stringify(line) + '\n');
    }
  }
  // Destroyed instances must leave nothing behind that slows the process (an AsyncLocalStorage or async hook
  // still enabled makes every await slower: issue #8).
  const after = await awaitCost();
  if (after > 8 * before && after - before > 100) {
    totals.failures.push({
      seed: -1,
      failure: {
        kind: 'leak:async-context',
        message: `after ${totals.seeds} instances were made and destroyed, 20,000 unrelated awaits take ${after.toFixed(0)} ms instead of ${before.toFixed(0)} ms: something (an AsyncLocalStorage, an async hook) stays enabled after its instance is destroyed`,
        at: 0,
      },
    });
  }
  totals.ms = Date.now() - began;
  return totals;
}

export function summary(t: Totals): string {
  const kinds = t.faults.size;
  const injected = [...t.faults.values()].reduce((a, b) => a + b, 0);
  return (
    `spinvm fuzz: ${t.seeds} seeds, ${t.operations.toLocaleString('en-US')} operations, ${kinds} fault kinds ` +
    `(${injected.toLocaleString('en-US')} faults injected), ${t.failures.length} divergent seeds, ${(t.ms / 1000).toFixed(1)} s`
  );
}

/** A failure as the test prints it: the seed, what went wrong, the shrunk sequence, how to replay. */
export function describeFailure(f: { seed: number; failure: Failure; shrunk?: Shrunk }, sc: Scenario): string {
  if (f.seed < 0) return `the whole run: ${f.failure.kind}\n  ${f.failure.message}`;
  const c = sc.config;
  const lines = [
    `seed ${f.seed}: ${f.failure.kind} (${c.profile}, ${c.frames} frames of ${c.pageSize} bytes, policy ${c.policy}, teardown ${c.teardown}, files ${c.files.join('/')} bytes)`,
    `  ${f.failure.message.split('\n').join('\n  ')}`,
    `  replay: SPINVM_SEED=${f.seed} npx vitest run test/fuzz`,
  ];
  if (f.shrunk) {
    lines.push(
      `  shrunk to ${countOps(f.shrunk.ops)} of ${countOps(sc.ops)} operations (${f.shrunk.runs} runs); it fails with:`,
      `  ${f.shrunk.failure.message.split('\n').join('\n  ')}`,
      describeOps(f.shrunk.ops, '    '),
      `  replay the shrunk case: SPINVM_FUZZ_REPLAY=${f.shrunk.file} npx vitest run test/fuzz`,
    );
  }
  return lines.join('\n');
}
