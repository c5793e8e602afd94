import type { BenchResults, Goal, PolicyClassRow, PolicyResults, Row, ScalingRow, TargetResult } from './results.js';

/** The rate a row is compared on: bytes per second for scans, operations per second otherwise. */
export function rate(row: Row): number | undefined {
  return row.bytesPerSec ?? row.opsPerSec;
}

const key = (row: Pick<Row, 'workload' | 'case'>): string => `${row.workload}/${row.case}`;

/**
 * Fills in the spinvm/peer ratio of every available peer row: the rate of its case's primary spinvm row
 * (the first available one) over the peer's. Answers the primary row's impl by case.
 */
export function computeRatios(rows: Row[]): Record<string, string> {
  const primary = new Map<string, Row>();
  for (const r of rows) if (r.role === 'spinvm' && r.available && rate(r) !== undefined && !primary.has(key(r))) primary.set(key(r), r);
  for (const r of rows) {
    const p = primary.get(key(r));
    // Every implementation that did the same operations on the same data must have read the same bytes.
    if (p && r !== p && r.available && r.check !== undefined && p.check !== undefined && r.ops === p.ops && r.check !== p.check) {
      r.checkMismatch = true;
      r.note = [r.note, `checksum ${r.check} differs from ${p.impl}'s ${p.check}`].filter(Boolean).join('; ');
    }
    if (r.role !== 'peer' || !r.available) continue;
    const a = p && rate(p);
    const b = rate(r);
    if (a !== undefined && b !== undefined && b > 0) r.ratio = a / b;
  }
  return Object.fromEntries([...primary].map(([k, r]) => [k, r.impl]));
}

// ---- the targets ----

const find = (rows: Row[], workload: string, test: (r: Row) => boolean): Row | undefined => rows.find((r) => r.workload === workload && r.available && test(r));

function ratioOf(a: Row | undefined, b: Row | undefined): number | null {
  const x = a && rate(a);
  const y = b && rate(b);
  return x !== undefined && y !== undefined && y > 0 ? x / y : null;
}

const f2 = (v: number | null): string => (v === null ? 'n/a' : v.toFixed(2));
const pct = (v: number | undefined): string => (v === undefined ? 'n/a' : `${(v * 100).toFixed(1)}%`);

/** Whether `value` meets `goal`. */
export function meets(value: number, goal: Goal): boolean {
  switch (goal.cmp) {
    case '>=':
      return value >= goal.limit;
    case '>':
      return value > goal.limit;
    case '<=':
      return value <= goal.limit;
    case '<':
      return value < goal.limit;
  }
}

const GOAL_SIGN: Record<Goal['cmp'], string> = { '>=': '≥', '>': '>', '<=': '≤', '<': '<' };

type Push = (id: string, description: string, value: number | null, goal: Goal, measured: string, unit?: TargetResult['unit'], goalText?: string) => void;

function collector(issue: number, out: TargetResult[]): Push {
  return (id, description, value, goal, measured, unit = 'ratio', goalText) => {
    const shown = goalText ?? `${GOAL_SIGN[goal.cmp]} ${goal.limit}${unit === 'ratio' ? '' : ` ${unit}`}`;
    out.push({ id, issue, description, value, unit, goal, goalText: shown, met: value === null ? null : meets(value, goal), measured });
  };
}

/**
 * The targets of issue 13, in its words: ratios are spinvm's throughput over the peer's (higher is better),
 * as in the table's spinvm÷peer column; the rest are figures with their unit.
 */
export function evaluateIssue13(rows: Row[], scaling: ScalingRow[], policies: PolicyResults | undefined): TargetResult[] {
  const out: TargetResult[] = [];
  const push = collector(13, out);

  // Resident hits.
  const u8 = find(rows, 'hits', (r) => r.case === '4-byte reads' && r.impl === 'Uint8Array');
  const spin4 = find(rows, 'hits', (r) => r.case === '4-byte reads' && r.impl === 'spinvm getUint(o, 4)');
  const asRow = find(rows, 'hits', (r) => r.case === '4-byte reads' && r.impl === 'spinvm address space getUint32');
  {
    const v = ratioOf(spin4, u8);
    push(
      'hits-getuint',
      'resident 4-byte hits (`getUint`) against a `Uint8Array`',
      v,
      { cmp: '>=', limit: 0.5 },
      `spinvm ${ns(spin4?.nsPerOp)} / Uint8Array ${ns(u8?.nsPerOp)} a read`,
    );
    const w = ratioOf(asRow, u8);
    push(
      'hits-address-space',
      'the same through an address space (`getUint32`)',
      w,
      { cmp: '>=', limit: 0.4 },
      `address space ${ns(asRow?.nsPerOp)} / Uint8Array ${ns(u8?.nsPerOp)} a read`,
    );
  }

  // Sequential scan: per page, and in 1 MiB reads (read() or readInto, the faster).
  {
    const readSync = find(rows, 'scan', (r) => r.impl === 'fs.readSync 1 MiB');
    const touch = find(rows, 'scan', (r) => r.role === 'spinvm' && r.impl.includes('per page'));
    const reads = rows.filter((r) => r.workload === 'scan' && r.role === 'spinvm' && r.available && r.impl.includes('1 MiB'));
    const bestRead = reads.reduce<Row | undefined>((b, r) => (!b || rate(r)! > rate(b)! ? r : b), undefined);
    const v = ratioOf(touch, readSync);
    push(
      'scan-per-page',
      'sequential scan of a file 4× the pool, a page at a time (`request` + `getUint`), against `fs.readSync` in 1 MiB reads',
      v,
      { cmp: '>=', limit: 0.9 },
      `per page ${gbs(touch)} / fs.readSync ${gbs(readSync)}`,
    );
    const w = ratioOf(bestRead, readSync);
    push(
      'scan-1mib',
      'the same scan in 1 MiB reads (`read()` or `readInto`, the faster), against `fs.readSync` in 1 MiB reads',
      w,
      { cmp: '>=', limit: 0.9 },
      `${reads.map((r) => `${r.impl} ${gbs(r)} (${f2(ratioOf(r, readSync))})`).join(', ') || 'n/a'}; fs.readSync ${gbs(readSync)}`,
    );
  }

  // Zipf 0.9 random page reads against the (fair) buffer cache.
  {
    const spin = find(rows, 'random', (r) => r.case === 'zipf 0.9' && r.impl === 'spinvm');
    const lru = find(rows, 'random', (r) => r.case === 'zipf 0.9' && r.impl.startsWith('lru-cache'));
    const v = ratioOf(spin, lru);
    push(
      'random-zipf-0.9',
      'zipf 0.9 random page reads over a file 4× the pool, against an `lru-cache` + `fs.readSync` buffer cache that reuses its buffers',
      v,
      { cmp: '>=', limit: 1.2 },
      `spinvm ${mops(spin)}, ${pct(spin?.hitRatio)} hits / lru-cache ${mops(lru)}, ${pct(lru?.hitRatio)} hits`,
    );
  }

  // Zero-fill faults, warm pool.
  {
    const warm = find(rows, 'faults', (r) => r.role === 'spinvm' && r.case.includes('warm pool'));
    const kernel = find(rows, 'faults', (r) => r.impl.startsWith('kernel: first write'));
    const zeroed = find(rows, 'faults', (r) => r.impl.includes('oldest page zeroed'));
    const v = warm?.nsPerOp === undefined ? null : warm.nsPerOp / 1000;
    push(
      'zero-fill',
      'zero-fill fault (`request(p, write)`, warm pool)',
      v,
      { cmp: '<', limit: 0.5 },
      `mean ${ns(warm?.nsPerOp)} (p50 ${ns(warm?.p50Ns)}, p99 ${ns(warm?.p99Ns)}); zeroing a reused page ${ns(zeroed?.nsPerOp)}; kernel first touch ${ns(kernel?.nsPerOp)}`,
      'µs',
    );
  }

  // Many objects.
  {
    const s = scaling.find((x) => x.dimension === 'objects');
    const v = s && s.available && s.growth !== null && s.peerGrowth !== null ? s.growth / s.peerGrowth : null;
    const range = s ? `${s.points[0]?.n} → ${s.points.at(-1)?.n}` : '';
    push(
      'objects-growth',
      `cost per read as objects grow 100× (${range || '100 → 10,000'}), over one \`Uint8Array\` per object's growth`,
      v,
      { cmp: '<=', limit: 1.5 },
      s && s.available
        ? `spinvm ${s.points.map((p) => ns(p.spinvmNs)).join(' → ')} (×${f2(s.growth)}); plain ${s.points.map((p) => ns(p.peerNs)).join(' → ')} (×${f2(s.peerGrowth)})`
        : (s?.note ?? 'n/a'),
    );
  }

  // The default policy.
  {
    const cls = policies?.classes ?? [];
    const worstBest = cls.reduce<PolicyClassRow | undefined>((w, c) => (!w || c.overBest > w.overBest ? c : w), undefined);
    push(
      'policy-vs-best',
      `the default policy's misses over the best other policy's, on every trace class of \`spinvm simulate --class all\` (worst)`,
      worstBest ? worstBest.overBest : null,
      { cmp: '<=', limit: 1.05 },
      policies && worstBest
        ? `${policies.default}: worst ${worstBest.class} @ ${worstBest.frames} frames (÷ ${worstBest.bestOther} ${worstBest.overBest.toFixed(3)}); ${cls.map((c) => `${c.class}@${c.frames} ${c.overBest.toFixed(3)}`).join(', ')}`
        : 'n/a (the policies workload did not run)',
      'ratio',
      'within 5% (≤ 1.05)',
    );
    // Never worse than LRU: the trace classes, and the bench's own zipf file reads (the default's misses over spinvm's LRU's).
    const file = [...new Set(rows.filter((r) => r.workload === 'random' && r.case.startsWith('zipf')).map((r) => r.case))].flatMap((kase) => {
      const mine = find(rows, 'random', (r) => r.case === kase && r.impl === 'spinvm');
      const lru = find(rows, 'random', (r) => r.case === kase && r.impl === 'spinvm (lru)');
      return mine?.hitRatio !== undefined && lru?.hitRatio !== undefined
        ? [{ where: `file ${kase}`, over: (1 - mine.hitRatio) / Math.max(1e-9, 1 - lru.hitRatio) }]
        : [];
    });
    const all = [...cls.map((c) => ({ where: `${c.class}@${c.frames}`, over: c.overLru })), ...file];
    const worst = all.reduce<{ where: string; over: number } | undefined>((w, x) => (!w || x.over > w.over ? x : w), undefined);
    const above = all.filter((x) => x.over > 1);
    push(
      'policy-vs-lru',
      "the default policy's misses over LRU's, on every trace class and the bench's zipf file reads (worst)",
      worst ? worst.over : null,
      { cmp: '<=', limit: 1 },
      worst
        ? `worst ${worst.where} ${worst.over.toFixed(3)}; above LRU: ${above.map((x) => `${x.where} ${x.over.toFixed(3)}`).join(', ') || 'none'}; ${file.map((x) => `${x.where} ${x.over.toFixed(3)}`).join(', ')}`
        : 'n/a',
      'ratio',
      'never worse (≤ 1)',
    );
    const bytes =
      policies?.metadataBytesPerFrame[policies.default] ?? find(rows, 'hits', (r) => r.metadataBytesPerFrame !== undefined)?.metadataBytesPerFrame ?? null;
    push(
      'policy-metadata',
      "metadata per frame, the pool's and the default policy's",
      bytes,
      { cmp: '<=', limit: 32 },
      policies
        ? Object.entries(policies.metadataBytesPerFrame)
            .map(([p, b]) => `${p} ${b}`)
            .join(', ')
        : `${bytes ?? 'n/a'} B`,
      'B',
    );
  }
  return out;
}

/** The targets of issue 14 (a memory object shared with worker threads), from the `worker` workload's rows. */
export function evaluateIssue14(rows: Row[]): TargetResult[] {
  const out: TargetResult[] = [];
  const push = collector(14, out);
  const spin4 = find(rows, 'worker', (r) => r.impl === 'spinvm/worker getUint(o, 4)');
  const u8 = find(rows, 'worker', (r) => r.impl === 'Uint8Array in the worker');
  push(
    'worker-hits',
    "a worker's resident 4-byte reads (`spinvm/worker` `getUint`) against a `Uint8Array` read in the same worker",
    ratioOf(spin4, u8),
    { cmp: '>=', limit: 0.3 },
    `spinvm/worker ${ns(spin4?.nsPerOp)} / Uint8Array ${ns(u8?.nsPerOp)} a read`,
  );
  const fault = find(rows, 'worker', (r) => r.impl.startsWith('spinvm/worker getUint, every read a miss'));
  const synckit = find(rows, 'worker', (r) => r.impl.startsWith('synckit'));
  const unavailable = rows.find((r) => r.workload === 'worker' && r.impl.startsWith('synckit') && !r.available);
  push(
    'worker-fault',
    "a worker's fault round trip, a synchronous pager on the owning thread (median)",
    fault?.p50Ns === undefined ? null : fault.p50Ns / 1000,
    { cmp: '<', limit: 20 },
    `spinvm p50 ${ns(fault?.p50Ns)}, p99 ${ns(fault?.p99Ns)}; synckit createSyncFn ${unavailable ? (unavailable.note ?? 'n/a') : `p50 ${ns(synckit?.p50Ns)}, p99 ${ns(synckit?.p99Ns)}`}`,
    'µs',
  );
  return out;
}

/** The bench's first targets (issue 6). */
export function evaluateTargets(rows: Row[], scaling: ScalingRow[]): TargetResult[] {
  const out: TargetResult[] = [];
  const push = collector(6, out);

  // Resident hits.
  const spin4 = find(rows, 'hits', (r) => r.case === '4-byte reads' && r.impl === 'spinvm getUint(o, 4)');
  const u8 = find(rows, 'hits', (r) => r.case === '4-byte reads' && r.impl === 'Uint8Array');
  const mp = find(rows, 'hits', (r) => r.case === '4-byte reads' && r.impl === 'memory-pager');
  const asRow = find(rows, 'hits', (r) => r.case === '4-byte reads' && r.impl.includes('address space'));
  {
    const v = ratioOf(spin4, u8);
    const viaAs = ratioOf(asRow, u8);
    push(
      'hits-vs-uint8array',
      'resident hits: 4-byte reads within 3× of a plain Uint8Array (spinvm/Uint8Array ≥ 0.33)',
      v,
      { cmp: '>=', limit: 1 / 3 },
      `spinvm/Uint8Array = ${f2(v)} (${v ? (1 / v).toFixed(1) : 'n/a'}× slower); through the address space ${viaAs === null ? 'n/a' : f2(viaAs)}`,
      'ratio',
      '≥ 0.33',
    );
    const w = ratioOf(spin4, mp);
    push(
      'hits-vs-memory-pager',
      'resident hits: faster than memory-pager (spinvm/memory-pager > 1)',
      w,
      { cmp: '>', limit: 1 },
      `spinvm/memory-pager = ${f2(w)}`,
    );
  }

  // Zero-fill faults.
  {
    const warm = find(rows, 'faults', (r) => r.role === 'spinvm' && r.case.includes('warm pool'));
    const cold = find(rows, 'faults', (r) => r.role === 'spinvm' && r.case.includes('cold pool'));
    const kernel = find(rows, 'faults', (r) => r.impl.startsWith('kernel: first write'));
    const v = warm?.nsPerOp === undefined ? null : warm.nsPerOp / 1000;
    push(
      'zero-fill-faults',
      'zero-fill faults: under 1 µs each',
      v,
      { cmp: '<', limit: 1 },
      `${v === null ? 'n/a' : v.toFixed(3)} µs mean (p50 ${ns(warm?.p50Ns)}, p99 ${ns(warm?.p99Ns)}); cold pool ${ns(cold?.nsPerOp)}; kernel first touch ${ns(kernel?.nsPerOp)}`,
      'µs',
    );
  }

  // Sequential scan.
  {
    const spin = rows.filter((r) => r.workload === 'scan' && r.role === 'spinvm' && r.available);
    const bestSpin = spin.reduce<Row | undefined>((b, r) => (!b || rate(r)! > rate(b)! ? r : b), undefined);
    const readSync = find(rows, 'scan', (r) => r.impl === 'fs.readSync 1 MiB');
    const mmap = find(rows, 'scan', (r) => r.impl.startsWith('kernel mmap'));
    const v = ratioOf(bestSpin, readSync);
    push(
      'scan-vs-readsync',
      'sequential scan: at least 70% of fs.readSync in 1 MiB reads (spinvm/readSync ≥ 0.70)',
      v,
      { cmp: '>=', limit: 0.7 },
      `best spinvm (${bestSpin?.impl ?? 'none'}) ${gbs(bestSpin)} / readSync ${gbs(readSync)} = ${f2(v)}; ${spin.map((r) => `${r.impl} ${f2(ratioOf(r, readSync))}`).join(', ')}`,
    );
    const mmapUnavailable = rows.find((r) => r.workload === 'scan' && r.impl.startsWith('kernel mmap') && !r.available);
    const w = ratioOf(bestSpin, mmap);
    push(
      'scan-vs-mmap',
      'sequential scan: above the kernel mmap scan in the same run (spinvm/mmap > 1)',
      w,
      { cmp: '>', limit: 1 },
      mmapUnavailable ? `kernel mmap ${mmapUnavailable.note}` : `best spinvm ${gbs(bestSpin)} / mmap ${gbs(mmap)} = ${f2(w)}`,
    );
  }

  // Random reads with skew.
  for (const kase of [...new Set(rows.filter((r) => r.workload === 'random' && r.case.startsWith('zipf')).map((r) => r.case))]) {
    const spin = find(rows, 'random', (r) => r.case === kase && r.impl === 'spinvm');
    const lru = find(rows, 'random', (r) => r.case === kase && r.impl.startsWith('lru-cache'));
    const v = ratioOf(spin, lru);
    push(
      `random-${kase.replace(' ', '-')}-vs-lru-cache`,
      `random reads, ${kase}: above the lru-cache buffer cache (spinvm/lru-cache > 1)`,
      v,
      { cmp: '>', limit: 1 },
      `spinvm ${mops(spin)} / lru-cache ${mops(lru)} = ${f2(v)}`,
    );
    const policies = rows.filter((r) => r.workload === 'random' && r.case === kase && r.role === 'spinvm' && r.available);
    const h = spin?.hitRatio !== undefined && lru?.hitRatio !== undefined ? (spin.hitRatio - lru.hitRatio) * 100 : null;
    push(
      `random-${kase.replace(' ', '-')}-hit-ratio`,
      `random reads, ${kase}: hit ratio no worse than LRU's (points above it)`,
      h,
      { cmp: '>=', limit: -0.1 },
      `spinvm ${pct(spin?.hitRatio)} vs LRU (lru-cache) ${pct(lru?.hitRatio)}; by policy: ${policies.map((r) => `${r.extra?.policy ?? r.impl} ${pct(r.hitRatio)}`).join(', ')}`,
      'points',
      '≥ −0.1 points',
    );
  }

  // Metadata and resident memory.
  {
    const spin = rows.filter((r) => r.role === 'spinvm' && r.available && r.metadataBytesPerFrame !== undefined);
    const byPolicy = new Map<string, number>();
    for (const r of spin) byPolicy.set(String(r.extra?.policy ?? 'default'), r.metadataBytesPerFrame!);
    const def = spin.find((r) => r.extra?.policy === undefined)?.metadataBytesPerFrame ?? spin[0]?.metadataBytesPerFrame ?? null;
    push(
      'metadata-per-frame',
      'metadata: at most 32 bytes per frame (default policy)',
      def,
      { cmp: '<=', limit: 32 },
      `${def ?? 'n/a'} B/frame; by policy: ${[...byPolicy].map(([p, b]) => `${p} ${b}`).join(', ')}`,
      'B',
    );
    // Judged on the fresh-process probes when they ran; otherwise on every spinvm row's in-process reading.
    const probes = rows.filter((r) => r.workload === 'memory' && r.available && r.rssBytes !== undefined);
    const withRss = probes.length > 0 ? probes : spin.filter((r) => r.rssBytes !== undefined && r.poolBytes !== undefined);
    const over = withRss.map((r) => ({ r, over: r.rssBytes! - r.poolBytes! }));
    const worst = over.reduce<{ r: Row; over: number } | undefined>((w, x) => (!w || x.over > w.over ? x : w), undefined);
    push(
      'rss-within-pool',
      'resident memory within the pool plus a small constant (peak RSS growth over the pool, ≤ 32 MiB)',
      worst ? worst.over / 2 ** 20 : null,
      { cmp: '<=', limit: 32 },
      worst
        ? `worst: ${worst.r.workload} / ${worst.r.impl}${worst.r.note ? ` (${worst.r.note})` : ''}: RSS grew ${mibs(worst.r.rssBytes!)} for a pool of ${mibs(worst.r.poolBytes!)} (${worst.over >= 0 ? '+' : ''}${mibs(worst.over)}); ` +
            over.map((x) => `${x.r.impl} ${x.over >= 0 ? '+' : ''}${mibs(x.over)}`).join(', ')
        : 'n/a',
      'MiB',
    );
  }

  // Flat cost per operation.
  for (const s of scaling) {
    const v = s.growth !== null && s.peerGrowth !== null ? s.growth / s.peerGrowth : s.growth;
    push(
      `flat-${s.dimension.replace(/ /g, '-')}`,
      `cost per op flat as ${s.dimension} grow 100× (growth over the plain array's ≤ 1.5)`,
      s.available ? v : null,
      { cmp: '<=', limit: 1.5 },
      s.available
        ? `spinvm ${s.points.map((p) => ns(p.spinvmNs ?? undefined)).join(' → ')} (×${f2(s.growth)}); ${s.peer} ×${f2(s.peerGrowth)}`
        : (s.note ?? 'n/a'),
    );
  }
  return out;
}

/**
 * The targets of several runs as one list: each target's figure is the median of the runs' (judged against
 * its goal), with the least and the greatest; its details are the last run's. One run is answered as it is.
 */
export function combineRuns(runs: TargetResult[][]): TargetResult[] {
  if (runs.length <= 1) return runs[0] ?? [];
  const last = runs.at(-1)!;
  return last.map((t) => {
    const values = runs.map((r) => r.find((x) => x.id === t.id)?.value).filter((v): v is number => v !== null && v !== undefined && Number.isFinite(v));
    if (values.length === 0) return { ...t, value: null, met: null };
    const sorted = [...values].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
    return { ...t, value: median, met: meets(median, t.goal), spread: { min: sorted[0]!, max: sorted.at(-1)!, values } };
  });
}

/** A target's figure for the table: the median and, over several runs, its range. */
export function figure(t: TargetResult): string {
  if (t.value === null) return 'n/a';
  const one = (v: number): string => {
    switch (t.unit) {
      case 'µs':
        return v.toFixed(2);
      case 'B':
      case 'MiB':
        return v.toFixed(0);
      case 'points':
        return v.toFixed(1);
      default:
        return v.toFixed(v >= 10 ? 1 : t.id.startsWith('policy') ? 3 : 2);
    }
  };
  const unit = t.unit === 'ratio' ? '' : ` ${t.unit}`;
  const spread = t.spread && t.spread.values.length > 1 ? ` (${one(t.spread.min)}–${one(t.spread.max)})` : '';
  return `${one(t.value)}${unit}${spread}`;
}

// ---- formatting ----

export function ns(v: number | undefined | null): string {
  if (v === undefined || v === null || !Number.isFinite(v)) return '';
  if (v < 1000) return `${v.toFixed(v < 10 ? 1 : 0)} ns`;
  if (v < 1e6) return `${(v / 1000).toFixed(v < 1e4 ? 2 : 1)} µs`;
  return `${(v / 1e6).toFixed(2)} ms`;
}

function gbs(r: Row | undefined): string {
  return r?.bytesPerSec === undefined ? 'n/a' : `${(r.bytesPerSec / 1e9).toFixed(2)} GB/s`;
}

function mops(r: Row | undefined): string {
  return r?.opsPerSec === undefined ? 'n/a' : `${(r.opsPerSec / 1e6).toFixed(2)} Mop/s`;
}

function mibs(b: number): string {
  return `${(b / 2 ** 20).toFixed(0)} MiB`;
}

function throughput(r: Row): string {
  if (r.bytesPerSec !== undefined) return `${(r.bytesPerSec / 1e9).toFixed(2)} GB/s`;
  if (r.opsPerSec === undefined) return '';
  const v = r.opsPerSec;
  return v >= 1e6 ? `${(v / 1e6).toFixed(2)} Mop/s` : v >= 1e3 ? `${(v / 1e3).toFixed(1)} kop/s` : `${v.toFixed(0)} op/s`;
}

const COLUMNS: Array<{ head: string; right: boolean; cell: (r: Row) => string }> = [
  { head: 'implementation', right: false, cell: (r) => r.impl },
  { head: 'ops', right: true, cell: (r) => (r.ops === undefined ? '' : String(r.ops)) },
  { head: 'throughput', right: true, cell: throughput },
  { head: 'per op', right: true, cell: (r) => ns(r.nsPerOp) },
  { head: 'p50', right: true, cell: (r) => ns(r.p50Ns) },
  { head: 'p99', right: true, cell: (r) => ns(r.p99Ns) },
  { head: 'spinvm÷peer', right: true, cell: (r) => (r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}×`) },
  { head: 'frames', right: true, cell: (r) => (r.frames === undefined ? '' : String(r.frames)) },
  { head: 'faults', right: true, cell: (r) => (r.faults === undefined ? '' : String(r.faults)) },
  { head: 'hit', right: true, cell: (r) => (r.hitRatio === undefined ? '' : pct(r.hitRatio)) },
  { head: 'B/frame', right: true, cell: (r) => (r.metadataBytesPerFrame === undefined ? '' : String(r.metadataBytesPerFrame)) },
  {
    head: 'RSS+ / pool',
    right: true,
    cell: (r) => (r.rssBytes === undefined || r.poolBytes === undefined ? '' : `${mibs(r.rssBytes)} / ${mibs(r.poolBytes)}`),
  },
];

/** The results as text: the table (grouped by workload and case), the scaling table, the targets. */
export function formatResults(res: BenchResults): string {
  const lines: string[] = [];
  const m = res.machine;
  lines.push(
    `spinvm bench — ${res.startedAt} — ${m.cpus}× ${m.model}, ${(m.memoryBytes / 2 ** 30).toFixed(0)} GiB, node ${m.node} ${m.platform}-${m.arch}, load ${m.loadAverage.map((l) => l.toFixed(2)).join(' → ')}, ${res.seconds.toFixed(0)} s`,
  );
  lines.push(`options: ${JSON.stringify(res.options)}`);
  if (res.runs > 1) lines.push(`${res.runs} runs: the rows and scaling table below are the last run's; each target is the median of the runs (min–max).`);
  lines.push("spinvm÷peer: throughput of the case's first spinvm row (marked ›) over the peer's; above 1 means spinvm is faster.");
  lines.push('p50/p99: one operation in 64 timed on its own (none for tight loops, whose "per op" is the run\'s mean).');
  lines.push('');
  const widths = COLUMNS.map((c) => Math.max(c.head.length + 2, ...res.rows.map((r) => c.cell(r).length + 2)));
  const fmt = (cells: string[]): string =>
    cells
      .map((s, i) => (COLUMNS[i]!.right ? s.padStart(widths[i]!) : s.padEnd(widths[i]!)))
      .join(' ')
      .trimEnd();
  lines.push(fmt(COLUMNS.map((c) => c.head)));
  lines.push('-'.repeat(widths.reduce((a, b) => a + b + 1, 0)));
  // Rows grouped by case, in the order the cases first appear (a workload adds spinvm's rows before its peers').
  const groups = new Map<string, Row[]>();
  for (const r of res.rows) {
    const g = groups.get(key(r));
    if (g) g.push(r);
    else groups.set(key(r), [r]);
  }
  let current = '';
  for (const r of [...groups.values()].flat()) {
    const k = key(r);
    if (k !== current) {
      current = k;
      lines.push(`${r.workload}: ${r.case}`);
    }
    const cells = COLUMNS.map((c) => c.cell(r));
    const mark = res.primary[k] === r.impl && r.role === 'spinvm' ? '› ' : '  ';
    cells[0] = mark + cells[0];
    if (!r.available) {
      lines.push(`${fmt([cells[0]!])}  ${r.note ?? 'unavailable'}`.replace(/\s+ {2}/, '  '));
      continue;
    }
    let line = fmt(cells);
    const notes = [
      r.note,
      ...Object.entries(r.extra ?? {}).map(([k2, v]) => `${k2}=${typeof v === 'number' && !Number.isInteger(v) ? Number(v.toFixed(3)) : v}`),
    ].filter(Boolean);
    if (notes.length > 0) line += `  (${notes.join(', ')})`;
    lines.push(line);
  }
  lines.push('');
  lines.push('cost per operation as the dimension grows 100× (spinvm | plain array)');
  for (const s of res.scaling) {
    const cells = s.points.map((p) => `${String(p.n).padStart(6)}: ${ns(p.spinvmNs ?? undefined).padStart(8)} | ${ns(p.peerNs ?? undefined).padStart(8)}`);
    const growth = s.available ? `  growth ×${f2(s.growth)} (plain ×${f2(s.peerGrowth)})` : `  ${s.note ?? ''}`;
    lines.push(`  ${s.dimension.padEnd(15)} ${s.available ? cells.join('   ') : ''}${growth}`);
    lines.push(`  ${''.padEnd(15)} ${s.op}; peer: ${s.peer}`);
  }
  if (res.policies) {
    const p = res.policies;
    const names = Object.keys(p.metadataBytesPerFrame);
    lines.push('');
    lines.push(
      `policies: misses on the trace classes of \`spinvm simulate --class all --seed ${p.seed}\`, frames = the pool the trace is made for (default ${p.default})`,
    );
    const head = ['class', 'frames', ...names, `÷ best other`, '÷ LRU'];
    const body = p.classes.map((c) => [
      c.class,
      String(c.frames),
      ...names.map((n) => String(c.faults[n] ?? '')),
      `${c.overBest.toFixed(3)} (${c.bestOther})`,
      c.overLru.toFixed(3),
    ]);
    body.push(['B/frame', '', ...names.map((n) => String(p.metadataBytesPerFrame[n])), '', '']);
    const w = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
    for (const r of [head, ...body]) lines.push(`  ${r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ')}`);
  }
  lines.push('');
  lines.push(...formatTargets(res));
  if (res.missingPeers) {
    lines.push('');
    lines.push(res.missingPeers.message);
  }
  return lines.join('\n');
}

/**
 * The targets as a Markdown table, as the README shows them: issue 14's, issue 13's, then issue 6's; each figure the
 * median of the runs with their range, the details below.
 */
export function formatTargets(res: Pick<BenchResults, 'targets' | 'runs'>): string[] {
  const lines: string[] = [];
  const runs = res.runs > 1 ? `, the median (min–max) of ${res.runs} runs` : ', one run';
  for (const [issue, title] of [
    [14, 'targets (issue 14: worker threads)'],
    [13, 'targets (issue 13)'],
    [6, 'earlier targets (issue 6)'],
  ] as const) {
    const targets = res.targets.filter((t) => t.issue === issue);
    if (targets.length === 0) continue;
    lines.push(`${title}${runs}; ratios are spinvm's throughput over the peer's (higher is better)`);
    lines.push('');
    lines.push('| target | measured | goal | met |');
    lines.push('| --- | --- | --- | --- |');
    for (const t of targets) lines.push(`| ${t.description} | ${figure(t)} | ${t.goalText} | ${t.met === null ? 'n/a' : t.met ? 'yes' : '**no**'} |`);
    lines.push('');
    for (const t of targets) lines.push(`  ${t.id}: ${t.measured}`);
    lines.push('');
  }
  return lines;
}
