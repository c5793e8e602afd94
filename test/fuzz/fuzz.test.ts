// The seeded differential fuzz test: spinvm's public API against plain byte arrays (see README,
// "Reliability"). A short budget runs in `npm test`; `npm run fuzz -- --seeds N` runs longer.
//
//   SPINVM_SEED=<n>            replay seed n alone (or start there with SPINVM_FUZZ_SEEDS)
//   SPINVM_FUZZ_SEEDS=<n>      how many seeds        SPINVM_FUZZ_OPS=<n>  operations per seed
//   SPINVM_FUZZ_REPLAY=<file>  replay a shrunk case written by a failure
//   SPINVM_FUZZ_SHRINK_MS      time to spend shrinking   SPINVM_FUZZ_REPORT  append one JSON line per seed
import { appendFileSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countOps, generate, type Scenario } from './ops.js';
import { describeFailure, runScenario, runSeeds, summary } from './runner.js';
import { Watchdog } from './watchdog.js';

const env = process.env;
const DEFAULT_START = 20261122;
const DEFAULT_SEEDS = 120;
const DEFAULT_OPS = 120;

const num = (name: string, fallback: number): number => {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new Error(`${name} must be an integer, got ${JSON.stringify(v)}`);
  return n;
};

const seedGiven = env.SPINVM_SEED !== undefined && env.SPINVM_SEED !== '';
const start = num('SPINVM_FUZZ_START', num('SPINVM_SEED', DEFAULT_START));
const seeds = num('SPINVM_FUZZ_SEEDS', seedGiven ? 1 : DEFAULT_SEEDS);
const ops = num('SPINVM_FUZZ_OPS', DEFAULT_OPS);
const shrinkMs = num('SPINVM_FUZZ_SHRINK_MS', 15_000);
const report = env.SPINVM_FUZZ_REPORT || undefined;
const replay = env.SPINVM_FUZZ_REPLAY || undefined;
const limits = { opTimeoutMs: num('SPINVM_FUZZ_OP_TIMEOUT_MS', 5000), callBudget: 50_000 };
const shrinkLimits = { opTimeoutMs: Math.min(limits.opTimeoutMs, 2500), callBudget: 50_000 };

const watchdog = new Watchdog({ stallMs: num('SPINVM_FUZZ_STALL_MS', 5000), graceMs: 4000, ...(report ? { reportFile: report } : {}) });
beforeAll(() => watchdog.start());
afterAll(() => watchdog.stop());

describe('differential fuzz of the public API against a byte-array model (seed printed on failure)', () => {
  if (replay) {
    it(`replays ${replay}`, async () => {
      const sc = JSON.parse(readFileSync(replay, 'utf8')) as Scenario;
      const r = await runScenario(sc, watchdog, limits);
      console.log(
        `replayed ${countOps(sc.ops)} operations of seed ${sc.config.seed}: ${r.failure ? `${r.failure.kind}: ${r.failure.message}` : 'no divergence'}`,
      );
      expect(r.operations).toBeGreaterThan(0);
      if (r.failure) throw new Error(`${r.failure.kind}: ${r.failure.message}`);
    }, 600_000);
    return;
  }

  it(
    `${seeds} seed${seeds === 1 ? '' : 's'} from ${start}, ${ops} operations each: objects, pagers, swap, mapped files, address spaces, faults`,
    async () => {
      const totals = await runSeeds({ start, seeds, ops, shrinkMs, limits, shrinkLimits, watchdog, ...(report ? { report } : {}), log: (l) => console.log(l) });
      const line = summary(totals);
      console.log(line);
      if (report) {
        const run = totals.failures.filter((f) => f.seed < 0).map((f) => f.failure);
        appendFileSync(
          report,
          JSON.stringify({
            summary: line,
            seeds: totals.seeds,
            operations: totals.operations,
            faults: Object.fromEntries(totals.faults),
            ms: totals.ms,
            runFailures: run,
          }) + '\n',
        );
      }
      expect(totals.seeds).toBe(seeds);
      expect(totals.operations).toBeGreaterThan(seeds);
      if (totals.failures.length > 0) {
        const text = totals.failures.map((f) => describeFailure(f, generate(f.seed, ops))).join('\n\n');
        throw new Error(`${totals.failures.length} of ${totals.seeds} seeds diverged from the model:\n\n${text}\n\n${line}`);
      }
      // Every kind of fault the fuzzer knows was given out somewhere in the run (the short budget included).
      if (seeds >= DEFAULT_SEEDS) expect(totals.faults.size).toBeGreaterThanOrEqual(20);
    },
    Math.max(120_000, seeds * ops * 150 + shrinkMs + 60_000),
  );
});
