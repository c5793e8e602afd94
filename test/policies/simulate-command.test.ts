import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPlotFrames, parseFrameList, run } from '../../cli/simulate/command.js';
import { generateTrace, TRACE_CLASSES } from '../../cli/simulate/classes.js';
import { Progress } from '../../cli/simulate/progress.js';
import { renderPlot } from '../../cli/simulate/plot.js';
import { simulate } from '../../cli/simulate/simulate.js';
import { parseTrace, TraceError } from '../../cli/simulate/trace.js';
import { BUILTIN_POLICIES } from '../../vmcore/page-queue/policies.js';
import { POLICY_NAMES } from './helpers.js';

let dir: string;
let tracePath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spinvm-simulate-'));
  tracePath = join(dir, 'classic.trace');
  await writeFile(
    tracePath,
    "# Silberschatz's reference string, one page per line\n" + '7 0 1 2 0 3 0 4 2 3 0 3 2 1 2 0 1 7 0 1'.split(' ').join('\n') + '\n\n',
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function runCaptured(argv: string[], errIsTTY = false) {
  let out = '';
  let err = '';
  const code = await run(argv, { out: (s) => (out += s), err: (s) => (err += s), errIsTTY });
  return { code, out, err };
}

/** Tags balance, and the document is one <svg> element. */
function wellFormed(svg: string): boolean {
  const body = svg.trim();
  if (!body.startsWith('<svg') || !body.endsWith('</svg>')) return false;
  const stack: string[] = [];
  for (const m of body.matchAll(/<(\/?)([a-zA-Z][\w-]*)[^>]*?(\/?)>/g)) {
    const [, close, name, selfClose] = m;
    if (selfClose) continue;
    if (close) {
      if (stack.pop() !== name) return false;
    } else stack.push(name!);
  }
  return stack.length === 0 && !/&(?!#\d+;|amp;|lt;|gt;|quot;|apos;)/.test(body);
}

describe('trace parsing', () => {
  it('reads page numbers and object:page references, skipping blanks and comments', () => {
    const t = parseTrace('# header\n7\n\n  3  # trailing comment\nfile.db:7\n7\nfile.db:7 0\n');
    expect(t.labels).toEqual(['7', '3', 'file.db:7', '0']);
    expect([...t.refs]).toEqual([0, 1, 2, 0, 2, 3]);
    expect(t.distinct).toBe(4);
  });

  it('names the line of a bad reference', () => {
    expect(() => parseTrace('1\n2\nseven\n', 'x.trace')).toThrow(TraceError);
    expect(() => parseTrace('1\n2\nseven\n', 'x.trace')).toThrow(/^x\.trace:3: 'seven' is not a page reference/);
    expect(() => parseTrace('1\n-4\n')).toThrow(/:2:/);
    expect(() => parseTrace('1\n\n# c\nobj:1.5\n')).toThrow(/:4:/);
    expect(() => parseTrace('a b:1\n')).toThrow(/:1:/);
    expect(() => parseTrace(':3\n')).toThrow(/:1: bad object name/);
  });
});

describe('simulate()', () => {
  it('reports references, faults and the miss ratio', () => {
    const t = parseTrace('1 2 3 4 1 2 5 1 2 3 4 5');
    expect(simulate(t, BUILTIN_POLICIES.fifo!, 3)).toEqual({ policy: 'fifo', frames: 3, references: 12, faults: 9, missRatio: 0.75 });
    expect(simulate(t, BUILTIN_POLICIES.fifo!, 4).faults).toBe(10);
    expect(() => simulate(t, BUILTIN_POLICIES.fifo!, 0)).toThrow(RangeError);
  });
});

describe('spinvm simulate', () => {
  it('prints the table with the gap to MIN and writes a well-formed SVG with one path per policy and MIN', async () => {
    const svgPath = join(dir, 'out.svg');
    const { code, out, err } = await runCaptured(['--policy', 'all', '--frames', '3,4', '--plot', svgPath, '--plot-frames', '1..6', tracePath]);
    expect(err).toBe('');
    expect(code).toBe(0);
    const row = (policy: string, frames: number) => out.split('\n').find((l) => l.startsWith(policy + ' ') && l.split(/\s+/)[1] === String(frames));
    expect(out).toContain('20 references, 6 distinct pages');
    expect(row('fifo', 3)).toMatch(/^fifo\s+3\s+15\s+0\.7500\s+\+6 \(\+30\.00 pp\)$/);
    expect(row('lru', 3)).toMatch(/^lru\s+3\s+12\s+0\.6000\s+\+3 \(\+15\.00 pp\)$/);
    expect(row('MIN', 3)).toMatch(/^MIN\s+3\s+9\s+0\.4500\s+-$/);
    expect(row('fifo', 4)).toMatch(/^fifo\s+4\s+10\s+0\.5000/);
    for (const name of POLICY_NAMES) expect(row(name, 3)).toBeDefined();

    const svg = await readFile(svgPath, 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(wellFormed(svg)).toBe(true);
    expect(svg.match(/<path\b/g)).toHaveLength(POLICY_NAMES.length + 1);
    for (const name of [...POLICY_NAMES, 'min']) expect(svg).toContain(`data-policy="${name}"`);
    expect(svg).toContain('MIN (Belady)');
    expect(svg).toContain('miss ratio');
    expect(out).toContain(`plot: ${svgPath} (${POLICY_NAMES.length + 1} lines, frames 1..6)`);
  });

  it('runs a single policy and honours --plot-frames', async () => {
    const svgPath = join(dir, 'lru.svg');
    const { code, out } = await runCaptured(['--policy', 'lru', '--frames', '3', '--plot', svgPath, '--plot-frames', '1..10', tracePath]);
    expect(code).toBe(0);
    expect(out).not.toMatch(/^fifo/m);
    expect(out).toMatch(/^lru\s+3\s+12\s/m);
    const svg = await readFile(svgPath, 'utf8');
    expect(svg.match(/<path\b/g)).toHaveLength(2);
    // 10 points on the lru line.
    const d = /data-policy="lru" d="([^"]*)"/.exec(svg)![1]!;
    expect(d.split(/[ML]/).filter(Boolean)).toHaveLength(10);
  });

  it.each([
    [['--policy', 'nope', '--frames', '3'], /unknown policy 'nope'/],
    [['--frames', '0'], /--frames: '0' is not a positive integer/],
    [['--frames', '2.5'], /--frames: '2.5' is not a positive integer/],
    [['--frames', 'abc'], /--frames: 'abc'/],
    [['--frames', '-3'], /--frames/],
    [[], /--frames is required/],
    [['--frames', '3', '--bogus'], /unknown option '--bogus'/],
    [['--fames', '3'], /unknown option '--fames' \(did you mean --frames\?\)/],
    [['--frames', '3', '--polcy', 'lru'], /did you mean --policy\?/],
    [['--frames', '3', '--plot-frame', '1..3'], /did you mean --plot-frames\?/],
    [['--frames', '3', '--progress=yes'], /does not take an argument/],
    [['--frames', '3', '--plot-frames', '1..4'], /--plot-frames needs --plot/],
  ])('rejects %j with a message and exit code 2', async (args, message) => {
    const { code, err } = await runCaptured([...args, tracePath]);
    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(err).toContain('usage: spinvm simulate');
  });

  it('rejects an option without its value', async () => {
    const { code, err } = await runCaptured([tracePath, '--frames']);
    expect(code).toBe(2);
    expect(err).toMatch(/^spinvm simulate: option '-f, --frames <value>' argument missing\n\nusage: spinvm simulate/);
  });

  it('rejects a missing trace file with exit code 2', async () => {
    const { code, err } = await runCaptured(['--frames', '3', join(dir, 'no-such.trace')]);
    expect(code).toBe(2);
    expect(err).toMatch(/cannot read trace '.*no-such\.trace': no such file/);
    expect((await runCaptured(['--frames', '3'])).code).toBe(2);
  });

  it('reports a malformed trace by line with exit code 1', async () => {
    const bad = join(dir, 'bad.trace');
    await writeFile(bad, '1\n2\n# fine\nthree\n');
    const { code, err } = await runCaptured(['--frames', '3', bad]);
    expect(code).toBe(1);
    expect(err).toContain(`${bad}:4: 'three' is not a page reference`);
  });

  it('prints usage for --help and -h, on stdout', async () => {
    for (const flag of ['--help', '-h']) {
      const { code, out, err } = await runCaptured([flag]);
      expect(code).toBe(0);
      expect(out).toContain('usage: spinvm simulate');
      expect(out).toContain('--progress');
      expect(err).toBe('');
    }
  });

  it('draws the chart over the frame counts of --frames when --plot-frames is not given', async () => {
    const svgPath = join(dir, 'follows.svg');
    const { code, out } = await runCaptured(['--policy', 'lru', '--frames', '2..5', '--plot', svgPath, tracePath]);
    expect(code).toBe(0);
    expect(out).toContain(`plot: ${svgPath} (2 lines, frames 2..5)`);
    const d = /data-policy="lru" d="([^"]*)"/.exec(await readFile(svgPath, 'utf8'))![1]!;
    expect(d.split(/[ML]/).filter(Boolean)).toHaveLength(4);
    // One count: from 1 up to it. None: 1 to the trace's distinct pages.
    expect((await runCaptured(['--policy', 'lru', '--frames', '4', '--plot', svgPath, tracePath])).out).toContain('frames 1..4)');
    expect((await runCaptured(['--policy', 'lru', '--plot', svgPath, tracePath])).out).toContain('frames 1..6)');
  });

  it('shows progress on stderr with --progress, or on a terminal, and never otherwise', async () => {
    const svgPath = join(dir, 'progress.svg');
    const quiet = await runCaptured(['--frames', '3', '--plot', svgPath, tracePath]);
    expect(quiet.err).toBe('');
    const asked = await runCaptured(['--frames', '3', '--plot', svgPath, '--progress', tracePath]);
    expect(asked.code).toBe(0);
    // A series per policy and MIN at frames 1..3 (the chart follows --frames); the table's 3 frames are among them and run once.
    const runs = (POLICY_NAMES.length + 1) * 3;
    expect(asked.err).toMatch(new RegExp(`^spinvm simulate: 100% \\(${runs}/${runs} runs, [0-9.]+ s\\) done\n$`));
    expect(asked.out).toBe(quiet.out);
    // On a terminal a short run prints nothing (the line shows after 300 ms and is cleared at the end).
    expect((await runCaptured(['--frames', '3', tracePath], true)).err).toBe('');
  });
});

describe('progress', () => {
  it('redraws one line on a terminal once the work is slow, and clears it at the end', () => {
    let t = 0;
    let text = '';
    const p = new Progress(4, (s) => (text += s), { tty: true, now: () => t });
    p.step('a');
    expect(text).toBe('');
    t = 500;
    p.step('lru, 8 frames');
    expect(text).toBe('\r\x1b[Kspinvm simulate:  50% (2/4 runs, 0.5 s) lru, 8 frames');
    t = 550;
    p.step('c');
    expect(text).not.toContain('c');
    t = 900;
    p.step('d');
    p.finish();
    expect(text.endsWith('\r\x1b[K')).toBe(true);
  });

  it('writes a line a second elsewhere, and one at the end', () => {
    let t = 0;
    const lines: string[] = [];
    const p = new Progress(3, (s) => lines.push(s), { tty: false, now: () => t });
    p.step();
    t = 1500;
    p.step('x');
    t = 1600;
    p.step();
    p.finish();
    expect(lines).toEqual(['spinvm simulate:  66% (2/3 runs, 1.5 s) x\n', 'spinvm simulate: 100% (3/3 runs, 1.6 s) done\n']);
  });
});

describe('frame lists and the plot', () => {
  it('parses N, A..B and mixtures', () => {
    expect(parseFrameList('3')).toEqual([3]);
    expect(parseFrameList('4,1..3,3')).toEqual([1, 2, 3, 4]);
    expect(() => parseFrameList('5..2')).toThrow(/empty range/);
    expect(() => parseFrameList('')).toThrow();
  });

  it('spreads a long --frames range over at most 256 points, keeping every count it names', () => {
    expect(defaultPlotFrames([16, 32, 64], 1000)).toEqual(Array.from({ length: 49 }, (_, i) => 16 + i));
    const xs = defaultPlotFrames([10, 777, 5000], 10);
    expect(xs.length).toBeLessThanOrEqual(259);
    expect(xs[0]).toBe(10);
    expect(xs.at(-1)).toBe(5000);
    expect(xs).toContain(777);
    expect(defaultPlotFrames([], 1000)).toEqual(Array.from({ length: 64 }, (_, i) => i + 1));
  });

  it('tells overlapping series apart: a dash pattern, a marker shape and a legend entry each', () => {
    const points = [1, 2, 3, 4].map((frames) => ({ frames, missRatio: 1 / frames }));
    const svg = renderPlot([
      { name: 'lru', points },
      { name: 'clock', points },
      { name: 'fifo', points: points.map((p) => ({ ...p, missRatio: p.missRatio / 2 })) },
      { name: 'min', points: points.map((p) => ({ ...p, missRatio: p.missRatio / 4 })) },
    ]);
    expect(wellFormed(svg)).toBe(true);
    expect(svg.match(/<path\b/g)).toHaveLength(4);
    const dashes = [...svg.matchAll(/<path class="series"[^>]*?(?:stroke-dasharray="([^"]*)")?\/>/g)].map((m) => m[1] ?? 'solid');
    expect(new Set(dashes).size).toBe(4);
    const markers = [...svg.matchAll(/<g class="markers" data-policy="([^"]+)" data-marker="([^"]+)">/g)].map((m) => m[2]);
    expect(markers).toHaveLength(4);
    expect(new Set(markers).size).toBe(4);
    // Every point of each line carries its marker (4 points, 4 series): circles, rects or polygons, no <path>.
    const groups = svg
      .split('<g class="markers"')
      .slice(1)
      .map((g) => g.slice(0, g.indexOf('</g>')));
    for (const g of groups) expect(g.match(/<(circle|rect|polygon)\b/g)).toHaveLength(4);
    // The legend shows each line's dash and marker, and says which lines coincide.
    expect(svg).toContain('>clock (= lru)</text>');
    expect(svg).toContain('>lru</text>');
    expect(svg).toContain('>MIN (Belady)</text>');
  });

  it('puts at most a dozen markers on a long line, shifted from series to series', () => {
    const long = Array.from({ length: 200 }, (_, i) => ({ frames: i + 1, missRatio: 1 / (i + 1) }));
    const svg = renderPlot([
      { name: 'a', points: long },
      { name: 'b', points: long },
    ]);
    const groups = svg
      .split('<g class="markers"')
      .slice(1)
      .map((g) => g.slice(0, g.indexOf('</g>')));
    const xs = groups.map((g) =>
      [...g.matchAll(/<polygon points="([0-9.]+),|<rect x="([0-9.]+)"|<circle cx="([0-9.]+)"/g)].map((m) => Number(m[1] ?? m[2] ?? m[3])),
    );
    for (const x of xs) {
      expect(x.length).toBeGreaterThan(5);
      expect(x.length).toBeLessThanOrEqual(12);
    }
    expect(xs[0]![1]).not.toBe(xs[1]![1]);
  });

  it('escapes names and survives empty and single-point series', () => {
    const svg = renderPlot([
      { name: '<odd & "name">', points: [{ frames: 2, missRatio: 0.5 }] },
      { name: 'empty', points: [] },
    ]);
    expect(wellFormed(svg)).toBe(true);
    expect(svg).not.toContain('<odd');
    expect(svg.match(/<path\b/g)).toHaveLength(2);
  });
});

describe('spinvm simulate --class: generated traces', () => {
  it('the same seed gives the same table, another seed another', async () => {
    const args = ['--class', 'zipf', '--frames', '20', '--length', '5000'];
    const a = await runCaptured([...args, '--seed', '7']);
    const b = await runCaptured([...args, '--seed', '7']);
    const c = await runCaptured([...args, '--seed', '8']);
    expect(a.code, a.err).toBe(0);
    expect(a.out).toBe(b.out);
    expect(a.out).not.toBe(c.out);
    expect(a.out).toContain('trace class zipf (seed 7, pool 20): 5000 references');
  });

  it('all classes, one table each, every policy and MIN', async () => {
    const r = await runCaptured(['--class', 'all', '--frames', '16', '--length', '4000']);
    expect(r.code, r.err).toBe(0);
    for (const name of Object.keys(TRACE_CLASSES)) expect(r.out).toContain(`trace class ${name} (seed 1, pool 16)`);
    expect(r.out.match(/^MIN /gm)).toHaveLength(Object.keys(TRACE_CLASSES).length);
  });

  it('each class has the shape its name promises', () => {
    const pool = 50;
    const loop = generateTrace('loop', pool, 1000, 1);
    expect(loop.distinct).toBe(55);
    expect(Array.from(loop.refs.slice(0, 60))).toEqual([...Array.from({ length: 55 }, (_, i) => i), 0, 1, 2, 3, 4]);
    // A loop just above the pool defeats LRU entirely; MIN keeps most of it.
    expect(simulate(loop, BUILTIN_POLICIES.lru!, pool).faults).toBe(1000);
    const oneHit = generateTrace('one-hit', pool, 10_000, 1);
    expect(oneHit.distinct).toBeGreaterThan(4000);
    const phase = generateTrace('phase', pool, 8000, 1);
    expect(phase.distinct).toBeLessThanOrEqual(4 * 2 * pool);
    const labels = (t: typeof phase, from: number, to: number) => new Set(Array.from(t.refs.slice(from, to), (id) => t.labels[id]));
    const first = labels(phase, 0, 2000);
    for (const page of labels(phase, 2000, 4000)) expect(first.has(page)).toBe(false);
    const scan = generateTrace('scan-zipf', pool, 7 * pool, 1);
    expect(new Set(Array.from(scan.refs.slice(5 * pool))).size).toBe(2 * pool);
    const uniform = generateTrace('uniform', pool, 10_000, 1);
    expect(uniform.distinct).toBe(2 * pool);
    expect(Math.max(...uniform.labels.map(Number))).toBe(2 * pool - 1);
    // Sequential: the array walked in order, each page 1 to 4 times in a row, between references to the working set.
    const seq = generateTrace('sequential', pool, 4000, 1);
    const pages = Array.from(seq.refs, (id) => Number(seq.labels[id]));
    const walk = pages.filter((_, i) => i % 2 === 0);
    const set = pages.filter((_, i) => i % 2 === 1);
    expect(walk[0]).toBe(0);
    for (let i = 1; i < walk.length; i++) expect(walk[i]! - walk[i - 1]!).toBeOneOf([0, 1, 1 - 3 * pool]);
    let run = 1;
    for (let i = 1; i < walk.length; i++) {
      run = walk[i] === walk[i - 1] ? run + 1 : 1;
      expect(run).toBeLessThanOrEqual(4);
    }
    expect(new Set(set).size).toBe(pool / 2);
    for (const p of set) expect(p).toBeGreaterThanOrEqual(3 * pool);
    // Recency: the LRU stack model, on which LRU beats every other policy.
    const recency = generateTrace('recency', pool, 10_000, 1);
    const lru = simulate(recency, BUILTIN_POLICIES.lru!, pool).faults;
    for (const make of Object.values(BUILTIN_POLICIES)) expect(simulate(recency, make, pool).faults).toBeGreaterThanOrEqual(lru);
  });

  it('--write-trace writes a trace that replays to the same table', async () => {
    const path = join(dir, 'phase.trace');
    const made = await runCaptured(['--class', 'phase', '--frames', '10', '--length', '3000', '--seed', '3', '--write-trace', path]);
    expect(made.code, made.err).toBe(0);
    const replayed = await runCaptured(['--frames', '10', path]);
    expect(replayed.code, replayed.err).toBe(0);
    const table = (out: string) => out.slice(out.indexOf('\n') + 1);
    expect(table(replayed.out)).toBe(table(made.out));
    expect(await readFile(path, 'utf8')).toMatch(/^# spinvm simulate --class phase --seed 3 --length 3000 --pool 10\n/);
  });

  it.each([
    [['--class', 'nope', '--frames', '4'], /unknown trace class 'nope'/],
    [['--class', 'zipf', '--frames', '4', 'some.trace'], /no trace file as well/],
    [['--seed', '3', '--frames', '4', 'x.trace'], /--seed needs --class/],
    [['--class', 'zipf,loop', '--frames', '4', '--write-trace', '/tmp/x'], /one --class/],
    [['--class', 'zipf,loop', '--frames', '4', '--plot', '/tmp/x.svg'], /one --class/],
    [['--class', 'zipf', '--frames', '4', '--length', '0'], /--length: '0'/],
    [['--class', 'zipf', '--frames', '4', '--length', '1.5'], /--length: '1.5'/],
    [['--class', 'zipf', '--frames', '4', '--seed=-1'], /--seed: '-1'/],
    [['--class', 'zipf', '--frames', '4', '--pool', '1e9'], /--pool: '1e9'/],
    [['--class', 'zipf', '--plot-frames', '2', '--plot', '/tmp/x.svg'], /--pool or --frames/],
  ])('refuses %j', async (argv, message) => {
    const r = await runCaptured(argv as string[]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.out).toBe('');
  });
});
