// The whole user path with plain node and no vitest in between: spinvm as `npm pack` publishes it (made once a
// run, test/helpers/packed.ts), the example pager package installed next to it in a temporary project, and node
// runs `spinvm conformance`, the package's own node:test suite (which imports `spinvm/conformance`), and a
// script that loads it as an extension and uses its pager by name.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { packedSpinvm } from '../helpers/packed.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = join(import.meta.dirname, '../..');
const FIXTURE = join(REPO, 'test/fixtures/example-pager-package');
let root: string;
let pkg: string;
let app: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'spinvm-built-'));
  app = join(root, 'app');
  pkg = (await packedSpinvm()).dir;
  // The user's project: spinvm and the pager package installed side by side.
  mkdirSync(join(app, 'node_modules'), { recursive: true });
  symlinkSync(pkg, join(app, 'node_modules/spinvm'), 'dir');
  cpSync(FIXTURE, join(app, 'node_modules/spinvm-example-pager'), { recursive: true });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module', spinvm: { extensions: ['spinvm-example-pager'] } }));
  writeFileSync(
    join(app, 'forgetful.js'),
    `import { Pager, ResultCode } from 'spinvm';
export class ForgetfulPager extends Pager {
  static capabilities = { pageOut: true, persistent: false, readOnly: false, zeroFill: true };
  pageIn(page, frame) { this.checkFrame(frame); frame.fill(0); return ResultCode.Success; }
  pageOut(page, frame) { this.checkFrame(frame); return ResultCode.Success; }
}
export const conformance = ForgetfulPager;
`,
  );
  writeFileSync(
    join(app, 'use-extension.js'),
    `import { createVm, Pager } from 'spinvm';
const { extensionsOf, loadConfiguredExtensions } = await import(${JSON.stringify(pathToFileURL(join(pkg, 'dist/extensions/index.js')).href)});
const vm = createVm({ pageSize: 4096, frames: 4 });
const [info] = await loadConfiguredExtensions(vm, { cwd: process.cwd() });
const obj = vm.createMemoryObject({ size: 4096 * 16, pager: 'example' });
for (let p = 0; p < 16; p++) await obj.write(p * 4096, new Uint8Array(4096).fill(p + 1));
let ok = obj.pager instanceof Pager && extensionsOf(vm).list().length === 1;
for (let p = 0; p < 16; p++) ok &&= (await obj.read(p * 4096, 4096)).every((b) => b === p + 1);
// Extensions shipped with spinvm, by their package subpaths.
await extensionsOf(vm).load('spinvm/extensions/examples/compressing-swap');
await extensionsOf(vm).load('spinvm/extensions/default-pager');
const zswap = vm.createMemoryObject({ size: 4096 * 16, pager: 'compressing-swap' });
const swapped = vm.createMemoryObject({ size: 4096 * 16 });
for (const o of [zswap, swapped]) for (let p = 0; p < 16; p++) await o.write(p * 4096, new Uint8Array(4096).fill(p + 7));
for (const o of [zswap, swapped]) for (let p = 0; p < 16; p++) ok &&= (await o.read(p * 4096, 4096)).every((b) => b === p + 7);
const loaded = extensionsOf(vm).list().map((e) => e.name);
console.log(JSON.stringify({ name: info.name, pager: obj.pager.constructor.name, ok, pageOuts: obj.stat().pageOuts, loaded, defaultPager: swapped.pager.constructor.name, ratio: zswap.pager.stat().ratio }));
await vm.destroy();
`,
  );
}, 180_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

function node(args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, args, { cwd: app, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('the example pager package against the compiled spinvm, with plain node', () => {
  it('`spinvm conformance spinvm-example-pager` (the bin) passes and exits 0', () => {
    const r = node([join(pkg, 'dist/cli/main.js'), 'conformance', 'spinvm-example-pager', '--runs', '20']);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toMatch(/ChecksummedMapPager: 42 passed, 0 failed, 6 skipped/);
  });

  it('`spinvm conformance` exits 1 for a broken pager', () => {
    const r = node([join(pkg, 'dist/cli/main.js'), 'conformance', './forgetful.js', '--runs', '5']);
    expect(r.code, r.out + r.err).toBe(1);
    expect(r.out).toMatch(/round-trip\s+failed/);
  });

  it("the package's own test suite registers the kit with node:test through `spinvm/conformance`", () => {
    const r = node(['--test', join(app, 'node_modules/spinvm-example-pager/test/conformance.test.js')]);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toMatch(/# pass 42/);
    expect(r.out).toMatch(/# fail 0/);
  });

  it("a script loads it as a configured extension and uses its pager by name; spinvm's own extensions load by subpath", () => {
    const r = node([join(app, 'use-extension.js')]);
    expect(r.code, r.out + r.err).toBe(0);
    const result = JSON.parse(r.out.trim().split('\n').pop()!) as {
      name: string;
      pager: string;
      ok: boolean;
      pageOuts: number;
      loaded: string[];
      defaultPager: string;
      ratio: number;
    };
    expect(result).toMatchObject({ name: 'example-pager', pager: 'ChecksummedMapPager', ok: true, defaultPager: 'DefaultPager' });
    expect(result.loaded).toEqual(['example-pager', 'compressing-swap', 'spinvm-default-pager']);
    expect(result.pageOuts).toBeGreaterThan(8);
    expect(result.ratio).toBeGreaterThan(50);
  });
});
