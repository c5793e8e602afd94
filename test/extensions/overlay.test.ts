import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as overlay from '../../extensions/examples/overlay/index.js';
import { OverlayPager } from '../../extensions/examples/overlay/index.js';
import { extensionsOf } from '../../extensions/index.js';
import type { FileSystem, OpenOptions } from '../../fs/file-system.js';
import { NodeFileSystem } from '../../fs/node-file-system.js';
import { createVm, PagerIoError, type Vm } from '../../vmcore/index.js';
import { definePagerConformance, patternPage } from '../../conformance/index.js';
import { pattern } from '../helpers/pagers.js';

const PS = 4096;
const BASE_BYTES = PS * 40 + 1234; // ends inside a page
let vm: Vm;
let dir: string;
let base: string;
let image: Uint8Array;

const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

beforeEach(() => {
  vm = createVm({ pageSize: PS, frames: 4 });
  dir = mkdtempSync(join(tmpdir(), 'spinvm-overlay-'));
  base = join(dir, 'disk.img');
  image = pattern(BASE_BYTES, 4242);
  writeFileSync(base, image);
});
afterEach(async () => {
  await vm.destroy().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

/** What a fresh overlay over the image reads as: the image, then zeros. */
function expected(size: number): Uint8Array {
  const out = new Uint8Array(size);
  out.set(image.subarray(0, Math.min(size, image.length)));
  return out;
}

describe('the overlay extension: a disk image that must not change', () => {
  it('serves the image, keeps every write in its own store, and leaves the base file byte for byte as it was', async () => {
    const before = { hash: sha(base), size: statSync(base).size, mtime: statSync(base).mtimeMs };
    await extensionsOf(vm).load(overlay, { options: { base } });
    const size = BASE_BYTES + PS * 3; // past the end of the image: zeros, writable too
    const disk = vm.createMemoryObject({ size, pager: 'overlay' });
    const model = expected(size);
    expect(await disk.read(0, size)).toEqual(model);
    // Scattered writes across the image, its partial last page and past its end, through 4 frames.
    for (const [offset, length, seed] of [
      [0, 100, 1],
      [PS * 3 - 10, 50, 2],
      [PS * 17, PS * 2, 3],
      [BASE_BYTES - 20, 40, 4],
      [size - 300, 300, 5],
    ] as const) {
      const bytes = pattern(length, seed);
      await disk.write(offset, bytes);
      model.set(bytes, offset);
    }
    await disk.flush();
    expect(await disk.read(0, size)).toEqual(model);
    const pager = disk.pager as OverlayPager;
    expect(pager.writtenPages()).toEqual([0, 2, 3, 17, 18, 40, 43]);
    expect(pager.stat()).toMatchObject({ baseBytes: BASE_BYTES, writtenPages: 7 });
    expect(pager.stat().baseReads).toBeGreaterThan(0);
    await disk.destroy();
    // Plain fs: the image is exactly what it was.
    expect(sha(base)).toBe(before.hash);
    expect(statSync(base).size).toBe(before.size);
    expect(statSync(base).mtimeMs).toBe(before.mtime);
    expect(new Uint8Array(readFileSync(base))).toEqual(image);
  });

  it('opens the base read-only: the pager could not write it even by mistake', async () => {
    const opened: Array<{ path: string; options: OpenOptions | undefined }> = [];
    const real = new NodeFileSystem();
    const spy: FileSystem = Object.assign(Object.create(real) as FileSystem, {
      openSync: (path: string, options?: OpenOptions) => {
        opened.push({ path, options });
        return real.openSync(path, options);
      },
    });
    const disk = vm.createMemoryObject({ size: BASE_BYTES, pager: new OverlayPager({ base, fs: spy }) });
    await disk.write(0, pattern(PS, 9));
    await disk.flush();
    expect(opened).toEqual([{ path: base, options: undefined }]);
  });

  it('with an overlay file, written pages survive the pager and a crash-free reopen', async () => {
    const journal = join(dir, 'disk.overlay');
    await extensionsOf(vm).load(overlay, { options: { base, overlay: journal, name: 'disk' } });
    const first = vm.createMemoryObject({ size: BASE_BYTES, pager: 'disk' });
    await first.write(PS * 5 + 7, pattern(999, 77));
    await first.write(PS * 39, pattern(PS, 78));
    await first.flush();
    await first.destroy();
    const model = expected(BASE_BYTES);
    model.set(pattern(999, 77), PS * 5 + 7);
    model.set(pattern(PS, 78).subarray(0, BASE_BYTES - PS * 39), PS * 39);
    const second = vm.createMemoryObject({ size: BASE_BYTES, pager: 'disk' });
    expect(await second.read(0, BASE_BYTES)).toEqual(model);
    expect((second.pager as OverlayPager).writtenPages()).toEqual([5, 39]);
    expect(new Uint8Array(readFileSync(base))).toEqual(image);
  });

  it('discard() drops the written pages: the image shows through again', async () => {
    const pager = new OverlayPager({ base });
    const disk = vm.createMemoryObject({ size: BASE_BYTES, pager });
    await disk.write(0, pattern(PS * 8, 5));
    await disk.flush();
    expect(pager.writtenPages()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    pager.discard([0, 1, 2, 3]);
    expect(pager.writtenPages()).toEqual([4, 5, 6, 7]);
    pager.discard();
    expect(pager.writtenPages()).toEqual([]);
  });

  it('an overlay file made with another page size is refused when the object is made', async () => {
    const journal = join(dir, 'small.overlay');
    const small = createVm({ pageSize: 1024, frames: 4 });
    const o = small.createMemoryObject({ size: 4096, pager: new OverlayPager({ base, overlay: journal }) });
    await o.write(0, pattern(10, 1));
    await small.destroy();
    expect(() => vm.createMemoryObject({ size: PS, pager: new OverlayPager({ base, overlay: journal }) })).toThrow(PagerIoError);
  });

  it('a missing base is a typed error; options without a base fail the load', async () => {
    expect(() => vm.createMemoryObject({ size: PS, pager: new OverlayPager({ base: join(dir, 'nope.img') }) })).toThrow(/nope\.img/);
    await expect(extensionsOf(vm).load(overlay)).rejects.toMatchObject({ reason: 'activate-failed' });
    await expect(extensionsOf(vm).load(overlay, { options: { overlay: 'x' } })).rejects.toMatchObject({ reason: 'activate-failed' });
  });
});

// The conformance kit: never-written pages read as the image declares, and (with a file) persist.
const kitDir = mkdtempSync(join(tmpdir(), 'spinvm-overlay-kit-'));
const KIT_PS = 1024;
const KIT_BASE_PAGES = 30;
const kitBase = join(kitDir, 'base.img');
const kitImage = new Uint8Array(KIT_PS * KIT_BASE_PAGES + 100);
for (let p = 0; p * KIT_PS < kitImage.length; p++)
  kitImage.set(patternPage(KIT_PS, p + 500).subarray(0, Math.min(KIT_PS, kitImage.length - p * KIT_PS)), p * KIT_PS);
writeFileSync(kitBase, kitImage);
const initialPage = (page: number, ps: number): Uint8Array => {
  const out = new Uint8Array(ps);
  if (page * ps < kitImage.length) out.set(kitImage.subarray(page * ps, Math.min(kitImage.length, (page + 1) * ps)));
  return out;
};
let journals = 0;
const journalOf = new WeakMap<object, string>();

definePagerConformance({
  describe,
  it,
  name: 'OverlayPager (in memory)',
  makePager: () => new OverlayPager({ base: kitBase }),
  capabilities: { pageOut: true, persistent: false, readOnly: false, zeroFill: false },
  initialPage,
  pageSize: KIT_PS,
});

definePagerConformance({
  describe,
  it,
  afterAll,
  name: 'OverlayPager (overlay file)',
  makePager: () => {
    const path = join(kitDir, `overlay-${journals++}`);
    const pager = new OverlayPager({ base: kitBase, overlay: path });
    journalOf.set(pager, path);
    return pager;
  },
  reopen: (previous) => {
    const path = journalOf.get(previous)!;
    const pager = new OverlayPager({ base: kitBase, overlay: path });
    journalOf.set(pager, path); // reopened again later, by the kit's persistence model
    return pager;
  },
  capabilities: { pageOut: true, persistent: true, readOnly: false, zeroFill: false },
  initialPage,
  pageSize: KIT_PS,
  cleanup: () => {
    expect(new Uint8Array(readFileSync(kitBase))).toEqual(kitImage);
    rmSync(kitDir, { recursive: true, force: true });
  },
});
