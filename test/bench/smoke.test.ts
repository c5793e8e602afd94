import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseArgs, WORKLOADS } from '../../bench/options.js';
import { formatResults, meets } from '../../bench/report.js';
import { generateTrace, simulate, TRACE_CLASSES, type TraceClass } from '../../cli/index.js';
import { BUILTIN_POLICIES, createVm } from '../../vmcore/index.js';
import type { BenchResults, Row } from '../../bench/results.js';
import { runSuite } from '../../bench/suite.js';

/**
 * The bench's smoke mode, run in-process: every workload and every peer row is there, every figure is a
 * finite number, implementations that read the same data agree on it, and the table and JSON have their
 * shape. Nothing here is about speed.
 */

/** Every row the suite must produce (available or saying why not), by workload. */
const EXPECTED: Record<string, string[]> = {
  hits: [
    'spinvm getUint(o, 4)',
    'spinvm getUint',
    'spinvm readSync',
    'spinvm address space getUint32',
    'spinvm getUint, hash cache (objects over 2^20 pages)',
    'Uint8Array',
    'DataView getUint32',
    'Uint8Array slice',
    'memory-pager',
  ],
  faults: [
    'spinvm request(p, write)',
    'Uint8Array ring of pool size, oldest page zeroed',
    'new Uint8Array(page), ring of pool size',
    'memory-pager get',
    'kernel: first write to fresh ArrayBuffer page',
    'kernel mmap (@riaskov/mmap-io) write fault',
  ],
  scan: [
    'spinvm read() 1 MiB',
    'spinvm readInto 1 MiB, one reused buffer',
    'spinvm request + getUint per page',
    'fs.readSync 1 MiB',
    'fs.promises read 1 MiB',
    'kernel mmap (@riaskov/mmap-io)',
    'lru-cache + fs.readSync 4 KiB',
  ],
  random: [
    'spinvm',
    'spinvm (lru)',
    'spinvm (clock)',
    'spinvm (sieve)',
    'spinvm (s3-fifo)',
    'spinvm (fifo)',
    'lru-cache + fs.readSync',
    'fs.readSync 4 KiB per access',
    'fs.promises read 4 KiB per access',
    'kernel mmap (@riaskov/mmap-io)',
  ],
  swap: [
    'spinvm default pager',
    'Uint8Array (all in memory, pre-touched)',
    'memory-pager (all in memory)',
    'lru-cache write-back + fs',
    'fs.writeSync 4 bytes per write',
  ],
  memory: ['spinvm file pager, scan of 4× the pool', 'spinvm default pager, writes to 4× the pool'],
  worker: [
    'spinvm/worker getUint(o, 4)',
    'Uint8Array in the worker',
    'spinvm/worker getUint, every read a miss',
    'synckit createSyncFn (its worker copies the page)',
  ],
  objects: [
    'spinvm getUint',
    'spinvm createMemoryObject',
    'spinvm destroy (resident pages)',
    'Uint8Array per object',
    'new Uint8Array per object',
    'memory-pager per object',
    'new memory-pager per object',
    'spinvm request + getUint',
    'lru-cache of zero pages',
  ],
};

const out = mkdtempSync(join(tmpdir(), 'spinvm-bench-smoke-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('spinvm bench --smoke', () => {
  let results: BenchResults;
  let file: string | undefined;
  const progress: string[] = [];

  it('runs every workload in seconds and writes the JSON file', async () => {
    const run = await runSuite({ ...parseArgs(['--smoke']).options, out }, { log: (line) => progress.push(line) });
    results = run.results;
    file = run.file;
    expect(file).toBeDefined();
    const parsed = JSON.parse(readFileSync(file!, 'utf8')) as BenchResults;
    expect(parsed.version).toBe(1);
    expect(parsed.rows.length).toBe(results.rows.length);
    expect(parsed.targets.map((t) => t.id)).toEqual(results.targets.map((t) => t.id));
    // Progress was reported for every workload as it ran.
    for (const w of WORKLOADS) expect(progress.some((l) => l.includes(`] ${w}`))).toBe(true);
  }, 60_000);

  it('has every workload row, peers included, each available or saying why not', () => {
    for (const [workload, impls] of Object.entries(EXPECTED)) {
      const rows = results.rows.filter((r) => r.workload === workload);
      for (const impl of impls)
        expect(
          rows.map((r) => r.impl),
          `${workload}: ${impl}`,
        ).toContain(impl);
    }
    for (const r of results.rows) if (!r.available) expect(r.note, `${r.workload}/${r.impl}`).toMatch(/\S/);
    // What must run on any machine: spinvm's in-memory workloads and the peers that need no optional package.
    const mustRun = (w: string, impl: string): Row => results.rows.find((r) => r.workload === w && r.impl === impl && r.available)!;
    for (const [w, impl] of [
      ['hits', 'spinvm getUint(o, 4)'],
      ['hits', 'Uint8Array'],
      ['faults', 'spinvm request(p, write)'],
      ['scan', 'fs.readSync 1 MiB'],
      ['objects', 'spinvm getUint'],
    ]) {
      expect(mustRun(w!, impl!), `${w}/${impl}`).toBeDefined();
    }
  });

  it('runs every spinvm row: the file pager, the default pager and the address space are always there', () => {
    const parts: Array<[string, string]> = [
      ['scan', 'spinvm read() 1 MiB'],
      ['scan', 'spinvm readInto 1 MiB, one reused buffer'],
      ['scan', 'spinvm request + getUint per page'],
      ['random', 'spinvm'],
      ['swap', 'spinvm default pager'],
      ['hits', 'spinvm address space getUint32'],
      ['memory', 'spinvm file pager, scan of 4× the pool'],
      ['memory', 'spinvm default pager, writes to 4× the pool'],
    ];
    for (const [workload, impl] of parts) {
      const row = results.rows.find((r) => r.workload === workload && r.impl === impl)!;
      expect(row.available, `${workload}/${impl}: ${row.note}`).toBe(true);
    }
    for (const r of results.rows.filter((x) => x.role === 'spinvm')) expect(r.available, `${r.workload}/${r.impl}: ${r.note}`).toBe(true);
    expect(results.scaling.find((s) => s.dimension === 'mapped ranges')!.available).toBe(true);
  });

  it('gives finite figures and a finite spinvm/peer ratio on every available peer row', () => {
    const finite = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);
    for (const r of results.rows.filter((x) => x.available)) {
      const what = `${r.workload}/${r.case}/${r.impl}`;
      expect(finite(r.seconds) && r.seconds! > 0, `${what} seconds`).toBe(true);
      expect(finite(r.ops) && r.ops! > 0, `${what} ops`).toBe(true);
      expect(finite(r.opsPerSec), `${what} ops/s`).toBe(true);
      for (const k of ['p50Ns', 'p99Ns', 'hitRatio', 'frames', 'faults', 'metadataBytesPerFrame', 'rssBytes', 'bytesPerSec'] as const) {
        if (r[k] !== undefined) expect(finite(r[k]), `${what} ${k}`).toBe(true);
      }
      if (r.hitRatio !== undefined) expect(r.hitRatio).toBeGreaterThanOrEqual(0);
      if (r.role === 'peer' && results.primary[`${r.workload}/${r.case}`]) {
        expect(finite(r.ratio) && r.ratio! > 0, `${what} ratio`).toBe(true);
      }
      expect(r.checkMismatch, `${what}: ${r.note}`).toBeUndefined();
    }
    // spinvm rows report the frame metadata and the pool against resident memory.
    const spin = results.rows.filter((r) => r.role === 'spinvm' && r.available && r.frames !== undefined);
    expect(spin.length).toBeGreaterThan(5);
    for (const r of spin) expect(r.metadataBytesPerFrame).toBeGreaterThan(0);
  });

  it('has the scaling table: three dimensions, each over a 100× range', () => {
    expect(results.scaling.map((s) => s.dimension)).toEqual(['resident pages', 'objects', 'mapped ranges']);
    for (const s of results.scaling) {
      expect(s.points.length).toBe(3);
      expect(s.points.at(-1)!.n / s.points[0]!.n).toBe(100);
      if (s.available) {
        for (const p of s.points) expect(Number.isFinite(p.spinvmNs) && Number.isFinite(p.peerNs)).toBe(true);
        expect(Number.isFinite(s.growth)).toBe(true);
      } else expect(s.note).toMatch(/\S/);
    }
  });

  it('judges every target of issue 13 and of issue 6, and prints them as a table', () => {
    const ids = results.targets.map((t) => t.id);
    expect(results.targets.filter((t) => t.issue === 13).map((t) => t.id)).toEqual([
      'hits-getuint',
      'hits-address-space',
      'scan-per-page',
      'scan-1mib',
      'random-zipf-0.9',
      'zero-fill',
      'objects-growth',
      'policy-vs-best',
      'policy-vs-lru',
      'policy-metadata',
    ]);
    for (const id of [
      'hits-vs-uint8array',
      'hits-vs-memory-pager',
      'zero-fill-faults',
      'scan-vs-readsync',
      'scan-vs-mmap',
      'metadata-per-frame',
      'rss-within-pool',
      'flat-resident-pages',
      'flat-objects',
      'flat-mapped-ranges',
    ]) {
      expect(ids).toContain(id);
    }
    expect(results.targets.filter((t) => t.issue === 14).map((t) => t.id)).toEqual(['worker-hits', 'worker-fault']);
    expect(ids.some((id) => /^random-zipf-.*-vs-lru-cache$/.test(id))).toBe(true);
    expect(ids.some((id) => /^random-zipf-.*-hit-ratio$/.test(id))).toBe(true);
    // Every target of a full smoke run has a figure, and its verdict is that figure against its goal.
    // (Issue 6's kernel mmap target has none where the optional mmap peer is not installed.)
    for (const t of results.targets) {
      if (t.issue === 13 || t.issue === 14) expect(Number.isFinite(t.value), `${t.id}: ${t.measured}`).toBe(true);
      expect(t.met, t.id).toBe(t.value === null ? null : meets(t.value, t.goal));
      expect(t.goalText).toMatch(/\S/);
    }
    expect(results.runs).toBe(1);
    const text = formatResults(results);
    for (const w of Object.keys(EXPECTED)) expect(text).toContain(`${w}: `);
    expect(text).toContain('cost per operation as the dimension grows 100×');
    expect(text).toContain('targets (issue 13), one run');
    expect(text).toContain('| target | measured | goal | met |');
    expect(text).toContain('| resident 4-byte hits (`getUint`) against a `Uint8Array` | ');
    expect(text).toContain('earlier targets (issue 6)');
    expect(text).toContain('targets (issue 14: worker threads), one run');
    expect(text).toMatch(/spinvm÷peer/);
  });

  it('runs every trace class of spinvm simulate through every policy, as the simulator does', async () => {
    const p = results.policies!;
    const probe = createVm({ frames: 4 });
    expect(p.default).toBe(probe.stat().policy);
    await probe.destroy();
    expect(p.classes.map((c) => c.class)).toEqual(Object.keys(TRACE_CLASSES));
    for (const c of p.classes) {
      const trace = generateTrace(c.class as TraceClass, c.frames, c.references, p.seed);
      expect(c.faults.lru).toBe(simulate(trace, BUILTIN_POLICIES.lru!, c.frames).faults);
      expect(c.overLru).toBeCloseTo(c.faults[p.default]! / c.faults.lru!, 12);
      expect(c.faults[c.bestOther]).toBe(
        Math.min(
          ...Object.entries(c.faults)
            .filter(([n]) => n !== p.default)
            .map(([, f]) => f),
        ),
      );
    }
    expect(p.metadataBytesPerFrame[p.default]).toBe(results.targets.find((t) => t.id === 'policy-metadata')!.value);
  });
});
