// The README's Redis example, run verbatim as a user would (spinvm as `npm pack` makes it, node-redis beside it),
// against a real redis-server of its own: the only change is the server's address, 127.0.0.1:6379 in the README.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { packedSpinvm } from '../helpers/packed.js';
import { readmeBlock } from '../helpers/readme-blocks.js';
import { RedisServer } from './servers.js';

let server: RedisServer;
let work = '';
beforeAll(async () => {
  server = await RedisServer.start();
});
afterAll(async () => {
  await server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

it('the README example (app/redis.mjs) runs as written and prints what it says', async () => {
  const { dir } = await packedSpinvm();
  work = mkdtempSync(join(tmpdir(), 'spinvm-redis-readme-'));
  const { code, expected } = readmeBlock('redis', 'app/redis.mjs');
  expect(code).toContain('redis://127.0.0.1:6379');
  // spinvm installed as the packed package; it links the repo's node_modules, where node-redis is.
  mkdirSync(join(work, 'node_modules'));
  symlinkSync(dir, join(work, 'node_modules/spinvm'), 'dir');
  writeFileSync(join(work, 'redis.mjs'), code.replaceAll('redis://127.0.0.1:6379', server.url));
  const r = spawnSync(process.execPath, ['redis.mjs'], { cwd: work, encoding: 'utf8', timeout: 120_000 });
  expect(r.stderr).toBe('');
  expect(r.stdout).toContain(expected);
  expect(r.status).toBe(0);
}, 300_000);
