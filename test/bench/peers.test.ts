import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS, parseArgs } from '../../bench/options.js';
import { installCommand, LruBufferCache, loadPeers, missingPeersMessage, PEER_PACKAGES, type LruCacheClass } from '../../bench/peers.js';
import { formatResults } from '../../bench/report.js';
import type { BenchResults } from '../../bench/results.js';
import { runSuite } from '../../bench/suite.js';

/**
 * The bench's peers are development dependencies only: installing spinvm never brings them. Where they are
 * missing the bench names them and the command that adds them, and runs the rest. It writes its JSON only
 * where --out says.
 */

const REPO = join(import.meta.dirname, '../..');
const manifest = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
const out = mkdtempSync(join(tmpdir(), 'spinvm-bench-peers-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** PEER_PACKAGES under names no registry has: what a user's project without the peers looks like. */
const ABSENT = {
  memoryPager: { name: 'spinvm-test-absent-memory-pager', range: '^1.5.0' },
  lruCache: { name: 'spinvm-test-absent-lru-cache', range: '^11.5.3' },
  mmap: { name: '@spinvm-test/absent-mmap', range: '^1.4.3', note: 'compiles a native addon with node-gyp' },
};

describe('bench peers', () => {
  it('are devDependencies of spinvm with the ranges the bench names, and nothing a user installs', () => {
    for (const peer of Object.values(PEER_PACKAGES)) {
      expect(manifest.devDependencies?.[peer.name], peer.name).toBe(peer.range);
      for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies', 'bundleDependencies']) {
        expect(manifest[field]?.[peer.name], `${field}: ${peer.name}`).toBeUndefined();
      }
    }
    expect(manifest.optionalDependencies).toBeUndefined();
  });

  it('load here (they are installed with the repository), and say how to install them where they are not', async () => {
    const here = await loadPeers();
    expect(here.memoryPager.ok && here.lruCache.ok).toBe(true);
    expect(here.missing.map((p) => p.name)).not.toContain('memory-pager');

    const absent = await loadPeers(ABSENT);
    expect(absent.missing.map((p) => p.name)).toEqual(Object.values(ABSENT).map((p) => p.name));
    expect(absent.memoryPager).toEqual({ ok: false, reason: 'not installed: npm install --no-save "spinvm-test-absent-memory-pager@^1.5.0"' });
    expect(installCommand(absent.missing)).toBe(
      'npm install --no-save "spinvm-test-absent-memory-pager@^1.5.0" "spinvm-test-absent-lru-cache@^11.5.3" "@spinvm-test/absent-mmap@^1.4.3"',
    );
    const message = missingPeersMessage(absent.missing);
    expect(message).toMatch(/^bench peers not installed: spinvm-test-absent-memory-pager, spinvm-test-absent-lru-cache, @spinvm-test\/absent-mmap/);
    expect(message).toContain('the rest runs');
    expect(message).toContain('@spinvm-test/absent-mmap compiles a native addon');
    expect(message.endsWith(`To measure against them: ${installCommand(absent.missing)}`)).toBe(true);
    expect(missingPeersMessage([])).toBe('');
  });

  it('that are missing leave their rows saying so, and the rest runs', async () => {
    const progress: string[] = [];
    const peers = await loadPeers(ABSENT);
    const { results, file } = await runSuite({ ...parseArgs(['--smoke', '--only', 'hits']).options }, { log: (l) => progress.push(l), peers });
    expect(file).toBeUndefined();
    const row = (impl: string) => results.rows.find((r) => r.workload === 'hits' && r.impl === impl)!;
    expect(row('spinvm getUint(o, 4)').available).toBe(true);
    expect(row('Uint8Array').available).toBe(true);
    expect(row('memory-pager')).toMatchObject({
      available: false,
      note: expect.stringContaining('npm install --no-save "spinvm-test-absent-memory-pager@^1.5.0"'),
    });
    expect(results.missingPeers?.packages).toEqual([
      'spinvm-test-absent-memory-pager@^1.5.0',
      'spinvm-test-absent-lru-cache@^11.5.3',
      '@spinvm-test/absent-mmap@^1.4.3',
    ]);
    expect(progress.some((l) => l.includes('bench peers not installed'))).toBe(true);
    expect(formatResults(results).trimEnd().endsWith(installCommand(peers.missing))).toBe(true);
  }, 60_000);
});

describe('where the bench writes', () => {
  it('nowhere by default', () => {
    expect(DEFAULT_OPTIONS.out).toBeUndefined();
    expect(parseArgs([]).options.out).toBeUndefined();
    expect(parseArgs(['--out', 'r.json', '--no-json']).options.out).toBeUndefined();
  });

  it('to the file --out names, or into the folder it names', async () => {
    const quick = { ...parseArgs(['--smoke', '--only', 'hits']).options };
    const target = join(out, 'deep', 'results.json');
    const one = await runSuite({ ...quick, out: target }, { log: () => {} });
    expect(one.file).toBe(target);
    expect((JSON.parse(readFileSync(target, 'utf8')) as BenchResults).version).toBe(1);

    const folder = join(out, 'folder');
    const two = await runSuite({ ...quick, out: `${folder}/` }, { log: () => {} });
    expect(two.file!.startsWith(folder)).toBe(true);
    expect(readdirSync(folder)).toEqual([two.file!.slice(folder.length + 1)]);
    expect(two.file).toMatch(/-smoke\.json$/);
    const three = await runSuite({ ...quick, out: folder }, { log: () => {} });
    expect(readdirSync(folder)).toHaveLength(2);
    expect(existsSync(three.file!)).toBe(true);
  }, 60_000);
});

describe('the lru-cache buffer cache, written as a careful user would', () => {
  const PS = 512;
  const PAGES = 64;
  const CAPACITY = 8;
  const bytes = new Uint8Array(PAGES * PS);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + (i >>> 9)) & 0xff;

  it('reads every page right while it refills the buffers it evicts: capacity + 1 allocations for any number of misses', async () => {
    const { lruCache } = await loadPeers();
    if (!lruCache.ok) throw new Error(lruCache.reason);
    const path = join(out, 'cache.bin');
    writeFileSync(path, bytes);
    const fd = openSync(path, 'r');
    try {
      const cache = new LruBufferCache(lruCache.value as LruCacheClass, fd, PS, CAPACITY);
      for (let round = 0; round < 3; round++)
        for (let p = 0; p < PAGES; p++)
          expect(cache.page((p * 5) % PAGES).buffer.equals(bytes.subarray(((p * 5) % PAGES) * PS, (((p * 5) % PAGES) + 1) * PS))).toBe(true);
      expect(cache.misses).toBe(3 * PAGES);
      expect(cache.allocations).toBe(CAPACITY + 1);
      // A hit is the same buffer, unread.
      const again = cache.page(((PAGES - 1) * 5) % PAGES);
      expect(cache.hits).toBe(1);
      expect(again.buffer.equals(bytes.subarray((((PAGES - 1) * 5) % PAGES) * PS, ((((PAGES - 1) * 5) % PAGES) + 1) * PS))).toBe(true);
    } finally {
      closeSync(fd);
    }
  });

  it('writes a dirty page back before its buffer is reused, and loses no write', async () => {
    const { lruCache } = await loadPeers();
    if (!lruCache.ok) throw new Error(lruCache.reason);
    const path = join(out, 'write-back.bin');
    writeFileSync(path, new Uint8Array(PAGES * PS));
    const fd = openSync(path, 'r+');
    try {
      const cache = new LruBufferCache(lruCache.value as LruCacheClass, fd, PS, CAPACITY, true);
      for (let p = 0; p < PAGES; p++) {
        const e = cache.page(p);
        expect(e.dirty).toBe(false);
        expect(e.buffer.readUInt32LE(8)).toBe(0);
        e.buffer.writeUInt32LE(p + 1, 8);
        e.dirty = true;
      }
      expect(cache.writes).toBe(PAGES - CAPACITY);
      expect(cache.allocations).toBe(CAPACITY + 1);
      const b = Buffer.alloc(4);
      for (let p = 0; p < PAGES - CAPACITY; p++) {
        readSync(fd, b, 0, 4, p * PS + 8);
        expect(b.readUInt32LE(0), `page ${p}`).toBe(p + 1);
      }
      // The pages still cached read back from the cache, with their writes.
      for (let p = PAGES - CAPACITY; p < PAGES; p++) expect(cache.page(p).buffer.readUInt32LE(8)).toBe(p + 1);
    } finally {
      closeSync(fd);
    }
  });
});

describe('--runs', () => {
  it('runs the workloads N times and reports each target as the median of the runs, with their range', async () => {
    expect(parseArgs([]).options.runs).toBe(1);
    expect(parseArgs(['--runs', '3']).options.runs).toBe(3);
    for (const bad of ['0', '1.5', 'x', '1001', '']) expect(() => parseArgs(['--runs', bad]), bad).toThrow(/--runs must be a whole number/);

    const { results } = await runSuite({ ...parseArgs(['--smoke', '--only', 'hits,policies', '--runs', '3']).options }, { log: () => {} });
    expect(results.runs).toBe(3);
    const hits = results.targets.find((t) => t.id === 'hits-getuint')!;
    expect(hits.spread!.values).toHaveLength(3);
    const sorted = [...hits.spread!.values].sort((a, b) => a - b);
    expect(hits.value).toBe(sorted[1]);
    expect([hits.spread!.min, hits.spread!.max]).toEqual([sorted[0], sorted[2]]);
    expect(hits.met).toBe(hits.value! >= 0.5);
    // Simulated policy figures are the same in every run.
    const policy = results.targets.find((t) => t.id === 'policy-vs-best')!;
    expect(policy.spread!.min).toBe(policy.spread!.max);
    // Targets of workloads that did not run have no figure and no verdict.
    expect(results.targets.find((t) => t.id === 'scan-per-page')).toMatchObject({ value: null, met: null });
    const text = formatResults(results);
    expect(text).toContain('targets (issue 13), the median (min–max) of 3 runs');
    expect(text).toMatch(/\| resident 4-byte hits \(`getUint`\) against a `Uint8Array` \| [0-9.]+ \([0-9.]+–[0-9.]+\) \| ≥ 0\.5 \| (yes|\*\*no\*\*) \|/);
  }, 60_000);
});
