// The Redis pager against a real standalone redis-server (test/redis/servers.ts): the key layout, zero pages,
// one request per run, the live swap of the default pager, named objects reopened over another connection,
// typed failures when the server goes away, and no password in any error or event.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DefaultRedisPager,
  RedisPager,
  RedisReplicationError,
  RedisRequestError,
  RedisStore,
  useRedisPager,
  type RedisStoreEvent,
} from '../../pagers/index.js';
import { BogoPager, createVm, InvalidArgumentError, PagerIoError, ResultCode, type Vm } from '../../vmcore/index.js';
import { RedisServer } from './servers.js';

const PS = 4096;
let server: RedisServer;
let store: RedisStore;
beforeAll(async () => {
  server = await RedisServer.start();
  store = await RedisStore.connect({ client: { url: server.url }, extentPages: 8, readAhead: 8 });
});
afterAll(async () => {
  await store?.close();
  await server?.stop();
});

const page = (fill: number): Uint8Array => new Uint8Array(PS).fill(fill);
const keys = (pattern: string): string[] =>
  server
    .cli('--scan', '--pattern', pattern)
    .split('\n')
    .filter((k) => k !== '')
    .sort();
/** The server's count of `command` calls so far. */
const calls = (command: string): number =>
  Number(
    /calls=(\d+)/.exec(
      server
        .cli('INFO', 'commandstats')
        .split('\n')
        .find((l) => l.startsWith(`cmdstat_${command}:`)) ?? '',
    )?.[1] ?? 0,
  );

function pagerFor(name: string | undefined, pages = 32): RedisPager {
  const pager = name === undefined ? new RedisPager(store) : store.pager(name);
  pager.init({ pageSize: PS, size: pages * PS, pageCount: pages, name: name ?? 'anon' });
  return pager;
}

describe('keys and zero pages', () => {
  it('stores a page per key under the object namespace, with the extent as hash tag; zero pages are deleted, never written', async () => {
    const pager = pagerFor('layout');
    expect(await pager.pageOut(9, page(7), true)).toBe(ResultCode.Success);
    expect(await pager.pageOut(10, page(0), true)).toBe(ResultCode.Success);
    expect(keys('spinvm:{layout:*')).toEqual(['spinvm:{layout:1}:9']);
    expect(server.cli('STRLEN', 'spinvm:{layout:1}:9').trim()).toBe(String(PS));
    expect(await pager.pageOut(9, page(0), true)).toBe(ResultCode.Success);
    expect(keys('spinvm:{layout:*')).toEqual([]);
    const frame = page(3);
    expect(await pager.pageIn(9, frame, 'read')).toBe(ResultCode.Success);
    expect(frame).toEqual(page(0));
  });

  it('an anonymous pager answers a never-written page with zeros and no request, and deletes its keys when destroyed', async () => {
    const pager = pagerFor(undefined);
    const before = calls('mget');
    const frame = page(5);
    expect(pager.pageIn(3, frame, 'read')).toBe(ResultCode.Success); // synchronous: no round trip
    expect(frame).toEqual(page(0));
    expect(calls('mget')).toBe(before);
    await pager.pageOut(3, page(1), true);
    expect(keys(`spinvm:{${pager.namespace}:*`)).toHaveLength(1);
    await pager.destroy();
    expect(keys(`spinvm:{${pager.namespace}:*`)).toEqual([]);
    expect(pager.pageIn(3, frame, 'read')).toBe(ResultCode.PagerDestroyed);
  });
});

describe('one request per run', () => {
  it('pageInRun reads a run with one MGET, and pageOutRun writes one with one MSET (a run across extents: one each)', async () => {
    const pager = pagerFor('runs');
    const frames = Array.from({ length: 6 }, (_, i) => page(i + 1));
    const mset = calls('mset');
    expect(await pager.pageOutRun(5, frames)).toEqual(Array(6).fill(ResultCode.Success));
    expect(calls('mset') - mset).toBe(2); // pages 5..7 and 8..10: two extents of 8
    const mget = calls('mget');
    const into = Array.from({ length: 3 }, () => page(0));
    expect(await pager.pageInRun(5, into, 'read')).toEqual(Array(3).fill(ResultCode.Success));
    expect(calls('mget') - mget).toBe(1);
    expect(into).toEqual(frames.slice(0, 3));
  });

  it('pageInRunLength doubles on sequential faults up to readAhead, and stops at the extent end and the object end', () => {
    const pager = pagerFor('window', 20);
    expect(pager.pageInRunLength(0, 'read')).toBe(1);
    void pager.pageInRun(0, [page(0)], 'read');
    expect(pager.pageInRunLength(1, 'read')).toBe(2);
    void pager.pageInRun(1, [page(0), page(0)], 'read');
    expect(pager.pageInRunLength(3, 'read')).toBe(4);
    void pager.pageInRun(3, [page(0), page(0), page(0), page(0)], 'read');
    expect(pager.pageInRunLength(7, 'read')).toBe(1); // page 7 ends extent 0
    expect(pager.pageInRunLength(17, 'read')).toBe(1); // random again
    void pager.pageInRun(17, [page(0)], 'read');
    expect(pager.pageInRunLength(18, 'read')).toBe(2); // the object ends at page 19
  });
});

describe('through vmcore', () => {
  it('a sequential read faults runs in: far fewer MGETs than pages, each a run of read-ahead, and every byte right', async () => {
    const vm = createVm({ pageSize: PS, frames: 64 });
    const obj = vm.createMemoryObject({ size: 48 * PS, pager: store.pager('sequential') });
    const data = new Uint8Array(48 * PS).map((_, i) => (i * 5 + 11) & 0xff);
    await obj.write(0, data);
    await obj.flush();
    await vm.destroy();
    const vm2 = createVm({ pageSize: PS, frames: 64 });
    const again = vm2.createMemoryObject({ size: 48 * PS, pager: store.pager('sequential') });
    const before = calls('mget');
    for (let p = 0; p < 48; p++) expect(await again.read(p * PS, PS)).toEqual(data.subarray(p * PS, (p + 1) * PS));
    const requests = calls('mget') - before;
    const pager = again.pager as RedisPager;
    expect(pager.pagesRead).toBe(48);
    expect(requests).toBe(pager.reads);
    expect(requests).toBeLessThanOrEqual(12); // windows of 1, 2, 4, 8 (readAhead), cut at the extents of 8
    await vm2.destroy();
  });
});

describe('useRedisPager', () => {
  let vm: Vm;
  afterAll(() => vm?.destroy());

  it('makes Redis the default pager live: objects made after it page out to Redis, and their keys go with them', async () => {
    vm = createVm({ pageSize: PS, frames: 4 });
    const before = vm.createMemoryObject({ size: 2 * PS });
    const ours = await useRedisPager(vm, store);
    expect(ours).toBe(store);
    const obj = vm.createMemoryObject({ size: 16 * PS, name: 'far' });
    const data = new Uint8Array(16 * PS).map((_, i) => (i * 7 + 3) & 0xff);
    await obj.write(0, data);
    expect(await obj.read(0, data.length)).toEqual(data); // 16 pages through 4 frames: paged out and in
    expect(obj.stat().pageOuts).toBeGreaterThan(0);
    expect(obj.pager).toBeInstanceOf(DefaultRedisPager);
    expect(keys('spinvm:{anon-*').length).toBeGreaterThan(0);
    await obj.destroy();
    expect(keys('spinvm:{anon-*')).toEqual([]);
    expect(before.pager).toBeInstanceOf(BogoPager); // made before: keeps its pager
  });

  it('refuses bad options with a typed error, changing nothing', async () => {
    const vm2 = createVm({ pageSize: PS, frames: 4 });
    await expect(useRedisPager(vm2, { extentPages: 0 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(useRedisPager(vm2, { prefix: 'a{b}' })).rejects.toThrow(/without \{ or \}/);
    await expect(useRedisPager(vm2, { readAhead: 9, extentPages: 8 })).rejects.toThrow(/options.readAhead must be an integer from 1 to 8/);
    expect(() => store.pager('bad{name}')).toThrow(InvalidArgumentError);
    expect(vm2.createMemoryObject({ size: PS }).pager).toBeInstanceOf(BogoPager); // nothing was bound
    await vm2.destroy();
  });
});

describe('named, persistent objects', () => {
  it('another connection (as another process) reopens a named object by name and reads every byte', async () => {
    const vmA = createVm({ pageSize: PS, frames: 3 });
    const a = vmA.createMemoryObject({ size: 10 * PS + 100, name: 'shared', pager: store.pager('shared') });
    const data = new Uint8Array(10 * PS + 100).map((_, i) => (i * 13 + 1) & 0xff);
    data.fill(0, 2 * PS, 4 * PS); // two zero pages: not stored
    await a.write(0, data);
    await a.flush();
    await vmA.destroy();
    expect(keys('spinvm:{shared:*')).toHaveLength(9);

    const other = await RedisStore.connect({ client: { url: server.url }, extentPages: 8 });
    const vmB = createVm({ pageSize: PS, frames: 3 });
    const b = vmB.createMemoryObject({ size: 10 * PS + 100, pager: other.pager('shared') });
    expect(await b.read(0, data.length)).toEqual(data);
    await vmB.destroy();
    await other.close();
    // remove() deletes a named object's keys, and only its own: a name with glob characters matches itself.
    const odd = store.pager('shared*');
    odd.init({ pageSize: PS, size: PS, pageCount: 1, name: 'odd' });
    await odd.pageOut(0, page(4), true);
    expect(await store.remove('shared')).toBe(9);
    expect(keys('spinvm:{shared:*')).toEqual([]);
    expect(await store.remove('shared*')).toBe(1);
  });
});

describe('failure is typed, and nothing is lost', () => {
  it('with the server gone, page-in fails with PagerIoError and page-out keeps the page dirty; once it is back, all is there', async () => {
    const own = await RedisServer.start(['--appendonly', 'yes', '--appendfsync', 'always']);
    const fast = await RedisStore.connect({ client: { url: own.url }, timeout: 300 });
    const events: RedisStoreEvent[] = [];
    fast.on((e) => events.push(e));
    const vm = createVm({ pageSize: PS, frames: 2 });
    const obj = vm.createMemoryObject({ size: 4 * PS, pager: fast.pager('outage') });
    await obj.write(0, page(1));
    await obj.write(PS, page(2));
    await obj.write(2 * PS, page(3)); // evicts page 0: written to Redis
    await own.kill();

    const failedIn = await obj.read(0, PS).catch((e: unknown) => e);
    expect(failedIn).toBeInstanceOf(PagerIoError);
    expect((failedIn as PagerIoError).cause).toBeInstanceOf(RedisRequestError);
    const failedFlush = await obj.flush().catch((e: unknown) => e);
    expect(failedFlush).toBeInstanceOf(Error);
    expect(obj.stat().dirtyPages).toBeGreaterThan(0); // kept resident and dirty

    await own.restart();
    await new Promise((r) => setTimeout(r, 600)); // node-redis reconnects
    await obj.flush();
    expect(await obj.read(0, 3 * PS)).toEqual(new Uint8Array([...page(1), ...page(2), ...page(3)]));
    expect(events.some((e) => e.type === 'error')).toBe(true);
    await vm.destroy();
    await fast.close();
    await own.stop();
  });

  it('a timeout fails with timedOut, and a later write of the same page lands after the one that timed out', async () => {
    const slow = await RedisStore.connect({ client: { url: server.url }, timeout: 300 });
    const pager = slow.pager('paused');
    pager.init({ pageSize: PS, size: PS, pageCount: 1, name: 'paused' });
    server.cli('CLIENT', 'PAUSE', '450', 'WRITE');
    const failed = await Promise.resolve(pager.pageOut(0, page(1), true)).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(RedisRequestError);
    expect((failed as RedisRequestError).timedOut).toBe(true);
    // The first write is still queued on the server; the second waits until it has settled, so the newer page wins.
    expect(await pager.pageOut(0, page(2), true)).toBe(ResultCode.Success);
    const frame = page(0);
    expect(await pager.pageIn(0, frame, 'read')).toBe(ResultCode.Success);
    expect(frame).toEqual(page(2));
    await slow.close();
  });

  it('with replicas asked for and none there, WAIT answers 0: the page-out fails typed and the page stays dirty', async () => {
    const waiting = await RedisStore.connect({ client: { url: server.url }, replicas: 1, replicaTimeout: 50 });
    const vm = createVm({ pageSize: PS, frames: 2 });
    const obj = vm.createMemoryObject({ size: 2 * PS, pager: waiting.pager('unreplicated') });
    await obj.write(0, page(6));
    const failed = await obj.flush().catch((e: unknown) => e);
    const cause = (failed as PagerIoError).cause as RedisReplicationError;
    expect(cause).toBeInstanceOf(RedisReplicationError);
    expect([cause.code, cause.wanted, cause.acknowledged]).toEqual(['SPINVM_REDIS_REPLICATION', 1, 0]);
    expect(obj.stat().dirtyPages).toBe(1);
    await vm.destroy();
    await waiting.close();
  });

  it('no password appears in any error or event: a wrong one, and a lost connection', async () => {
    const SECRET = 's3cr3t-pa55word';
    const own = await RedisServer.start(['--requirepass', SECRET]);
    const seen: string[] = [];
    const show = (e: unknown): string => `${String(e)} ${(e as Error)?.stack ?? ''} ${JSON.stringify(e)} ${String((e as Error)?.cause ?? '')}`;
    // A wrong password in a URL and in the options, percent-encoded too.
    const wrong = await RedisStore.connect({ client: { url: `redis://default:${SECRET}x@127.0.0.1:${own.port}` }, timeout: 1000 }).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(RedisRequestError);
    seen.push(show(wrong));
    const wrong2 = await RedisStore.connect({ client: { url: own.url, password: `${SECRET}y` }, timeout: 1000 }).catch((e: unknown) => e);
    expect(wrong2).toBeInstanceOf(RedisRequestError);
    seen.push(show(wrong2));

    // A URL node-redis refuses outright (not redis: or rediss:).
    const refused = await RedisStore.connect({ client: { url: `http://default:${SECRET}@127.0.0.1:${own.port}` } }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RedisRequestError);
    seen.push(show(refused));

    const good = await RedisStore.connect({ client: { url: `redis://default:${SECRET}@127.0.0.1:${own.port}` }, timeout: 300 });
    good.on((e) => seen.push(show(e.type === 'error' ? e.error : e)));
    const pager = good.pager('secret');
    pager.init({ pageSize: PS, size: PS, pageCount: 1, name: 'secret' });
    expect(await pager.pageOut(0, page(9), true)).toBe(ResultCode.Success);
    await own.kill();
    seen.push(show(await Promise.resolve(pager.pageIn(0, page(0), 'read')).catch((e: unknown) => e)));
    seen.push(show(await Promise.resolve(pager.pageOut(0, page(8), true)).catch((e: unknown) => e)));
    await new Promise((r) => setTimeout(r, 300));
    expect(seen.length).toBeGreaterThan(4);
    for (const text of seen) expect(text).not.toContain(SECRET);
    await good.close();
    await own.stop();
  });
});

describe('DefaultRedisPager', () => {
  it('is an anonymous RedisPager made from the container', () => {
    expect(new DefaultRedisPager(store).anonymous).toBe(true);
    expect(store.pager('x').anonymous).toBe(false);
  });
});
