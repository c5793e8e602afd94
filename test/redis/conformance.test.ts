// The Redis pager through the conformance kit (persistent: a named object reopened by name) and through the
// randomized reference model with a pool of three frames, both against a real redis-server.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definePagerConformance } from '../../conformance/index.js';
import { dataApiOps, disjointBatches, MODEL_SEED, persistentOps, runModel, type ModelConfig } from '../../conformance/model/index.js';
import { RedisPager, RedisStore } from '../../pagers/index.js';
import type { Pager } from '../../vmcore/index.js';
import { RedisServer } from './servers.js';

let server: RedisServer | undefined;
let connected: Promise<RedisStore> | undefined;
beforeAll(async () => {
  server = await RedisServer.start();
  connected = RedisStore.connect({ client: { url: server.url }, extentPages: 8, readAhead: 4 });
  await connected;
});
afterAll(async () => {
  await (await connected)?.close();
  await server?.stop();
});
const storeOf = (): Promise<RedisStore> => connected ?? Promise.reject(new Error('the server is not started'));
let names = 0;

definePagerConformance({
  describe,
  it,
  pager: RedisPager,
  makePager: async () => (await storeOf()).pager(`kit-${names++}`),
  reopen: async (previous) => (await storeOf()).pager((previous as RedisPager).namespace),
  pageSizes: [512, 4096],
  runs: 4,
});

describe('the Redis pager against the reference model, three frames', () => {
  const cfg: ModelConfig = { pageSize: 512, frames: 3, objects: 2, objectSize: 512 * 12 + 100 };

  it('anonymous objects: every read matches the model, with no error', async () => {
    const store = await storeOf();
    const made: RedisPager[] = [];
    await fc.assert(
      fc.asyncProperty(fc.array(dataApiOps(cfg), { minLength: 20, maxLength: 50 }).filter(disjointBatches), async (ops) => {
        await runModel(cfg, { makePager: () => made[made.push(new RedisPager(store)) - 1]! }, ops);
      }),
      { seed: MODEL_SEED, numRuns: 15 },
    );
    expect(made.reduce((n, p) => n + p.pagesWritten, 0)).toBeGreaterThan(100);
    expect(made.reduce((n, p) => n + p.pagesRead, 0)).toBeGreaterThan(100);
    expect(server!.cli('--scan', '--pattern', 'spinvm:{anon-*').trim()).toBe(''); // every object's keys went with it
  });

  it('named objects, flushed and reopened: every byte comes back', async () => {
    const store = await storeOf();
    const persistent = { ...cfg, objects: 1, objectSize: 512 * 70 + 100, persistent: true }; // runs up to a flush run (64 pages)
    await fc.assert(
      fc.asyncProperty(fc.array(persistentOps(persistent), { minLength: 10, maxLength: 30 }), async (ops) => {
        const run = names++;
        await runModel(
          persistent,
          { makePager: (i) => store.pager(`model-${run}-${i}`), reopen: (previous: Pager) => store.pager((previous as RedisPager).namespace) },
          ops,
        );
      }),
      { seed: MODEL_SEED, numRuns: 10 },
    );
  });
});
