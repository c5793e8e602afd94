import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFrameList, run } from '../../cli/simulate/command.js';
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
    '# Silberschatz\'s reference string, one page per line\n' + '7 0 1 2 0 3 0 4 2 3 0 3 2 1 2 0 1 7 0 1'.split(' ').join('\n') + '\n\n',
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function runCaptured(argv: string[]) {
  let out = '';
  let err = '';
  const code = await run(argv, { out: (s) => (out += s), err: (s) => (err += s) });
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
    const { code, out, err } = await runCaptured(['--policy', 'all', '--frames', '3,4', '--plot', svgPath, tracePath]);
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
    expect(out).toContain(`plot: ${svgPath} (7 lines, frames 1..6)`);
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
    [['--frames', '3', '--bogus'], /Unknown option '--bogus'/],
    [['--frames', '3', '--plot-frames', '1..4'], /--plot-frames needs --plot/],
  ])('rejects %j with a message and exit code 2', async (args, message) => {
    const { code, err } = await runCaptured([...args, tracePath]);
    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(err).toContain('usage: spinvm simulate');
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

  it('prints usage for --help', async () => {
    const { code, out } = await runCaptured(['--help']);
    expect(code).toBe(0);
    expect(out).toContain('usage: spinvm simulate');
  });
});

describe('frame lists and the plot', () => {
  it('parses N, A..B and mixtures', () => {
    expect(parseFrameList('3')).toEqual([3]);
    expect(parseFrameList('4,1..3,3')).toEqual([1, 2, 3, 4]);
    expect(() => parseFrameList('5..2')).toThrow(/empty range/);
    expect(() => parseFrameList('')).toThrow();
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
