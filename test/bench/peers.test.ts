import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS, parseArgs } from '../../bench/options.js';
import { installCommand, loadPeers, missingPeersMessage, PEER_PACKAGES } from '../../bench/peers.js';
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
