import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extensionsOf } from '../../extensions/index.js';
import * as defaultPagerExtension from '../../extensions/default-pager/index.js';
import { DefaultPager } from '../../pagers/default-pager/index.js';
import { BogoPager, type Vm } from '../../vmcore/index.js';
import { pattern } from '../helpers/pagers.js';
import { PS, smallVm } from '../helpers/small.js';

let dir: string;
let vm: Vm;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spinvm-defpager-ext-'));
  vm = smallVm({ frames: 4 });
});
afterEach(async () => {
  await vm.destroy().catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

describe("extensions/default-pager: SPIN's default pager, loaded at run time", () => {
  it('replaces the bogopager: an object far larger than the pool keeps every page through swap', async () => {
    expect(vm.createMemoryObject({ size: PS }).pager).toBeInstanceOf(BogoPager);
    const info = await extensionsOf(vm).load(defaultPagerExtension, { options: { directory: dir } });
    expect(info).toMatchObject({ name: 'spinvm-default-pager', defaultPager: true });
    const obj = vm.createMemoryObject({ size: PS * 32 });
    expect(obj.pager).toBeInstanceOf(DefaultPager);
    for (let p = 0; p < 32; p++) await obj.write(p * PS, pattern(PS, p + 100));
    for (let p = 0; p < 32; p++) expect(await obj.read(p * PS, PS)).toEqual(pattern(PS, p + 100));
    expect(obj.stat().pageOuts).toBeGreaterThan(0);
  });

  it('loads by path like any extension', async () => {
    await extensionsOf(vm).load(join(import.meta.dirname, '../../extensions/default-pager/index.ts'), { options: { directory: dir } });
    expect(vm.createMemoryObject({ size: PS }).pager).toBeInstanceOf(DefaultPager);
  });

  it('refuses to unload while its objects live; unloading afterwards puts the bogopager back and removes the swap files', async () => {
    await extensionsOf(vm).load(defaultPagerExtension, { options: { directory: dir } });
    const obj = vm.createMemoryObject({ size: PS * 8 });
    await obj.write(0, pattern(PS, 1));
    expect((await readdir(dir)).length).toBe(1);
    await expect(extensionsOf(vm).unload('spinvm-default-pager')).rejects.toMatchObject({ reason: 'in-use' });
    await obj.destroy();
    await extensionsOf(vm).unload('spinvm-default-pager');
    expect(vm.createMemoryObject({ size: PS }).pager).toBeInstanceOf(BogoPager);
    expect(await readdir(dir)).toEqual([]);
  });

  it('a forced unload flushes and destroys its objects, then removes the swap', async () => {
    await extensionsOf(vm).load(defaultPagerExtension, { options: { directory: dir } });
    const obj = vm.createMemoryObject({ size: PS * 8 });
    for (let p = 0; p < 8; p++) await obj.write(p * PS, pattern(PS, p));
    const report = await extensionsOf(vm).unload('spinvm-default-pager', { force: true });
    expect(report.errors).toEqual([]);
    expect(report.destroyedObjects).toEqual([obj.name]);
    expect(obj.isDestroyed).toBe(true);
    expect(await readdir(dir)).toEqual([]);
  });

  it('bad options fail the load and leave the bogopager in place', async () => {
    await expect(extensionsOf(vm).load(defaultPagerExtension, { options: { directory: join(dir, 'missing', 'deeper') } })).rejects.toMatchObject({
      reason: 'activate-failed',
    });
    await expect(extensionsOf(vm).load(defaultPagerExtension, { options: { nonsense: 1 } })).rejects.toMatchObject({ reason: 'activate-failed' });
    expect(vm.createMemoryObject({ size: PS }).pager).toBeInstanceOf(BogoPager);
    expect(existsSync(dir)).toBe(true);
  });
});
