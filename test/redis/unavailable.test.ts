// Without the optional `redis` package, connecting is a typed RedisUnavailableError that says what to install,
// and importing spinvm/redis costs nothing: a child process whose module resolution refuses 'redis' (a resolve
// hook, node:module's register) runs spinvm as `npm pack` makes it.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { packedSpinvm } from '../helpers/packed.js';

let work = '';
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

it('connecting without the redis package is a RedisUnavailableError naming it', async () => {
  const { dir } = await packedSpinvm();
  work = mkdtempSync(join(tmpdir(), 'spinvm-redis-missing-'));
  mkdirSync(join(work, 'node_modules'));
  symlinkSync(dir, join(work, 'node_modules/spinvm'), 'dir');
  writeFileSync(
    join(work, 'hook.mjs'),
    `export async function resolve(specifier, context, next) {
  if (specifier === 'redis') throw Object.assign(new Error("Cannot find package 'redis'"), { code: 'ERR_MODULE_NOT_FOUND' });
  return next(specifier, context);
}
`,
  );
  writeFileSync(join(work, 'register.mjs'), `import { register } from 'node:module';\nregister('./hook.mjs', import.meta.url);\n`);
  writeFileSync(
    join(work, 'main.mjs'),
    `import { RedisStore, RedisUnavailableError } from 'spinvm/redis';
const err = await RedisStore.connect().catch((e) => e);
console.log(err instanceof RedisUnavailableError, err.code, err.message);
`,
  );
  const r = spawnSync(process.execPath, ['--import', './register.mjs', 'main.mjs'], { cwd: work, encoding: 'utf8', timeout: 60_000 });
  expect(r.stderr).toBe('');
  expect(r.stdout).toMatch(/^true SPINVM_REDIS_UNAVAILABLE .*redis/);
  expect(r.status).toBe(0);
}, 300_000);
