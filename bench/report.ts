import type { BenchResults, Row, ScalingRow, TargetResult } from './results.js';

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

// ---- the targets of issue 6 ----

const find = (rows: Row[], workload: string, test: (r: Row) => boolean): Row | undefined => rows.find((r) => r.workload === workload && r.available && test(r));

function ratioOf(a: Row | undefined, b: Row | undefined): number | null {
  const x = a && rate(a);
  const y = b && rate(b);
  return x !== undefined && y !== undefined && y > 0 ? x / y : null;
}

const f2 = (v: number | null): string => (v === null ? 'n/a' : v.toFixed(2));
const pct = (v: number | undefined): string => (v === undefined ? 'n/a' : `${(v * 100).toFixed(1)}%`);

export function evaluateTargets(rows: Row[], scaling: ScalingRow[]): TargetResult[] {
  const out: TargetResult[] = [];
  const push = (id: string, description: string, value: number | null, met: boolean | null, measured: string): void => {
    out.push({ id, description, value, met: value === null ? null : met, measured });
  };

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
      v !== null && v >= 1 / 3,
      `spinvm/Uint8Array = ${f2(v)} (${v ? (1 / v).toFixed(1) : 'n/a'}× slower); through the address space ${viaAs === null ? 'n/a' : f2(viaAs)}`,
    );
    const w = ratioOf(spin4, mp);
    push('hits-vs-memory-pager', 'resident hits: faster than memory-pager (spinvm/memory-pager > 1)', w, w !== null && w > 1, `spinvm/memory-pager = ${f2(w)}`);
  }

  // Zero-fill faults.
  {
    const warm = find(rows, 'faults', (r) => r.role === 'spinvm' && r.case.includes('warm pool'));
    const cold = find(rows, 'faults', (r) => r.role === 'spinvm' && r.case.includes('cold pool'));
    const kernel = find(rows, 'faults', (r) => r.impl.startsWith('kernel: first write'));
    const v = warm?.nsPerOp ?? null;
    push(
      'zero-fill-faults',
      'zero-fill faults: under 1 µs each',
      v,
      v !== null && v < 1000,
      `${v === null ? 'n/a' : (v / 1000).toFixed(3)} µs mean (p50 ${ns(warm?.p50Ns)}, p99 ${ns(warm?.p99Ns)}); cold pool ${ns(cold?.nsPerOp)}; kernel first touch ${ns(kernel?.nsPerOp)}`,
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
      v !== null && v >= 0.7,
      `best spinvm (${bestSpin?.impl ?? 'none'}) ${gbs(bestSpin)} / readSync ${gbs(readSync)} = ${f2(v)}; ${spin.map((r) => `${r.impl} ${f2(ratioOf(r, readSync))}`).join(', ')}`,
    );
    const mmapUnavailable = rows.find((r) => r.workload === 'scan' && r.impl.startsWith('kernel mmap') && !r.available);
    const w = ratioOf(bestSpin, mmap);
    push(
      'scan-vs-mmap',
      'sequential scan: above the kernel mmap scan in the same run (spinvm/mmap > 1)',
      w,
      w !== null && w > 1,
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
      v !== null && v > 1,
      `spinvm ${mops(spin)} / lru-cache ${mops(lru)} = ${f2(v)}`,
    );
    const policies = rows.filter((r) => r.workload === 'random' && r.case === kase && r.role === 'spinvm' && r.available);
    const h = spin?.hitRatio !== undefined && lru?.hitRatio !== undefined ? spin.hitRatio - lru.hitRatio : null;
    push(
      `random-${kase.replace(' ', '-')}-hit-ratio`,
      `random reads, ${kase}: hit ratio no worse than LRU's`,
      h,
      h !== null && h >= -0.001,
      `spinvm ${pct(spin?.hitRatio)} vs LRU (lru-cache) ${pct(lru?.hitRatio)}; by policy: ${policies.map((r) => `${r.extra?.policy ?? r.impl} ${pct(r.hitRatio)}`).join(', ')}`,
    );
  }

  // Metadata and resident memory.
  {
    const spin = rows.filter((r) => r.role === 'spinvm' && r.available && r.metadataBytesPerFrame !== undefined);
    const byPolicy = new Map<string, number>();
    for (const r of spin) byPolicy.set(String(r.extra?.policy ?? 's3-adaptive'), r.metadataBytesPerFrame!);
    const def = byPolicy.get('s3-adaptive') ?? spin[0]?.metadataBytesPerFrame ?? null;
    push(
      'metadata-per-frame',
      'metadata: at most 32 bytes per frame (default policy)',
      def,
      def !== null && def <= 32,
      `${def ?? 'n/a'} B/frame; by policy: ${[...byPolicy].map(([p, b]) => `${p} ${b}`).join(', ')}`,
    );
    // Judged on the fresh-process probes when they ran; otherwise on every spinvm row's in-process reading.
    const probes = rows.filter((r) => r.workload === 'memory' && r.available && r.rssBytes !== undefined);
    const withRss = probes.length > 0 ? probes : spin.filter((r) => r.rssBytes !== undefined && r.poolBytes !== undefined);
    const over = withRss.map((r) => ({ r, over: r.rssBytes! - r.poolBytes! }));
    const worst = over.reduce<{ r: Row; over: number } | undefined>((w, x) => (!w || x.over > w.over ? x : w), undefined);
    const limit = 32 * 2 ** 20;
    push(
      'rss-within-pool',
      'resident memory within the pool plus a small constant (peak RSS growth ≤ pool + 32 MiB)',
      worst ? worst.over / 2 ** 20 : null,
      worst ? worst.over <= limit : null,
      worst
        ? `worst: ${worst.r.workload} / ${worst.r.impl}${worst.r.note ? ` (${worst.r.note})` : ''}: RSS grew ${mibs(worst.r.rssBytes!)} for a pool of ${mibs(worst.r.poolBytes!)} (${worst.over >= 0 ? '+' : ''}${mibs(worst.over)}); ` +
            over.map((x) => `${x.r.impl} ${x.over >= 0 ? '+' : ''}${mibs(x.over)}`).join(', ')
        : 'n/a',
    );
  }

  // Flat cost per operation.
  for (const s of scaling) {
    const v = s.growth !== null && s.peerGrowth !== null ? s.growth / s.peerGrowth : s.growth;
    push(
      `flat-${s.dimension.replace(/ /g, '-')}`,
      `cost per op flat as ${s.dimension} grow 100× (growth over the plain array's ≤ 1.5)`,
      s.available ? v : null,
      v !== null && v <= 1.5,
      s.available
        ? `spinvm ${s.points.map((p) => ns(p.spinvmNs ?? undefined)).join(' → ')} (×${f2(s.growth)}); ${s.peer} ×${f2(s.peerGrowth)}`
        : (s.note ?? 'n/a'),
    );
  }
  return out;
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
  lines.push('');
  lines.push('targets (issue 6)');
  for (const t of res.targets) {
    const verdict = t.met === null ? 'N/A ' : t.met ? 'MET ' : 'MISS';
    lines.push(`  [${verdict}] ${t.description}`);
    lines.push(`         ${t.measured}`);
  }
  if (res.missingPeers) {
    lines.push('');
    lines.push(res.missingPeers.message);
  }
  return lines.join('\n');
}
