#!/usr/bin/env node
// `npm run fuzz -- --seeds N`: the differential fuzz test (test/fuzz/fuzz.test.ts) for longer than npm test
// gives it. Splits the seeds over a few vitest processes, restarts a process the watchdog killed (a frozen
// event loop) from the seed after the one that hung, and prints the totals: seeds, operations, fault kinds
// injected, divergences. Exits 1 if any seed diverged.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const USAGE = `usage: npm run fuzz -- [options]

  --seeds N            seeds to run (default 200)
  --ops N              operations per seed (default 120)
  --start N            first seed (default: a random one, printed so the run can be repeated)
  --seed N             replay one seed alone (the same as SPINVM_SEED=N npx vitest run test/fuzz)
  --jobs N             vitest processes at once (default: the number of CPUs, at most 4)
  --shrink-seconds N   time each process may spend shrinking failures (default 120)
  -h, --help           this text

A failure prints its seed and a shrunk sequence of operations; replay it with SPINVM_SEED=<seed>.`;

function fail(message) {
  process.stderr.write(`spinvm fuzz: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    args: process.argv.slice(2),
    options: {
      seeds: { type: 'string' },
      ops: { type: 'string' },
      start: { type: 'string' },
      seed: { type: 'string' },
      jobs: { type: 'string' },
      'shrink-seconds': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
} catch (err) {
  fail(err.message);
}
const o = parsed.values;
if (o.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

function int(name, value, fallback, min) {
  if (value === undefined) return fallback;
  if (!/^-?\d+$/.test(value)) fail(`--${name} must be an integer, got ${JSON.stringify(value)}`);
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) fail(`--${name} must be an integer of at least ${min}, got ${value}`);
  return n;
}

if (o.seed !== undefined && (o.seeds !== undefined || o.start !== undefined)) fail('--seed replays one seed: give it without --seeds or --start');
const seeds = o.seed !== undefined ? 1 : int('seeds', o.seeds, 200, 1);
const start = o.seed !== undefined ? int('seed', o.seed, 0, 0) : int('start', o.start, Math.floor(Math.random() * 2 ** 31), 0);
const ops = int('ops', o.ops, 120, 1);
const jobs = Math.min(seeds, int('jobs', o.jobs, Math.min(4, availableParallelism()), 1));
const shrinkMs = int('shrink-seconds', o['shrink-seconds'], 120, 0) * 1000;

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const vitest = join(root, 'node_modules/vitest/vitest.mjs');
const dir = mkdtempSync(join(tmpdir(), 'spinvm-fuzz-run-'));
const began = Date.now();

console.log(`spinvm fuzz: ${seeds} seed${seeds === 1 ? '' : 's'} from ${start}, ${ops} operations each, ${jobs} job${jobs === 1 ? '' : 's'}`);
console.log(`  repeat: npm run fuzz -- --start ${start} --seeds ${seeds} --ops ${ops}`);

/** One vitest process over seeds [from, from + count); answers its exit code and signal. */
function runJob(k, from, count, report) {
  return new Promise((done) => {
    const env = {
      ...process.env,
      SPINVM_FUZZ_START: String(from),
      SPINVM_FUZZ_SEEDS: String(count),
      SPINVM_FUZZ_OPS: String(ops),
      SPINVM_FUZZ_SHRINK_MS: String(shrinkMs),
      SPINVM_FUZZ_REPORT: report,
      FORCE_COLOR: '0',
      NO_COLOR: '1',
    };
    delete env.SPINVM_SEED;
    delete env.SPINVM_FUZZ_REPLAY;
    const child = spawn(process.execPath, [vitest, 'run', 'test/fuzz/fuzz.test.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const prefix = jobs > 1 ? `[job ${k}] ` : '';
    const forward = (stream, out) => {
      let rest = '';
      stream.on('data', (chunk) => {
        const lines = (rest + chunk.toString()).split('\n');
        rest = lines.pop();
        for (const line of lines) out.write(`${prefix}${line}\n`);
      });
      stream.on('end', () => rest && out.write(`${prefix}${rest}\n`));
    };
    forward(child.stdout, process.stdout);
    forward(child.stderr, process.stderr);
    child.on('exit', (code, signal) => done({ code, signal }));
  });
}

function readReport(file) {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      try {
        return JSON.parse(l);
      } catch {
        return undefined;
      }
    })
    .filter(Boolean);
}

const per = Math.ceil(seeds / jobs);
const lines = [];
const hangs = [];
const runFailures = [];
const deaths = [];
await Promise.all(
  Array.from({ length: jobs }, async (_, k) => {
    let from = start + k * per;
    const end = Math.min(start + seeds, from + per);
    for (let round = 0; from < end; round++) {
      const report = join(dir, `job-${k}-${round}.jsonl`);
      const { code, signal } = await runJob(k, from, end - from, report);
      const got = readReport(report);
      lines.push(...got.filter((l) => typeof l.seed === 'number'));
      for (const l of got) for (const f of l.runFailures ?? []) runFailures.push(f);
      const killed = got.find((l) => l.killed);
      const done = got.filter((l) => typeof l.seed === 'number').map((l) => l.seed);
      const last = done.length > 0 ? Math.max(...done) : from - 1;
      const finished = got.some((l) => typeof l.summary === 'string');
      if (finished || (last + 1 >= end && !killed)) break;
      if (killed) {
        // The watchdog killed the process: the next seed is the one that froze the event loop.
        const hung = last + 1;
        hangs.push({ seed: hung, note: killed.note, stalledMs: killed.stalledMs });
        console.log(`[job ${k}] seed ${hung} froze the event loop; going on from seed ${hung + 1}`);
        from = hung + 1;
      } else {
        // The process died another way (out of memory after many seeds, a crash): go on after the last seed
        // it finished; if it finished none, blame the seed it was on.
        const why = signal ? `signal ${signal}` : `exit code ${code}`;
        if (last + 1 === from) {
          hangs.push({ seed: from, note: `the process died (${why}) running this seed` });
          from++;
        } else from = last + 1;
        deaths.push(`job ${k}: the process died (${why}) after seed ${last}; went on from seed ${from}`);
        console.log(`[job ${k}] the process died (${why}) after seed ${last}; going on from seed ${from}`);
      }
    }
  }),
);

const operations = lines.reduce((n, l) => n + (l.operations ?? 0), 0);
const faults = new Map();
for (const l of lines) for (const [kind, n] of Object.entries(l.faults ?? {})) faults.set(kind, (faults.get(kind) ?? 0) + n);
const diverged = lines.filter((l) => l.failure).sort((a, b) => a.seed - b.seed);
const problems = diverged.length + hangs.length + runFailures.length + deaths.length;
const injected = [...faults.values()].reduce((a, b) => a + b, 0);
const seconds = ((Date.now() - began) / 1000).toFixed(0);
const ran = lines.length + hangs.length;

console.log('');
console.log(
  `spinvm fuzz totals: ${ran} seeds (${start} to ${start + seeds - 1}), ${operations.toLocaleString('en-US')} operations, ${faults.size} fault kinds injected (${injected.toLocaleString('en-US')} faults), ${problems} divergences, ${seconds} s`,
);
console.log(
  `  fault kinds: ${[...faults]
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${n}`)
    .join(', ')}`,
);
for (const l of diverged) {
  console.log(
    `  seed ${l.seed}: ${l.failure.kind}: ${l.failure.message.split('\n')[0]}${l.shrunk ? ` (shrunk to ${l.shrunk.ops} operations: SPINVM_FUZZ_REPLAY=${l.shrunk.file})` : ''}`,
  );
}
for (const h of hangs) console.log(`  seed ${h.seed}: the watchdog killed the process: ${h.note.split('\n')[0]}`);
for (const f of runFailures) console.log(`  the whole run (job): ${f.kind}: ${f.message}`);
for (const d of deaths) console.log(`  ${d}`);
if (diverged.length + hangs.length > 0) console.log('  replay one: SPINVM_SEED=<seed> npx vitest run test/fuzz');
rmSync(dir, { recursive: true, force: true });
process.exit(problems > 0 || ran < seeds ? 1 : 0);
