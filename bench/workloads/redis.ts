import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { DefaultPager, RedisStore, SwapSpace, type RedisPager } from '../../pagers/index.js';
import { createVm, type Pager } from '../../vmcore/index.js';
import { guarded, type Context } from '../context.js';
import { now, Sampler } from '../measure.js';
import { XorShift128 } from '../rng.js';

/** node-redis, an optional peer dependency: a computed specifier, loaded only when this workload runs. */
const REDIS_PACKAGE = 'redis';
/** Pages per request: the Redis pager's run, and redis-benchmark's pipeline depth (-P). */
const DEPTH = 16;

/**
 * Far memory on Redis, against a redis-server this workload starts on a loopback port in the run's folder:
 * - sequential page-out and page-in of 4 KiB pages in runs of DEPTH pages (one MSET, one MGET per run),
 *   against redis-benchmark's SET and GET of 4 KiB values at the same pipeline depth on one connection
 *   (the limit), and against the default pager on swap files doing the same runs;
 * - a random workload (half 4-byte writes, half 4-byte reads) over an object eight times the pool, with
 *   batching (read-ahead runs of DEPTH pages) and without (one page per request).
 * Every row says 'unavailable' when redis-server, redis-benchmark or the redis package is missing.
 */
export async function redis(ctx: Context): Promise<void> {
  const W = 'redis';
  const ps = 4096;
  const pages = ctx.options.smoke ? 4 * DEPTH : Math.round(8192 * ctx.options.size);
  const pool = ctx.options.smoke ? 8 : Math.max(16, Math.round(256 * ctx.options.size));
  const randomOps = ctx.options.smoke ? 200 : Math.round(20_000 * ctx.options.size);
  const SEQ = `sequential runs of ${DEPTH} 4 KiB pages, ${pages} pages`;
  const RND = `random 4-byte reads and writes over ${(8 * pool * ps) / 2 ** 20} MiB, pool ${(pool * ps) / 2 ** 20} MiB`;
  const SCAN = `scan of an object 8× the pool through vmcore (4 KiB reads), pool ${(pool * ps) / 2 ** 20} MiB`;
  const rows: Array<[string, string, 'spinvm' | 'peer']> = [
    [SEQ, 'spinvm Redis pager: page-out', 'spinvm'],
    [SEQ, 'spinvm Redis pager: page-in', 'spinvm'],
    [SEQ, `redis-benchmark SET -d 4096 -P ${DEPTH}`, 'peer'],
    [SEQ, `redis-benchmark GET -d 4096 -P ${DEPTH}`, 'peer'],
    [SEQ, `node-redis alone: MSET of ${DEPTH}`, 'peer'],
    [SEQ, `node-redis alone: MGET of ${DEPTH}`, 'peer'],
    [SEQ, 'spinvm default pager (swap files): page-out', 'peer'],
    [SEQ, 'spinvm default pager (swap files): page-in', 'peer'],
    [RND, `spinvm Redis pager, batched (runs of up to ${DEPTH})`, 'spinvm'],
    [RND, 'spinvm Redis pager, one page per request', 'spinvm'],
    [SCAN, `spinvm Redis pager, batched (runs of up to ${DEPTH})`, 'spinvm'],
    [SCAN, 'spinvm Redis pager, one page per request', 'spinvm'],
  ];
  const missing = ['redis-server', 'redis-cli', 'redis-benchmark'].find((cmd) => spawnSync(cmd, ['--version']).status !== 0);
  let server: LocalRedis | undefined;
  let store: RedisStore | undefined;
  try {
    if (missing) throw new Error(`${missing} is not installed`);
    server = await LocalRedis.start(join(ctx.tmp, 'redis'));
    store = await RedisStore.connect({ client: { url: server.url }, readAhead: DEPTH });
  } catch (err) {
    const reason = `unavailable: ${err instanceof Error ? err.message : String(err)}`;
    for (const [kase, impl, role] of rows) ctx.unavailable(W, kase, impl, role, reason);
    await server?.stop();
    return;
  }
  try {
    ctx.progress(`redis: ${SEQ}; ${randomOps} ops ${RND}`);
    const frames = Array.from({ length: DEPTH }, (_, i) => new Uint8Array(ps).fill((i % 250) + 1));
    const sequential = async (impl: string, pager: Pager, out: boolean): Promise<void> => {
      const sampler = new Sampler(1, Math.ceil(pages / DEPTH));
      const t0 = now();
      for (let p = 0; p < pages; p += DEPTH) {
        const t = now();
        if (out) await pager.pageOutRun(p, frames);
        else await pager.pageInRun(p, frames, 'read');
        sampler.add(now() - t);
      }
      const seconds = (now() - t0) / 1000;
      ctx.add({
        workload: W,
        case: SEQ,
        impl,
        role: impl.includes('Redis') ? 'spinvm' : 'peer',
        available: true,
        ops: pages,
        seconds,
        bytes: pages * ps,
        ...sampler.percentiles(),
      });
    };
    const redisPager = store.pager('bench-seq');
    redisPager.init({ pageSize: ps, size: pages * ps, pageCount: pages, name: 'bench-seq' });
    await guarded(ctx, W, SEQ, rows[0]![1], 'spinvm', () => sequential(rows[0]![1], redisPager, true));
    await guarded(ctx, W, SEQ, rows[1]![1], 'spinvm', () => sequential(rows[1]![1], redisPager, false));
    await redisPager.destroy();
    for (const [i, test] of [
      [2, 'set'],
      [3, 'get'],
    ] as const) {
      await guarded(ctx, W, SEQ, rows[i]![1], 'peer', async () => {
        const out = spawnSync(
          'redis-benchmark',
          [
            '-p',
            String(server!.port),
            '-t',
            test,
            '-d',
            '4096',
            '-P',
            String(DEPTH),
            '-c',
            '1',
            '-n',
            String(Math.max(pages, 1000)),
            '-r',
            String(pages),
            '--csv',
          ],
          {
            encoding: 'utf8',
            timeout: 120_000,
          },
        );
        const line = out.stdout.split('\n').find((l) => l.toUpperCase().startsWith(`"${test.toUpperCase()}"`));
        const rps = Number(line?.split(',')[1]?.replace(/"/g, ''));
        if (!(rps > 0)) throw new Error(`redis-benchmark answered no figure: ${out.stdout}${out.stderr}`);
        ctx.add({
          workload: W,
          case: SEQ,
          impl: rows[i]![1],
          role: 'peer',
          available: true,
          ops: pages,
          seconds: pages / rps,
          bytes: pages * ps,
          extra: { requestsPerSec: rps },
        });
      });
    }
    // The client alone, the same runs with no pager around it: how much of the gap to redis-benchmark is the client's.
    for (const [i, command] of [
      [4, 'MSET'],
      [5, 'MGET'],
    ] as const) {
      await guarded(ctx, W, SEQ, rows[i]![1], 'peer', async () => {
        const { createClient, RESP_TYPES } = (await import(REDIS_PACKAGE)) as typeof import('redis');
        const client = createClient({ url: server!.url }).withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
        client.on('error', () => undefined);
        await client.connect();
        const value = Buffer.alloc(ps, 7);
        const t0 = now();
        for (let p = 0; p < pages; p += DEPTH) {
          const args: Array<string | Buffer> = [command];
          for (let j = 0; j < DEPTH; j++) {
            args.push(`bench-client:{${Math.floor(p / 64)}}:${p + j}`);
            if (command === 'MSET') args.push(value);
          }
          await client.sendCommand(args);
        }
        const seconds = (now() - t0) / 1000;
        await client.close();
        ctx.add({ workload: W, case: SEQ, impl: rows[i]![1], role: 'peer', available: true, ops: pages, seconds, bytes: pages * ps });
      });
    }
    const swapDir = join(ctx.tmp, 'redis-swap');
    mkdirSync(swapDir, { recursive: true });
    const swap = await SwapSpace.create({ pageSize: ps, directory: swapDir });
    const swapPager = new DefaultPager(swap);
    swapPager.init({ pageSize: ps, size: pages * ps, pageCount: pages, name: 'bench-swap' });
    await guarded(ctx, W, SEQ, rows[6]![1], 'peer', () => sequential(rows[6]![1], swapPager, true));
    await guarded(ctx, W, SEQ, rows[7]![1], 'peer', () => sequential(rows[7]![1], swapPager, false));
    swapPager.destroy();
    await swap.close();

    for (const [impl, readAhead] of [
      [rows[8]![1], DEPTH],
      [rows[9]![1], 1],
    ] as const) {
      await guarded(ctx, W, RND, impl, 'spinvm', async () => {
        const own = await RedisStore.connect({ client: { url: server!.url }, readAhead });
        const vm = createVm({ pageSize: ps, frames: pool });
        const obj = vm.createMemoryObject({ size: 8 * pool * ps, pager: own.pager(`bench-random-${readAhead}`) });
        const rng = new XorShift128(ctx.options.seed + 900);
        const sampler = new Sampler(1, randomOps);
        let check = 0;
        const t0 = now();
        for (let i = 0; i < randomOps; i++) {
          const at = rng.below(8 * pool) * ps + rng.below(ps / 4) * 4;
          const t = now();
          if (i & 1) await obj.write(at, Uint8Array.of(i, i >>> 8, 1, 2));
          else check = (check + (await obj.read(at, 4))[0]!) | 0;
          sampler.add(now() - t);
        }
        const seconds = (now() - t0) / 1000;
        const st = obj.stat();
        const pager = obj.pager as RedisPager;
        ctx.add({
          workload: W,
          case: RND,
          impl,
          role: 'spinvm',
          available: true,
          ops: randomOps,
          seconds,
          ...sampler.percentiles(),
          frames: pool,
          metadataBytesPerFrame: vm.stat().metadataBytesPerFrame,
          faults: st.faults,
          extra: {
            pageIns: st.pageIns,
            pageOuts: st.pageOuts,
            requestsIn: pager.reads,
            pagesIn: pager.pagesRead,
            requestsOut: pager.writes,
            pagesOut: pager.pagesWritten,
          },
        });
        await vm.destroy();
        await own.close();
      });
    }
    // The same object read front to back through vmcore: faults bring runs of read-ahead (or one page each).
    const scanPages = 8 * pool;
    const filled = store.pager('bench-scan');
    filled.init({ pageSize: ps, size: scanPages * ps, pageCount: scanPages, name: 'bench-scan' });
    for (let p = 0; p < scanPages; p += DEPTH) await filled.pageOutRun(p, frames.slice(0, Math.min(DEPTH, scanPages - p)));
    for (const [impl, readAhead] of [
      [rows[10]![1], DEPTH],
      [rows[11]![1], 1],
    ] as const) {
      await guarded(ctx, W, SCAN, impl, 'spinvm', async () => {
        const own = await RedisStore.connect({ client: { url: server!.url }, readAhead });
        const vm = createVm({ pageSize: ps, frames: pool });
        const obj = vm.createMemoryObject({ size: scanPages * ps, pager: own.pager('bench-scan') });
        const into = new Uint8Array(ps);
        const sampler = new Sampler(1, scanPages);
        let check = 0;
        const t0 = now();
        for (let p = 0; p < scanPages; p++) {
          const t = now();
          await obj.readInto(p * ps, into);
          check = (check + into[0]!) | 0;
          sampler.add(now() - t);
        }
        const seconds = (now() - t0) / 1000;
        const pager = obj.pager as RedisPager;
        ctx.add({
          workload: W,
          case: SCAN,
          impl,
          role: 'spinvm',
          available: true,
          ops: scanPages,
          seconds,
          bytes: scanPages * ps,
          check,
          ...sampler.percentiles(),
          frames: pool,
          metadataBytesPerFrame: vm.stat().metadataBytesPerFrame,
          faults: obj.stat().faults,
          extra: { requestsIn: pager.reads, pagesIn: pager.pagesRead },
        });
        await vm.destroy();
        await own.close();
      });
    }
    await store.remove('bench-scan');
  } finally {
    await store.close();
    await server.stop();
  }
}

/** A redis-server of the bench's own, on a free loopback port, with no persistence. */
class LocalRedis {
  private constructor(
    readonly port: number,
    private readonly child: ChildProcess,
    private readonly exited: Promise<unknown>,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(dir: string): Promise<LocalRedis> {
    mkdirSync(dir, { recursive: true });
    const port = await new Promise<number>((resolve, reject) => {
      const s = createServer().once('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const server = new LocalRedis(port, child, exited);
    for (let i = 0; i < 200; i++) {
      if (spawnSync('redis-cli', ['-p', String(port), 'PING'], { encoding: 'utf8' }).stdout.trim() === 'PONG') return server;
      await new Promise((r) => setTimeout(r, 25));
    }
    await server.stop();
    throw new Error(`redis-server did not start on port ${port}`);
  }

  async stop(): Promise<void> {
    this.child.kill('SIGTERM');
    await this.exited;
  }
}
