import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as compressingSwap from '../../extensions/examples/compressing-swap/index.js';
import { CompressingSwapPager } from '../../extensions/examples/compressing-swap/index.js';
import { extensionsOf } from '../../extensions/index.js';
import { BogoPager, createVm, type Vm } from '../../vmcore/index.js';
import { definePagerConformance } from '../../conformance/index.js';
import { pattern } from '../helpers/pagers.js';

const PS = 4096;
let vm: Vm;
let dir: string;
beforeEach(() => {
  vm = createVm({ pageSize: PS, frames: 4 });
  dir = mkdtempSync(join(tmpdir(), 'spinvm-zswap-'));
});
afterEach(async () => {
  await vm.destroy().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

/** A page of text-like bytes: compresses well, as most real memory does. */
function textPage(n: number): Uint8Array {
  const line = `page ${n}: the quick brown fox jumps over the lazy dog; spinvm pages it out and back.\n`;
  return new TextEncoder().encode(line.repeat(Math.ceil(PS / line.length))).subarray(0, PS);
}

describe('the compressing swap extension', () => {
  it('pages an object 16 times the pool through deflate, and measures the ratio', async () => {
    await extensionsOf(vm).load(compressingSwap);
    const obj = vm.createMemoryObject({ size: PS * 64, pager: 'compressing-swap' });
    const pager = obj.pager as CompressingSwapPager;
    expect(pager).toBeInstanceOf(CompressingSwapPager);
    for (let p = 0; p < 64; p++) await obj.write(p * PS, p % 8 === 7 ? pattern(PS, p) : textPage(p));
    for (let p = 0; p < 64; p++) expect(await obj.read(p * PS, PS)).toEqual(p % 8 === 7 ? pattern(PS, p) : textPage(p));
    const stat = pager.stat();
    expect(stat.pageOuts).toBeGreaterThanOrEqual(60);
    expect(stat.pages).toBeGreaterThanOrEqual(60);
    expect(stat.incompressible).toBeGreaterThanOrEqual(7); // the random pages
    expect(stat.uncompressedBytes).toBe(stat.pages * PS);
    // 7 in 8 pages are text: the store holds well under half the bytes.
    expect(stat.ratio).toBeGreaterThan(2.5);
    expect(stat.ratio).toBeCloseTo(stat.uncompressedBytes / stat.storedBytes, 10);
    expect(stat.fileBytes).toBe(0);
  });

  it('zero pages cost nothing, and a page written back to zeros frees its room', async () => {
    await extensionsOf(vm).load(compressingSwap);
    const obj = vm.createMemoryObject({ size: PS * 16, pager: 'compressing-swap' });
    const pager = obj.pager as CompressingSwapPager;
    for (let p = 0; p < 16; p++) await obj.write(p * PS, textPage(p));
    await obj.flush();
    const before = pager.stat();
    for (let p = 0; p < 16; p++) await obj.write(p * PS, new Uint8Array(PS));
    await obj.flush();
    for (let p = 0; p < 16; p++) await obj.read(p * PS, 1); // evicts and refaults
    const after = pager.stat();
    expect(before.storedBytes).toBeGreaterThan(0);
    expect(after.storedBytes).toBe(0);
    expect(after.pages).toBe(0);
    expect(after.zeroPages).toBeGreaterThanOrEqual(16);
    expect(after.ratio).toBe(1);
    for (let p = 0; p < 16; p++) expect(await obj.read(p * PS, PS)).toEqual(new Uint8Array(PS));
  });

  it('with a directory: a swap file that reuses freed blocks, removed when the pager goes', async () => {
    await extensionsOf(vm).load(compressingSwap, { options: { directory: dir, level: 6 } });
    const obj = vm.createMemoryObject({ size: PS * 32, pager: 'compressing-swap', name: 'swapped' });
    const pager = obj.pager as CompressingSwapPager;
    expect(readdirSync(dir)).toHaveLength(1);
    for (let round = 0; round < 5; round++) {
      for (let p = 0; p < 32; p++) await obj.write(p * PS, textPage(p * 10 + round));
      await obj.flush();
    }
    for (let p = 0; p < 32; p++) expect(await obj.read(p * PS, PS)).toEqual(textPage(p * 10 + 4));
    const stat = pager.stat();
    // Five rounds of rewrites: freed runs are reused, so the file stays near one round's worth.
    expect(stat.fileBytes).toBeLessThan(stat.storedBytes * 2 + 4096);
    expect(stat.ratio).toBeGreaterThan(5);
    await obj.destroy();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('default: true makes it the default pager until it is unloaded', async () => {
    await extensionsOf(vm).load(compressingSwap, { options: { default: true, name: 'zswap' } });
    const obj = vm.createMemoryObject({ size: PS });
    expect(obj.pager).toBeInstanceOf(CompressingSwapPager);
    expect(vm.createMemoryObject({ size: PS, pager: 'zswap' }).pager).toBeInstanceOf(CompressingSwapPager);
    await extensionsOf(vm).unload('compressing-swap', { force: true });
    expect(vm.createMemoryObject({ size: PS }).pager).toBeInstanceOf(BogoPager);
  });

  it('bad options fail the load, not a later fault', async () => {
    await expect(extensionsOf(vm).load(compressingSwap, { options: { level: 12 } })).rejects.toMatchObject({ reason: 'activate-failed' });
    await expect(extensionsOf(vm).load(compressingSwap, { options: 'fast' })).rejects.toMatchObject({ reason: 'activate-failed' });
    expect(extensionsOf(vm).list()).toEqual([]);
  });

  it('a missing directory is a typed error when the object is made', async () => {
    await extensionsOf(vm).load(compressingSwap, { options: { directory: join(dir, 'nope') } });
    expect(() => vm.createMemoryObject({ size: PS, pager: 'compressing-swap' })).toThrow(/init/);
    expect(existsSync(join(dir, 'nope'))).toBe(false);
  });
});

definePagerConformance({
  describe,
  it,
  name: 'CompressingSwapPager (in memory)',
  makePager: () => new CompressingSwapPager(),
  capabilities: { pageOut: true, persistent: false, readOnly: false, zeroFill: true },
});

const conformanceDir = mkdtempSync(join(tmpdir(), 'spinvm-zswap-kit-'));
definePagerConformance({
  describe,
  it,
  afterAll,
  name: 'CompressingSwapPager (swap file)',
  makePager: () => new CompressingSwapPager({ directory: conformanceDir, level: 9 }),
  capabilities: { pageOut: true, persistent: false, readOnly: false, zeroFill: true },
  pageSize: 1024,
  cleanup: () => {
    expect(readdirSync(conformanceDir)).toEqual([]); // every pager removed its file at destroy
    rmSync(conformanceDir, { recursive: true, force: true });
  },
});
