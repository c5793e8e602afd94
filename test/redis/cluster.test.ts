// The Redis pager over a real Redis Cluster (three masters, a replica each, made by redis-cli --cluster create):
// extents spread over the masters while a run stays one request on one node; and fault injection: kill -9 a
// master mid-workload, let the cluster fail over to its replica, restart the dead node, and check every byte.
// Writes the workload saw succeed are never lost; those that failed were reported and are retried.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore, type RedisPager, type RedisStoreOptions } from '../../pagers/index.js';
import { createVm, PagerIoError } from '../../vmcore/index.js';
import { RedisCluster } from './servers.js';

const PS = 4096;
let cluster: RedisCluster;
beforeAll(async () => {
  cluster = await RedisCluster.start(3);
}, 60_000);
afterAll(() => cluster?.stop());

const options = (): RedisStoreOptions => ({
  cluster: {
    rootNodes: cluster.rootNodes,
    defaults: { socket: { reconnectStrategy: 100, connectTimeout: 500 } },
    topologyRefreshOnReconnectionAttemptStrategy: 300,
  },
  extentPages: 8,
  replicas: 1,
  replicaTimeout: 500,
  timeout: 1000,
});
const calls = (node: { cli: (...a: string[]) => string }, command: string): number =>
  Number(
    /calls=(\d+)/.exec(
      node
        .cli('INFO', 'commandstats')
        .split('\n')
        .find((l) => l.startsWith(`cmdstat_${command}:`)) ?? '',
    )?.[1] ?? 0,
  );
/** True once a running node is master of `key`'s slot (after a kill: the failover is done). */
const promoted = (key: string): boolean => {
  try {
    cluster.masterOf(key);
    return true;
  } catch {
    return false;
  }
};
/** Page `page`'s contents at `version`: every byte says which page and which write it is. */
const stamp = (page: number, version: number): Uint8Array => new Uint8Array(PS).map((_, i) => (page * 31 + version * 7 + i) & 0xff || 1);

describe('a Redis Cluster', () => {
  it('spreads extents over the masters; a run is one MGET on one node, and a page-out waits for its replica', async () => {
    const store = await RedisStore.connect(options());
    expect(store.clustered).toBe(true);
    const vm = createVm({ pageSize: PS, frames: 4 });
    const obj = vm.createMemoryObject({ size: 64 * PS, pager: store.pager('spread') });
    for (let p = 0; p < 64; p++) await obj.write(p * PS, stamp(p, 0));
    await obj.flush();
    const masters = cluster.nodes.filter((n) => n.cli('ROLE').startsWith('master'));
    expect(masters).toHaveLength(3);
    const held = masters.map((m) => Number(m.cli('DBSIZE').trim()));
    expect(held.reduce((a, b) => a + b, 0)).toBe(64);
    expect(held.filter((n) => n > 0).length).toBeGreaterThanOrEqual(2); // 8 extents over 3 masters
    const pager = obj.pager as RedisPager;
    const frames = Array.from({ length: 8 }, () => new Uint8Array(PS));
    const before = masters.map((m) => calls(m, 'mget'));
    await pager.pageInRun(16, frames, 'read');
    expect(masters.map((m, i) => calls(m, 'mget') - before[i]!).sort()).toEqual([0, 0, 1]);
    frames.forEach((f, i) => expect(f).toEqual(stamp(16 + i, 0)));
    expect(await store.remove('spread')).toBe(64); // every master visited
    expect(calls(masters[0]!, 'wait') + calls(masters[1]!, 'wait') + calls(masters[2]!, 'wait')).toBeGreaterThan(0);
    await vm.destroy();
    await store.close();
  });

  it('kill -9 of a master mid-workload: failover to its replica, restart, and every acknowledged byte is there', async () => {
    const store = await RedisStore.connect(options());
    const PAGES = 40;
    const vm = createVm({ pageSize: PS, frames: 5 });
    const obj = vm.createMemoryObject({ size: PAGES * PS, pager: store.pager('faults') });
    const model: Uint8Array[] = Array.from({ length: PAGES }, () => new Uint8Array(PS)); // what a read must see
    let version = 1;
    let at = -1;
    let killed = false;
    let restarted = false;
    let reported = 0;
    let seed = 7;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % PAGES;
    /** One step, retried while the cluster fails over; every failure is a typed PagerIoError. */
    const step = async (work: () => Promise<void>): Promise<void> => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await work();
        } catch (err) {
          expect(err).toBeInstanceOf(PagerIoError);
          reported++;
          if (attempt > 300) throw err;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    };
    const write = (p: number): Promise<void> =>
      step(async () => {
        const bytes = stamp(p, version++);
        await obj.write(p * PS, bytes);
        model[p] = bytes;
      });
    const read = (p: number): Promise<void> =>
      step(async () => {
        const got = await obj.read(p * PS, PS);
        if (Buffer.compare(got, model[p]!) !== 0)
          throw new Error(
            `page ${p} read ${got.slice(0, 4).join(',')} at step ${at}, killed ${killed}, restarted ${restarted}, model ${model[p]!.slice(0, 4).join(',')}`,
          );
      });

    for (let p = 0; p < PAGES; p++) await write(p);
    await step(() => obj.flush().then(() => undefined));
    const victimKey = store.key('faults', 0);
    const victim = cluster.masterOf(victimKey);

    // The chaos runs beside the workload: kill -9 at step 40; once the replica has taken over, the dead master
    // comes back (as a replica), and WAIT has a replica again. (Restarted before the failover, a master
    // without persistence comes back empty and its replica copies the emptiness: Redis's own warning.)
    const chaos = (async () => {
      while (at < 40) await new Promise((r) => setTimeout(r, 10));
      await victim.kill();
      killed = true;
      while (!promoted(victimKey)) await new Promise((r) => setTimeout(r, 100));
      await victim.restart();
      restarted = true;
    })();
    for (let i = 0; i < 400; i++) {
      at = i;
      const p = next();
      await (i % 3 === 0 ? read(p) : write(p));
    }
    await chaos;
    expect(killed && restarted).toBe(true);
    await cluster.settled();
    await step(() => obj.flush().then(() => undefined));
    await vm.destroy();
    await store.close();
    expect(reported).toBeGreaterThan(0); // the outage was seen, reported, and retried

    // Everything flushed is in the cluster: a fresh connection reads every byte back.
    const again = await RedisStore.connect(options());
    const vm2 = createVm({ pageSize: PS, frames: 5 });
    const back = vm2.createMemoryObject({ size: PAGES * PS, pager: again.pager('faults') });
    for (let p = 0; p < PAGES; p++) expect(await back.read(p * PS, PS), `page ${p}`).toEqual(model[p]);
    await vm2.destroy();
    await again.close();
  }, 60_000);
});
