// The two caches (SPIN's cache object): which frame holds each resident page of one memory object.
import { describe, expect, it } from 'vitest';
import { HashCache, PAGE_TABLE_MAX_PAGES, PageTableCache, TOKENS, type Cache, type CacheFactory } from '../../vmcore/index.js';
import { smallVm } from '../helpers/small.js';

const CACHES: Array<[string, (pageCount: number) => Cache]> = [
  ['PageTableCache', (pageCount) => new PageTableCache(pageCount)],
  ['HashCache', () => new HashCache()],
];

function entries(cache: Cache): Array<[number, number]> {
  const seen: Array<[number, number]> = [];
  cache.iterate((page, frame) => seen.push([page, frame]));
  return seen.sort((a, b) => a[0] - b[0]);
}

describe.each(CACHES)('%s', (_name, make) => {
  it('starts empty: every page absent (-1), count 0, nothing to iterate', () => {
    const cache = make(8);
    for (let p = 0; p < 8; p++) expect(cache.lookup(p)).toBe(-1);
    expect(cache.count).toBe(0);
    expect(entries(cache)).toEqual([]);
  });

  it('update then lookup answers the frame; frame 0 is a frame, not an absence', () => {
    const cache = make(8);
    cache.update(3, 0);
    cache.update(7, 12);
    expect(cache.lookup(3)).toBe(0);
    expect(cache.lookup(7)).toBe(12);
    expect(cache.lookup(4)).toBe(-1);
    expect(cache.count).toBe(2);
  });

  it('updating a resident page replaces its frame without counting it twice', () => {
    const cache = make(8);
    cache.update(2, 5);
    cache.update(2, 6);
    expect(cache.lookup(2)).toBe(6);
    expect(cache.count).toBe(1);
  });

  it('invalidate forgets a page; invalidating an absent page changes nothing', () => {
    const cache = make(8);
    cache.update(1, 4);
    cache.update(2, 5);
    cache.invalidate(1);
    expect(cache.lookup(1)).toBe(-1);
    expect(cache.count).toBe(1);
    cache.invalidate(1);
    cache.invalidate(6);
    expect(cache.count).toBe(1);
    expect(entries(cache)).toEqual([[2, 5]]);
  });

  it('iterate visits every resident page once with its frame', () => {
    const cache = make(16);
    const want: Array<[number, number]> = [
      [0, 9],
      [5, 1],
      [15, 3],
    ];
    for (const [page, frame] of want) cache.update(page, frame);
    expect(entries(cache)).toEqual(want);
  });

  it('clear forgets everything', () => {
    const cache = make(8);
    for (let p = 0; p < 8; p++) cache.update(p, p);
    cache.clear();
    expect(cache.count).toBe(0);
    for (let p = 0; p < 8; p++) expect(cache.lookup(p)).toBe(-1);
    cache.update(4, 1);
    expect(cache.count).toBe(1);
  });
});

describe('PageTableCache', () => {
  it('answers -1 for a page past its table', () => {
    const cache = new PageTableCache(4);
    expect(cache.lookup(4)).toBe(-1);
    expect(cache.lookup(1000)).toBe(-1);
  });

  it('visits pages in page order', () => {
    const cache = new PageTableCache(8);
    for (const page of [6, 1, 4]) cache.update(page, page * 10);
    const pages: number[] = [];
    cache.iterate((page) => pages.push(page));
    expect(pages).toEqual([1, 4, 6]);
  });
});

describe('PageTableCache slices of a shared slab', () => {
  it('small tables never share entries: updates, invalidations and clears stay in their own pages', () => {
    const caches = Array.from({ length: 300 }, (_, k) => new PageTableCache(1 + (k % 7)));
    caches.forEach((c, k) => {
      for (let p = 0; p < 1 + (k % 7); p++) c.update(p, k * 10 + p);
    });
    caches.forEach((c, k) => {
      for (let p = 0; p < 1 + (k % 7); p++) expect(c.lookup(p)).toBe(k * 10 + p);
      expect(c.lookup(1 + (k % 7))).toBe(-1);
      expect(c.count).toBe(1 + (k % 7));
    });
    caches[5]!.clear();
    caches[6]!.invalidate(0);
    caches[6]!.update(9, 1); // past its pages: ignored, as a page table of its own ignores it
    expect(caches[5]!.lookup(0)).toBe(-1);
    expect(caches[6]!.lookup(0)).toBe(-1);
    expect(caches[6]!.count).toBe(6);
    expect(caches[4]!.lookup(4)).toBe(44);
    expect(caches[7]!.lookup(0)).toBe(70);
    expect(caches[6]!.table[caches[6]!.base + 9]).not.toBe(1);
  });

  it("a memory object's hit path reads its slice: many objects, each its own bytes", () => {
    const vm = smallVm({ frames: 64 });
    const objs = Array.from({ length: 32 }, () => vm.createMemoryObject({ size: 2 * vm.pageSize }));
    objs.forEach((o, k) => {
      o.request(1, 'write');
      o.setUint(vm.pageSize + 4, 4, k + 1);
    });
    objs.forEach((o, k) => expect(o.getUint(vm.pageSize + 4, 4)).toBe(k + 1));
    expect(() => objs[0]!.getUint(0, 4)).toThrow();
  });
});

describe('HashCache', () => {
  it('holds pages far past 2^32', () => {
    const cache = new HashCache();
    cache.update(2 ** 40, 3);
    expect(cache.lookup(2 ** 40)).toBe(3);
    expect(cache.lookup(2 ** 40 + 1)).toBe(-1);
  });
});

describe('the default cache factory', () => {
  it(`gives a page table to objects of up to ${PAGE_TABLE_MAX_PAGES} pages and a hash table to larger ones`, () => {
    const factory = smallVm({ frames: 2 }).container.get<CacheFactory>(TOKENS.CacheFactory);
    expect(PAGE_TABLE_MAX_PAGES).toBe(2 ** 20);
    expect(factory(1)).toBeInstanceOf(PageTableCache);
    expect(factory(PAGE_TABLE_MAX_PAGES)).toBeInstanceOf(PageTableCache);
    expect(factory(PAGE_TABLE_MAX_PAGES + 1)).toBeInstanceOf(HashCache);
  });
});
