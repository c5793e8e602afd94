// The shadow chain's one translate per page: a named answer (Zero, Page, BusError, CopyNeeded) and where it leads.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MappableFile } from '../../vmcore/address-space/file-mapper.js';
import { Base, Shadow } from '../../vmcore/address-space/levels.js';
import { Translation, Translator } from '../../vmcore/address-space/translate.js';
import { createVm, type MemoryObject, type Vm } from '../../vmcore/index.js';

const PS = 512;
let vm: Vm;
let object: MemoryObject;
let t: Translator;
beforeEach(() => {
  vm = createVm({ pageSize: PS, frames: 8 });
  object = vm.createMemoryObject({ size: 4 * PS, name: 'bottom' });
  t = new Translator();
});
afterEach(() => vm.destroy());

/** A shadow whose object holds `pages`. */
function holding(level: Shadow, ...pages: number[]): Shadow {
  level.object = vm.createMemoryObject({ size: level.pages * PS, name: level.label });
  for (const p of pages) level.owned.add(p);
  return level;
}

describe('Translator.translate', () => {
  it('anonymous memory: the zero page for a read, a copy from the zero page for a write, the top once it holds the page', () => {
    const top = new Shadow(4, undefined, 0, 'anon');
    expect(t.translate(top, 1, false)).toBe(Translation.Zero);
    expect(t.object).toBeUndefined();
    expect(t.translate(top, 1, true)).toBe(Translation.CopyNeeded);
    expect(t.object).toBeUndefined(); // the zero page
    holding(top, 1);
    for (const write of [false, true]) {
      expect(t.translate(top, 1, write)).toBe(Translation.Page);
      expect([t.object, t.page]).toEqual([top.object, 1]);
    }
  });

  it('a private mapping over an object: reads go to the object at the offset, a write must copy up from there', () => {
    const top = new Shadow(2, new Base(object, undefined, true, 'bottom'), 2, 'private');
    expect(t.translate(top, 1, false)).toBe(Translation.Page);
    expect([t.object, t.page]).toEqual([object, 3]);
    expect(t.translate(top, 1, true)).toBe(Translation.CopyNeeded);
    expect([t.object, t.page]).toEqual([object, 3]);
  });

  it('a shared mapping (the Base itself): reads and writes go straight to the object; past its end is a BusError', () => {
    const base = new Base(object, undefined, true, 'bottom');
    expect(t.translate(base, 3, true)).toBe(Translation.Page);
    expect([t.object, t.page]).toEqual([object, 3]);
    expect(t.translate(base, 4, false)).toBe(Translation.BusError);
    expect(t.translate(base, 4, true)).toBe(Translation.BusError);
    expect(t.object).toBeUndefined();
  });

  it('after a fork: a frozen level holding the page is read, and copied from on a write; a dropped page skips it', () => {
    const frozen = holding(new Shadow(4, new Base(object, undefined, true, 'bottom'), 0, 'frozen'), 2);
    const top = new Shadow(4, frozen, 0, 'top');
    expect(t.translate(top, 2, false)).toBe(Translation.Page);
    expect([t.object, t.page]).toEqual([frozen.object, 2]);
    expect(t.translate(top, 2, true)).toBe(Translation.CopyNeeded);
    expect([t.object, t.page]).toEqual([frozen.object, 2]);
    top.dropped = new Set([2]); // advise(..., 'dontneed'): read from the bottom again
    expect(t.translate(top, 2, false)).toBe(Translation.Page);
    expect([t.object, t.page]).toEqual([object, 2]);
  });

  it('past the end of a file: one size check when asked to recheck (the file may have grown), none for inspection', () => {
    let size = 2 * PS;
    const refreshSize = vi.fn(() => (size = 3 * PS));
    const file = {
      object,
      get size() {
        return size;
      },
      refreshSize,
      writable: true,
      sync: async () => {},
      close: async () => {},
    } satisfies MappableFile;
    const base = new Base(object, file, true, '/f');
    expect(t.translate(base, 2, false, false)).toBe(Translation.BusError);
    expect(refreshSize).not.toHaveBeenCalled();
    expect(t.translate(base, 2, false)).toBe(Translation.Page);
    expect(refreshSize).toHaveBeenCalledTimes(1);
    expect(t.translate(base, 3, false)).toBe(Translation.BusError);
  });
});
