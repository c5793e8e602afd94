import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mapFile, useDefaultPager } from '../../pagers/index.js';
import { createVm } from '../../vmcore/index.js';
import type { Context } from '../context.js';
import { gc, now, rss } from '../measure.js';

/** What one probe reports: the resident set before the instance was made, at its peak and at the end. */
export interface ProbeResult {
  scenario: string;
  baseline: number;
  peak: number;
  end: number;
  pool: number;
  seconds: number;
  ops: number;
  metadataBytesPerFrame: number;
}

export interface ProbeArgs {
  scenario: 'file-scan' | 'swap-writes';
  pageSize: number;
  frames: number;
  path?: string;
  directory?: string;
}

/**
 * The process's resident memory against the pool: in a fresh process (so nothing the other workloads left
 * behind counts), an instance with the file workloads' pool scans the test file (four times the pool)
 * through the file pager, or writes every page of an anonymous object four times the pool through the
 * default pager. RSS is read after a collection before the instance is made, every 1024 pages, and at the
 * end. From the compiled bench this runs `node dist/bench/workloads/memory.js`; from the TypeScript
 * sources (the tests) it runs in this process and says so.
 */
export async function memory(ctx: Context): Promise<void> {
  const W = 'memory';
  const { pageSize: ps, filePool } = ctx.sizes;
  const poolBytes = filePool * ps;
  const scenarios: Array<{ scenario: ProbeArgs['scenario']; impl: string }> = [
    { scenario: 'file-scan', impl: 'spinvm file pager, scan of 4× the pool' },
    { scenario: 'swap-writes', impl: 'spinvm default pager, writes to 4× the pool' },
  ];
  const C = `resident memory against a pool of ${poolBytes / 2 ** 20} MiB`;
  ctx.progress(`memory: ${C}`);
  const self = fileURLToPath(import.meta.url);
  const fresh = self.endsWith('.js');
  for (const s of scenarios) {
    const args: ProbeArgs = { scenario: s.scenario, pageSize: ps, frames: filePool };
    if (s.scenario === 'file-scan') args.path = ctx.testFile().path;
    else {
      args.directory = join(ctx.tmp, 'probe-swap');
      mkdirSync(args.directory, { recursive: true });
    }
    const r = fresh ? await spawnProbe(self, args) : await probe(args);
    ctx.add({
      workload: W,
      case: C,
      impl: s.impl,
      role: 'spinvm',
      available: true,
      ops: r.ops,
      seconds: r.seconds,
      frames: filePool,
      poolBytes,
      rssBytes: r.peak - r.baseline,
      metadataBytesPerFrame: r.metadataBytesPerFrame,
      note: fresh ? 'fresh process' : 'in this process (run from sources)',
      extra: {
        baselineMiB: +(r.baseline / 2 ** 20).toFixed(1),
        peakOverPoolMiB: +((r.peak - r.baseline - poolBytes) / 2 ** 20).toFixed(1),
        endOverPoolMiB: +((r.end - r.baseline - poolBytes) / 2 ** 20).toFixed(1),
      },
    });
  }
}

function spawnProbe(script: string, args: ProbeArgs): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [script, JSON.stringify(args)], { maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`the memory probe failed: ${stderr || err.message}`));
      try {
        resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as ProbeResult);
      } catch (e) {
        reject(new Error(`the memory probe answered no result: ${stdout}${stderr}`));
      }
    });
  });
}

/** Runs one scenario in this process. */
export async function probe(args: ProbeArgs): Promise<ProbeResult> {
  const { pageSize: ps, frames } = args;
  gc();
  await new Promise<void>((r) => setImmediate(r));
  gc();
  const baseline = rss();
  let peak = baseline;
  const sample = (): void => {
    const v = rss();
    if (v > peak) peak = v;
  };
  const vm = createVm({ pageSize: ps, frames });
  const t0 = now();
  let ops = 0;
  if (args.scenario === 'file-scan') {
    const mapped = await mapFile(vm, args.path!);
    const obj = mapped.object;
    for (let p = 0; p < obj.pageCount; p++, ops++) {
      const pending = obj.request(p, 'read');
      if (pending !== undefined) await pending;
      obj.getUint(p * ps, 4);
      if ((p & 1023) === 0) sample();
    }
    await mapped.close();
  } else {
    await useDefaultPager(vm, { directory: args.directory! });
    const obj = vm.createMemoryObject({ size: 4 * frames * ps });
    for (let p = 0; p < obj.pageCount; p++, ops++) {
      const pending = obj.request(p, 'write');
      if (pending !== undefined) await pending;
      obj.setUint(p * ps, 4, p >>> 0);
      if ((p & 1023) === 0) sample();
    }
  }
  const seconds = (now() - t0) / 1000;
  sample();
  gc();
  const end = rss();
  const metadataBytesPerFrame = vm.stat().metadataBytesPerFrame;
  await vm.destroy();
  return { scenario: args.scenario, baseline, peak, end, pool: frames * ps, seconds, ops, metadataBytesPerFrame };
}

// `node dist/bench/workloads/memory.js '{"scenario":...}'`: one probe in a fresh process, its result as JSON.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = JSON.parse(process.argv[2]!) as ProbeArgs;
  const result = await probe(args);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
