import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExtensionError, extensionsOf, loadConfiguredExtensions, readExtensionConfig, takeExtensionFlags } from '../../extensions/index.js';
import type { Vm } from '../../vmcore/index.js';
import { smallVm } from '../helpers/small.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
let dir: string;
let vm: Vm;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spinvm-config-'));
  vm = smallVm({ frames: 4 });
});
afterEach(async () => {
  await vm.destroy().catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

describe('start-up extensions from configuration and the command line', () => {
  it('spinvm.config.json: paths relative to the file, options handed to activate, then --extension ones', async () => {
    await writeFile(
      join(dir, 'spinvm.config.json'),
      JSON.stringify({ extensions: [join(FIXTURES, 'counting-pager-ext.ts'), { specifier: join(FIXTURES, 'pkg-dir'), options: { x: 1 } }] }),
    );
    const loaded = await loadConfiguredExtensions(vm, { cwd: dir, extra: [join(FIXTURES, 'default-export-ext.ts')] });
    expect(loaded.map((e) => e.name)).toEqual(['counting', 'pkg-dir', 'default-export']);
    expect(
      extensionsOf(vm)
        .list()
        .map((e) => e.name),
    ).toEqual(['counting', 'pkg-dir', 'default-export']);
  });

  it('the spinvm key of package.json, with relative specifiers', async () => {
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'app', spinvm: { extensions: [`${FIXTURES}/counting-pager-ext.ts`] } }));
    expect(readExtensionConfig(dir)).toMatchObject({
      file: join(dir, 'package.json'),
      entries: [{ specifier: `${FIXTURES}/counting-pager-ext.ts`, base: dir }],
    });
    await loadConfiguredExtensions(vm, { cwd: dir });
    expect(extensionsOf(vm).has('counting')).toBe(true);
  });

  it('spinvm.config.json wins over package.json; no configuration at all loads nothing', async () => {
    expect(await loadConfiguredExtensions(vm, { cwd: dir })).toEqual([]);
    await writeFile(join(dir, 'package.json'), JSON.stringify({ spinvm: { extensions: ['./nowhere.js'] } }));
    await writeFile(join(dir, 'spinvm.config.json'), JSON.stringify({ extensions: [] }));
    expect(await loadConfiguredExtensions(vm, { cwd: dir })).toEqual([]);
  });

  it('all or nothing: a failing entry unloads those loaded before it', async () => {
    await writeFile(join(dir, 'spinvm.config.json'), JSON.stringify({ extensions: [join(FIXTURES, 'counting-pager-ext.ts'), './missing-ext.js'] }));
    await expect(loadConfiguredExtensions(vm, { cwd: dir })).rejects.toMatchObject({ reason: 'not-found', extension: './missing-ext.js' });
    expect(extensionsOf(vm).list()).toEqual([]);
  });

  const bad: Array<[string, string]> = [
    ['not JSON', '{ nope'],
    ['not an object', '[]'],
    ['extensions not an array', '{ "extensions": "x" }'],
    ['an entry of the wrong type', '{ "extensions": [3] }'],
    ['an entry without specifier', '{ "extensions": [{ "options": {} }] }'],
    ['an entry with an unknown key', '{ "extensions": [{ "specifier": "x", "enabled": true }] }'],
  ];
  for (const [what, text] of bad) {
    it(`a malformed configuration (${what}) is a bad-config error naming the file`, async () => {
      await writeFile(join(dir, 'spinvm.config.json'), text);
      const err = await loadConfiguredExtensions(vm, { cwd: dir }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ExtensionError);
      expect(err).toMatchObject({ reason: 'bad-config' });
      expect((err as Error).message).toContain('spinvm.config.json');
    });
  }

  it('takeExtensionFlags pulls --extension out of a command line', () => {
    expect(takeExtensionFlags(['demo', '--extension', 'a', '--frames', '4', '--extension=./b.js', '--', '--extension', 'c'])).toEqual({
      extensions: ['a', './b.js'],
      rest: ['demo', '--frames', '4', '--', '--extension', 'c'],
    });
    expect(() => takeExtensionFlags(['--extension'])).toThrow(/needs a module/);
    expect(() => takeExtensionFlags(['--extension='])).toThrow(/needs a module/);
  });
});
