// The translation cache's range entry: a region mapping a caller's object as it is is cached whole, and
// every access through it still sees what the slow path would (evictions, the object's end, page straddles).
import { afterEach, describe, expect, it } from 'vitest';
import { AddressNotResidentError } from '../../vmcore/index.js';
import { setup, type Setup } from './helpers.js';

let t: Setup;
afterEach(() => t.done());

describe('the translation cache over a mapped object', () => {
  it('reads and writes all over the region after one translation, as the object holds them', async () => {
    t = setup({ pageSize: 512, frames: 16 });
    const { vm, space, ps } = t;
    const obj = vm.createMemoryObject({ size: 8 * ps });
    for (let p = 0; p < 8; p++) obj.request(p, 'write');
    const a = await space.map({ object: obj, offset: 2 * ps, length: 6 * ps, prot: ['read', 'write'], share: 'shared' });
    for (let i = 0; i < 6 * ps; i += 4) space.setUint32(a + i, (i * 2654435761) >>> 0);
    for (let i = 0; i < 6 * ps; i += 4) {
      expect(space.getUint32(a + i)).toBe((i * 2654435761) >>> 0);
      expect(obj.getUint(2 * ps + i, 4)).toBe((i * 2654435761) >>> 0);
    }
    // A 4-byte access across two pages of the region reads both, little-endian.
    space.setUint32(a + ps - 2, 0x11223344);
    expect(space.getUint32(a + ps - 2)).toBe(0x11223344);
    expect(obj.getUint(3 * ps - 2, 2)).toBe(0x3344);
    expect(obj.getUint(3 * ps, 2)).toBe(0x1122);
  });

  it('a page evicted behind the cached range is a not-resident fault, not a stale read', async () => {
    t = setup({ pageSize: 512, frames: 4 });
    const { vm, space, ps } = t;
    const obj = vm.createMemoryObject({ size: 8 * ps });
    const a = await space.map({ object: obj, offset: 0, length: 8 * ps, prot: ['read', 'write'], share: 'shared' });
    obj.request(0, 'write');
    obj.setUint(0, 4, 7);
    expect(space.getUint32(a)).toBe(7);
    // Seven more pages through a pool of four frames: some pages the range covers are evicted.
    for (let p = 1; p < 8; p++) obj.request(p, 'read');
    for (let p = 0; p < 8; p++) {
      if (obj.isResident(p * ps, 4)) expect(space.getUint32(a + p * ps)).toBe(p === 0 ? 7 : 0);
      else expect(() => space.getUint32(a + p * ps)).toThrow(AddressNotResidentError);
    }
  });

  it('stops at the object: its partial last page reads as the checked path reads it (zeros past the end)', async () => {
    t = setup({ pageSize: 512, frames: 8 });
    const { vm, space, ps } = t;
    const obj = vm.createMemoryObject({ size: 2 * ps + 100 });
    for (let p = 0; p < 3; p++) obj.request(p, 'write');
    obj.setUint(2 * ps + 96, 4, 0xdeadbeef);
    const a = await space.map({ object: obj, offset: 0, length: 3 * ps, prot: ['read', 'write'], share: 'shared' });
    expect(space.getUint32(a)).toBe(0);
    expect(space.getUint32(a + 2 * ps + 96)).toBe(0xdeadbeef);
    expect(space.getUint32(a + 2 * ps + 98)).toBe(0xdead);
    expect(space.getUint32(a + 2 * ps + 100)).toBe(0);
    expect(space.getUint32(a + 3 * ps - 4)).toBe(0);
  });
});
