import { parseCommand, processIo, usageError, type CommandIo } from '../args.js';
import { writeFile } from 'node:fs/promises';
import { BUILTIN_POLICIES } from '../../vmcore/index.js';
import { belady } from './belady.js';
import { renderPlot, type PlotSeries } from './plot.js';
import { generateTrace, isTraceClass, TRACE_CLASSES, type TraceClass } from './classes.js';
import { Progress } from './progress.js';
import { simulate, type SimulationResult } from './simulate.js';
import { readTrace, TraceError, type Trace } from './trace.js';

/** The most frame counts a chart is drawn over when they are not listed with --plot-frames. */
const MAX_PLOT_POINTS = 256;

const USAGE = `usage: spinvm simulate [--policy NAME[,NAME...]|all] --frames N[,N...] [--plot OUT.svg] [--plot-frames A..B] [--progress] TRACE
       spinvm simulate --class NAME[,NAME...]|all [--seed N] [--length N] [--pool N] [--write-trace FILE] --frames N[,N...] ...

Replays a page-reference trace (one page number or OBJECT:PAGE per line; # comments) against replacement
policies and Belady's MIN, and prints faults and miss ratios. With --class, the traces are generated from a
seed instead, one table per class, so anyone can reproduce a policy comparison.

  -p, --policy NAMES  policies to run, comma-separated, or 'all' (default). Known: ${Object.keys(BUILTIN_POLICIES).join(', ')}
  -f, --frames LIST   frame counts for the table: N, A..B or a comma-separated mix (required unless --plot)
  --plot OUT.svg      also write an SVG chart of miss ratio against frames for each policy and MIN
  --plot-frames LIST  frame counts for the chart (default: every count from the least to the most of
                      --frames, or from 1 when it names one; without --frames, 1 to the trace's distinct
                      pages, at most 64; at most ${MAX_PLOT_POINTS} points, spread evenly)
  --progress          report progress on stderr (the default when stderr is a terminal)
  -c, --class NAMES   generated traces instead of a file, comma-separated, or 'all': ${Object.keys(TRACE_CLASSES).join(', ')}
  --seed N            seed of the generated traces (default 1)
  --length N          references in each generated trace (default 200000)
  --pool N            the frame count the generated traces are shaped for (default the least of --frames)
  --write-trace FILE  also write the generated trace to FILE (one class only), to replay it later as TRACE
  -h, --help          this text
`;

/** Where the command writes (and whether `err` is a terminal, where progress shows unasked). */
export type SimulateIo = CommandIo;

class UsageError extends Error {}

/** `spinvm simulate ...`: 0 on success, 2 for bad arguments or a missing file, 1 for a malformed trace. */
export async function run(argv: string[], io: SimulateIo = processIo): Promise<number> {
  const parsed = parseCommand<{
    policy?: string;
    frames?: string;
    plot?: string;
    'plot-frames'?: string;
    progress?: boolean;
    class?: string;
    seed?: string;
    length?: string;
    pool?: string;
    'write-trace'?: string;
  }>(
    'simulate',
    USAGE,
    argv,
    {
      policy: { type: 'string', short: 'p' },
      frames: { type: 'string', short: 'f' },
      plot: { type: 'string' },
      'plot-frames': { type: 'string' },
      progress: { type: 'boolean' },
      class: { type: 'string', short: 'c' },
      seed: { type: 'string' },
      length: { type: 'string' },
      pool: { type: 'string' },
      'write-trace': { type: 'string' },
    },
    io,
  );
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;

  let policies: string[];
  let frames: number[];
  let plotFrames: number[] | undefined;
  let classes: TraceClass[] = [];
  let generator = { seed: 1, length: 200_000, pool: 0 };
  try {
    if (values.class !== undefined) {
      if (positionals.length > 0) throw new UsageError(`--class generates its traces: no trace file as well (got ${positionals.join(' ')})`);
      classes = parseClasses(values.class);
      generator = {
        seed: values.seed === undefined ? 1 : parseCount(values.seed, '--seed', 0),
        length: values.length === undefined ? 200_000 : parseCount(values.length, '--length', 1),
        pool: values.pool === undefined ? 0 : parseCount(values.pool, '--pool', 1),
      };
      if (values['write-trace'] !== undefined && classes.length !== 1) throw new UsageError('--write-trace writes one trace: name one --class');
      if (values.plot !== undefined && classes.length !== 1) throw new UsageError('--plot draws one trace: name one --class');
    } else {
      for (const option of ['seed', 'length', 'pool', 'write-trace'] as const) {
        if (values[option] !== undefined) throw new UsageError(`--${option} needs --class`);
      }
      if (positionals.length !== 1) {
        throw new UsageError(positionals.length === 0 ? 'no trace file given' : `one trace file expected, got ${positionals.length}: ${positionals.join(' ')}`);
      }
    }
    policies = parsePolicies(values.policy ?? 'all');
    if (values.frames === undefined && values.plot === undefined) throw new UsageError('--frames is required');
    frames = values.frames === undefined ? [] : parseFrameList(values.frames, '--frames');
    if (classes.length > 0 && generator.pool === 0) {
      if (frames.length === 0) throw new UsageError('--class needs --pool or --frames to size its traces');
      generator.pool = frames[0]!;
    }
    if (values['plot-frames'] !== undefined) {
      if (values.plot === undefined) throw new UsageError('--plot-frames needs --plot');
      plotFrames = parseFrameList(values['plot-frames'], '--plot-frames');
    }
  } catch (err) {
    if (err instanceof UsageError) return usage(io, err.message);
    throw err;
  }

  if (classes.length > 0) {
    const { seed, length, pool } = generator;
    for (const name of classes) {
      const label = `class ${name} (seed ${seed}, pool ${pool})`;
      const trace = generateTrace(name, pool, length, seed);
      if (values['write-trace'] !== undefined) {
        const header = `# spinvm simulate --class ${name} --seed ${seed} --length ${length} --pool ${pool}\n`;
        try {
          await writeFile(values['write-trace'], header + Array.from(trace.refs, (id) => trace.labels[id]).join('\n') + '\n');
        } catch (err) {
          io.err(`spinvm simulate: cannot write trace '${values['write-trace']}': ${(err as Error).message}\n`);
          return 1;
        }
      }
      const code = await report(label, trace, policies, frames, plotFrames, values, io);
      if (code !== 0) return code;
    }
    return 0;
  }

  const path = positionals[0]!;
  let trace: Trace;
  try {
    trace = await readTrace(path);
  } catch (err) {
    if (err instanceof TraceError) {
      io.err(`spinvm simulate: ${err.message}\n`);
      return 1;
    }
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'EACCES') {
      io.err(`spinvm simulate: cannot read trace '${path}': ${code === 'ENOENT' ? 'no such file' : code}\n`);
      return 2;
    }
    throw err;
  }
  return report(path, trace, policies, frames, plotFrames, values, io);
}

/** Runs the policies and MIN over one trace; prints its table and writes its chart when asked. */
async function report(
  path: string,
  trace: Trace,
  policies: string[],
  frames: number[],
  plotFrames: number[] | undefined,
  values: { plot?: string; progress?: boolean },
  io: CommandIo,
): Promise<number> {
  const xs = values.plot === undefined ? [] : (plotFrames ?? defaultPlotFrames(frames, trace.distinct));
  // Every (policy, frames) pair is run once, for the table and the chart alike.
  const names = [...policies, 'min'];
  const pairs = new Set<string>();
  for (const n of [...frames, ...xs]) for (const name of names) pairs.add(`${name}@${n}`);
  const tty = io.errIsTTY === true;
  const progress = values.progress || tty ? new Progress(pairs.size, (text) => io.err(text), { tty }) : undefined;
  const results = new Map<string, SimulationResult>();
  const result = (name: string, n: number): SimulationResult => {
    const key = `${name}@${n}`;
    let r = results.get(key);
    if (r === undefined) {
      r = name === 'min' ? belady(trace, n) : simulate(trace, BUILTIN_POLICIES[name]!, n);
      results.set(key, r);
      progress?.step(`${name}, ${n} frames`);
    }
    return r;
  };

  let table = '';
  const series: PlotSeries[] = [];
  try {
    if (frames.length > 0) table = formatTable(path, trace, policies, frames, result);
    for (const name of names) series.push({ name, points: xs.map((n) => result(name, n)) });
  } finally {
    progress?.finish();
  }
  io.out(table);

  if (values.plot !== undefined) {
    const svg = renderPlot(series, { title: `miss ratio, ${basename(path)} (${trace.refs.length} references)` });
    try {
      await writeFile(values.plot, svg);
    } catch (err) {
      io.err(`spinvm simulate: cannot write plot '${values.plot}': ${(err as Error).message}\n`);
      return 1;
    }
    const span = xs.length === 1 ? `frames ${xs[0]}` : `frames ${xs[0]}..${xs[xs.length - 1]}`;
    io.out(`plot: ${values.plot} (${series.length} lines, ${span}${xs.length !== xs[xs.length - 1]! - xs[0]! + 1 ? `, ${xs.length} points` : ''})\n`);
  }
  return 0;
}

/**
 * The chart's frame counts when --plot-frames does not list them: from the least to the most of --frames
 * (from 1 when it names one count), else 1 to the trace's distinct pages (at most 64); every count when there
 * are at most MAX_PLOT_POINTS of them, else that many spread evenly, with every count --frames names.
 */
export function defaultPlotFrames(frames: readonly number[], distinct: number): number[] {
  const lo = frames.length > 1 ? frames[0]! : 1;
  const hi = frames.length > 0 ? frames[frames.length - 1]! : Math.max(1, Math.min(64, distinct));
  if (hi - lo + 1 <= MAX_PLOT_POINTS) return range(lo, hi);
  const out = new Set<number>(frames);
  for (let i = 0; i < MAX_PLOT_POINTS; i++) out.add(Math.round(lo + ((hi - lo) * i) / (MAX_PLOT_POINTS - 1)));
  return [...out].sort((a, b) => a - b);
}

function usage(io: CommandIo, message: string): number {
  return usageError('simulate', USAGE, io, message);
}

function parseClasses(spec: string): TraceClass[] {
  if (spec === 'all') return Object.keys(TRACE_CLASSES) as TraceClass[];
  const names = spec.split(',').map((s) => s.trim());
  for (const name of names) {
    if (!isTraceClass(name)) throw new UsageError(`unknown trace class '${name}' (known: ${Object.keys(TRACE_CLASSES).join(', ')}, or all)`);
  }
  return [...new Set(names)] as TraceClass[];
}

/** A whole number from `least` up, at most 10^8 (a trace longer than that is a typo). */
function parseCount(text: string, option: string, least: number): number {
  const n = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < least || n > 1e8) throw new UsageError(`${option}: '${text}' is not a whole number from ${least} to 100000000`);
  return n;
}

function parsePolicies(spec: string): string[] {
  if (spec === 'all') return Object.keys(BUILTIN_POLICIES);
  const names = spec.split(',').map((s) => s.trim());
  for (const name of names) {
    if (!Object.hasOwn(BUILTIN_POLICIES, name)) {
      throw new UsageError(`unknown policy '${name}' (known: ${Object.keys(BUILTIN_POLICIES).join(', ')}, or all)`);
    }
  }
  return [...new Set(names)];
}

const POSITIVE = /^[1-9][0-9]*$/;

/** `N`, `A..B` or a comma-separated mix of them, each a positive integer; sorted, without repeats. */
export function parseFrameList(spec: string, option = '--frames'): number[] {
  const out = new Set<number>();
  const bad = (part: string): UsageError => new UsageError(`${option}: '${part}' is not a positive integer or a range A..B of them`);
  for (const raw of spec.split(',')) {
    const part = raw.trim();
    const dots = part.indexOf('..');
    if (dots >= 0) {
      const a = part.slice(0, dots);
      const b = part.slice(dots + 2);
      if (!POSITIVE.test(a) || !POSITIVE.test(b)) throw bad(part);
      const lo = Number(a);
      const hi = Number(b);
      if (hi < lo) throw new UsageError(`${option}: empty range '${part}'`);
      if (hi - lo > 100_000) throw new UsageError(`${option}: range '${part}' is too long`);
      for (let n = lo; n <= hi; n++) out.add(n);
    } else {
      if (!POSITIVE.test(part) || !Number.isSafeInteger(Number(part))) throw bad(part);
      out.add(Number(part));
    }
  }
  return [...out].sort((x, y) => x - y);
}

function formatTable(path: string, trace: Trace, policies: string[], frames: number[], result: (name: string, n: number) => SimulationResult): string {
  const rows: string[][] = [['policy', 'frames', 'faults', 'miss ratio', 'gap to MIN']];
  for (const n of frames) {
    const min = result('min', n);
    for (const r of policies.map((name) => result(name, n))) {
      const gap = r.faults - min.faults;
      const pp = (r.missRatio - min.missRatio) * 100;
      rows.push([r.policy, String(n), String(r.faults), r.missRatio.toFixed(4), `+${gap} (+${pp.toFixed(2)} pp)`]);
    }
    rows.push(['MIN', String(n), String(min.faults), min.missRatio.toFixed(4), '-']);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const lines = rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  return `trace ${path}: ${trace.refs.length} references, ${trace.distinct} distinct pages\n${lines.join('\n')}\n`;
}

function range(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let n = lo; n <= hi; n++) out.push(n);
  return out;
}

function basename(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return i >= 0 ? path.slice(i + 1) : path;
}
