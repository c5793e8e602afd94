// A pager written as a separate package (test/fixtures/example-pager-package), used as a user would: copied
// into a temporary project where `spinvm` and the pager are installed as linked packages, loaded as an
// extension by package name, used by name, and run through `spinvm conformance`. Here `spinvm` is linked to
// this source tree (vitest compiles it), so no build is needed; example-package-built.test.ts does the same
// against the compiled package with plain node.
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../cli/conformance/command.js';
import { extensionsOf, loadConfiguredExtensions } from '../../extensions/index.js';
import { Pager, createVm } from '../../index.js';
import { pattern } from '../helpers/pagers.js';

const REPO = join(import.meta.dirname, '../..');
const FIXTURE = join(REPO, 'test/fixtures/example-pager-package');
let project: string;

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'spinvm-user-project-'));
  // spinvm as this project sees it: a package whose entry points are this tree's sources.
  const shim = join(project, 'links/spinvm');
  mkdirSync(shim, { recursive: true });
  writeFileSync(
    join(shim, 'package.json'),
    JSON.stringify({ name: 'spinvm', type: 'module', exports: { '.': './index.js', './conformance': './conformance.js' } }),
  );
  writeFileSync(join(shim, 'index.js'), `export * from ${JSON.stringify(pathToFileURL(join(REPO, 'index.ts')).href)};\n`);
  writeFileSync(join(shim, 'conformance.js'), `export * from ${JSON.stringify(pathToFileURL(join(REPO, 'conformance/index.ts')).href)};\n`);
  // The pager package, installed as `npm link` or a workspace would: a symbolic link in node_modules.
  const pkg = join(project, 'links/spinvm-example-pager');
  cpSync(FIXTURE, pkg, { recursive: true });
  mkdirSync(join(project, 'node_modules'));
  symlinkSync(shim, join(project, 'node_modules/spinvm'), 'dir');
  symlinkSync(pkg, join(project, 'node_modules/spinvm-example-pager'), 'dir');
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'user-project', private: true, type: 'module', spinvm: { extensions: ['spinvm-example-pager'] } }),
  );
  // A pager module that is wrong, for the command's failing exit.
  writeFileSync(
    join(project, 'forgetful.js'),
    `import { Pager, ResultCode } from 'spinvm';
export class ForgetfulPager extends Pager {
  static capabilities = { pageOut: true, persistent: false, readOnly: false, zeroFill: true };
  pageIn(page, frame) { this.checkFrame(frame); frame.fill(0); return ResultCode.Success; }
  pageOut(page, frame) { this.checkFrame(frame); return ResultCode.Success; }
}
export default ForgetfulPager;
`,
  );
});
afterAll(() => rmSync(project, { recursive: true, force: true }));

function io(): { out: string[]; err: string[]; io: Parameters<typeof run>[1] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (t) => void out.push(t), err: (t) => void err.push(t), cwd: project } };
}

describe('a pager package outside the source tree', () => {
  it("loads as an extension by package name, from the project's package.json, and its pager is used by name", async () => {
    const vm = createVm({ pageSize: 4096, frames: 4 });
    try {
      const [info] = await loadConfiguredExtensions(vm, { cwd: project });
      expect(info).toMatchObject({ name: 'example-pager', version: '1.0.0', specifier: 'spinvm-example-pager', pagers: ['example'] });
      expect(info!.url).toContain('/links/spinvm-example-pager/index.js');
      const obj = vm.createMemoryObject({ size: 4096 * 32, pager: 'example' });
      expect(obj.pager).toBeInstanceOf(Pager); // one spinvm: the package's Pager is this tree's
      expect(obj.pager.constructor.name).toBe('ChecksummedMapPager');
      for (let p = 0; p < 32; p++) await obj.write(p * 4096, pattern(4096, p));
      for (let p = 0; p < 32; p++) expect(await obj.read(p * 4096, 4096)).toEqual(pattern(4096, p));
      expect(obj.stat().pageOuts).toBeGreaterThan(20);
      await expect(extensionsOf(vm).unload('example-pager')).rejects.toMatchObject({ reason: 'in-use' });
      await obj.destroy();
      await extensionsOf(vm).unload('example-pager');
      // And by an explicit load, with options.
      await extensionsOf(vm).load('spinvm-example-pager', { cwd: project, options: { name: 'checksummed' } });
      expect(vm.createMemoryObject({ size: 4096, pager: 'checksummed' }).pager.constructor.name).toBe('ChecksummedMapPager');
    } finally {
      await vm.destroy();
    }
  });

  it('`spinvm conformance spinvm-example-pager` passes, with progress and a final table', async () => {
    const r = io();
    const code = await run(['spinvm-example-pager', '--runs', '30'], r.io);
    const text = r.out.join('');
    expect(code, text + r.err.join('')).toBe(0);
    expect(text).toMatch(/^spinvm conformance: ChecksummedMapPager\n/);
    expect(text).toMatch(/✓ level 1 › page-in fills exactly the frame/);
    expect(text).toMatch(/✓ level 2 › randomized reads and writes/);
    expect(text).toMatch(/level\s+check\s+result\s+time\n/);
    expect(text).toMatch(/round-trip\s+passed/);
    expect(text).toMatch(/- level 1 › .*\(skipped: the pager is not declared persistent\)/);
    expect(text).toMatch(/ChecksummedMapPager: 42 passed, 0 failed, 6 skipped/);
  });

  it('--export picks a Pager subclass with static capabilities; a path works as well as a package name', async () => {
    const r = io();
    expect(await run(['./links/spinvm-example-pager', '--export', 'ChecksummedMapPager', '--level', '1'], r.io)).toBe(0);
    expect(r.out.join('')).toMatch(/ChecksummedMapPager \(level 1 only\)/);
  });

  it('exits 1 when a check fails, naming the failures; the seed replays level 2', async () => {
    const r = io();
    expect(await run(['./forgetful.js', '--seed', '7'], r.io)).toBe(1);
    const text = r.out.join('');
    expect(text).toMatch(/✗ level 1 › page-out then page-in returns the same bytes/);
    expect(text).toMatch(/ForgetfulPager: \d+ passed, [1-9]\d* failed/);
    expect(text).toMatch(/seed 7, path/);
  });

  it('exits 2 for usage errors and modules it cannot use', async () => {
    for (const argv of [
      [],
      ['a', 'b'],
      ['--level', '3', 'x'],
      ['--bogus'],
      ['./nowhere.js'],
      ['spinvm-example-pager', '--export', 'missing'],
      ['spinvm-example-pager', '--export', 'manifest'],
    ]) {
      const r = io();
      expect(await run(argv, r.io), argv.join(' ')).toBe(2);
      expect(r.err.join('')).toMatch(/spinvm conformance: /);
    }
    const help = io();
    expect(await run(['--help'], help.io)).toBe(0);
    expect(help.out.join('')).toMatch(/^usage: spinvm conformance <module>/);
  });
});
