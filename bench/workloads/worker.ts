import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { createVm, Pager, ResultCode, shareMemoryObject, type SharedMemoryObjectHandle } from '../../vmcore/index.js';
import { guarded, type Context } from '../context.js';
import { installCommand } from '../peers.js';
import { XorShift128 } from '../rng.js';
import { fillPage, makeStore, type StoreShape } from './worker-store.js';
import type { WorkerAnswer, WorkerJob } from './worker-thread.js';

/** synckit, the peer of the fault round trip: a development dependency, loaded by a computed specifier. */
const SYNCKIT = { name: 'synckit', range: '^0.12.3' };

/**
 * Issue 14, a memory object shared with a worker thread (createVm({ shared: true }), spinvm/worker), side by
 * side in one run:
 * - resident 4-byte reads in the worker against the same reads of a Uint8Array in the same worker;
 * - the fault round trip: the worker reads one word of a page that is not resident, the owning thread (this
 *   one, idle meanwhile) pages it in with a synchronous pager, and the worker goes on; against synckit doing
 *   the same read synchronously from the same worker (createSyncFn: its worker copies the page and reads it).
 * The worker's scripts are JavaScript: from dist/ (`npm run bench` builds first), or transpiled from the
 * sources when the bench runs from them (the smoke test).
 */
export async function worker(ctx: Context): Promise<void> {
  const W = 'worker';
  const { pageSize: ps } = ctx.sizes;
  const pages = Math.min(ctx.sizes.hitPages, 4096);
  const hitOps = ctx.sizes.hitOps;
  const pool = ctx.options.smoke ? 16 : 64;
  const store: StoreShape = { pages: 16 * pool, pageSize: ps, seed: ctx.options.seed ^ 0x14 };
  const faultOps = ctx.options.smoke ? 200 : Math.max(1000, Math.round(20_000 * ctx.options.size));
  const HITS = `4-byte reads in a worker, ${pages} resident pages`;
  const FAULTS = `fault round trip from a worker, synchronous pager, ${store.pages} pages through ${pool} frames`;
  const SPIN_HITS = 'spinvm/worker getUint(o, 4)';
  const U8 = 'Uint8Array in the worker';
  const SPIN_FAULTS = 'spinvm/worker getUint, every read a miss';
  const SYNC = `synckit createSyncFn (its worker copies the page)`;
  let scripts: Scripts;
  try {
    scripts = await workerScripts();
  } catch (err) {
    const reason = `unavailable: ${err instanceof Error ? err.message : String(err)}`;
    for (const [kase, impl, role] of [
      [HITS, SPIN_HITS, 'spinvm'],
      [HITS, U8, 'peer'],
      [FAULTS, SPIN_FAULTS, 'spinvm'],
      [FAULTS, SYNC, 'peer'],
    ] as const)
      ctx.unavailable(W, kase, impl, role, reason);
    return;
  }
  try {
    ctx.progress(`worker: ${hitOps} resident reads over ${pages} pages; ${faultOps} faults from a worker, through ${pool} frames`);
    await guarded(ctx, W, HITS, SPIN_HITS, 'spinvm', async () => {
      const vm = createVm({ shared: true, pageSize: ps, frames: pages });
      try {
        const object = vm.createMemoryObject({ size: pages * ps, name: 'worker hits' });
        const data = new Uint8Array(pages * ps);
        new XorShift128(ctx.options.seed).fill(data);
        await object.write(0, data);
        const st = vm.stat();
        const answer = await runWorker(scripts.thread, {
          mode: 'hits',
          handle: shareMemoryObject(object),
          seed: ctx.options.seed,
          ops: hitOps,
          rounds: Math.max(1, ctx.options.repeats),
        });
        if (answer.mode !== 'hits') throw new Error('the worker answered another job');
        const frames = { frames: st.frames, faults: 0, hitRatio: 1, metadataBytesPerFrame: st.metadataBytesPerFrame, poolBytes: st.frames * ps };
        ctx.add({ workload: W, case: HITS, impl: SPIN_HITS, role: 'spinvm', available: true, ops: hitOps, ...answer.spinvm, ...frames });
        ctx.add({ workload: W, case: HITS, impl: U8, role: 'peer', available: true, ops: hitOps, ...answer.uint8array });
      } finally {
        await vm.destroy();
      }
    });
    await guarded(ctx, W, FAULTS, SPIN_FAULTS, 'spinvm', async () => {
      const vm = createVm({ shared: true, pageSize: ps, frames: pool, policy: 'fifo' });
      try {
        const object = vm.createMemoryObject({ size: store.pages * ps, name: 'worker faults', pager: new StorePager(makeStore(store), ps) });
        const st = vm.stat();
        const warmup = Math.min(1000, faultOps);
        const answer = await runWorker(scripts.thread, {
          mode: 'faults',
          handle: shareMemoryObject(object),
          store,
          ops: faultOps,
          warmup,
          synckitScript: scripts.synckit,
          synckitPackage: SYNCKIT.name,
        });
        if (answer.mode !== 'faults') throw new Error('the worker answered another job');
        const faults = object.stat().faults;
        const spin = {
          frames: st.frames,
          faults,
          hitRatio: 1 - faults / answer.faults,
          metadataBytesPerFrame: st.metadataBytesPerFrame,
          poolBytes: st.frames * ps,
        };
        ctx.add({ workload: W, case: FAULTS, impl: SPIN_FAULTS, role: 'spinvm', available: true, ops: faultOps, ...answer.spinvm, ...spin });
        if ('unavailable' in answer.synckit) {
          const missing = /Cannot find (package|module) 'synckit'/.test(answer.synckit.unavailable);
          ctx.unavailable(W, FAULTS, SYNC, 'peer', missing ? `not installed: ${installCommand([SYNCKIT])}` : `failed: ${answer.synckit.unavailable}`);
        } else ctx.add({ workload: W, case: FAULTS, impl: SYNC, role: 'peer', available: true, ops: faultOps, ...answer.synckit });
      } finally {
        await vm.destroy();
      }
    });
  } finally {
    scripts.remove();
  }
}

/** The synchronous pager: every page-in copies its page out of an array, as synckit's worker does. */
class StorePager extends Pager {
  constructor(
    private readonly store: Uint8Array,
    private readonly pageSize: number,
  ) {
    super();
  }
  override get refillsCleanPages(): boolean {
    return true;
  }
  override get fillsWholeFrames(): boolean {
    return true;
  }
  override pageIn(page: number, frame: Uint8Array): ResultCode {
    fillPage(this.store, this.pageSize, page, frame);
    return ResultCode.Success;
  }
}

/** Runs one job in a fresh worker thread and answers what it posted; the worker is ended afterwards. */
async function runWorker(script: string, job: WorkerJob & { handle: SharedMemoryObjectHandle }): Promise<Exclude<WorkerAnswer, { error: string }>> {
  const thread = new Worker(script, { workerData: job, transferList: [job.handle.port] });
  try {
    const answer = await new Promise<WorkerAnswer>((resolve, reject) => {
      thread.once('message', resolve);
      thread.once('error', reject);
      thread.once('exit', (code) => reject(new Error(`the worker exited (${code}) before answering`)));
    });
    if ('error' in answer) throw new Error(answer.error);
    return answer;
  } finally {
    await thread.terminate();
  }
}

interface Scripts {
  thread: string;
  synckit: string;
  remove: () => void;
}

/**
 * The worker scripts as JavaScript files: beside this one when it runs from dist/; else (the bench run from
 * its TypeScript sources, as the smoke test does: Node 20 runs no TypeScript in a worker) transpiled into a
 * temporary folder by the tests' helper, which a computed specifier keeps out of the build.
 */
async function workerScripts(): Promise<Scripts> {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return { thread: join(dirname(here), 'worker-thread.js'), synckit: join(dirname(here), 'worker-synckit.js'), remove: () => {} };
  const helper = '../../test/helpers/transpiled.js';
  const { transpiled } = (await import(helper)) as {
    transpiled: (folders: readonly string[]) => { file: (source: string) => string; remove: () => void };
  };
  const js = transpiled(['vmcore', 'extensions/worker', 'bench/rng.ts', ...['thread', 'store', 'synckit'].map((s) => `bench/workloads/worker-${s}.ts`)]);
  return { thread: js.file('bench/workloads/worker-thread.ts'), synckit: js.file('bench/workloads/worker-synckit.ts'), remove: js.remove };
}
