// mprotect(2): changing the rights of any page range; mappings split on page boundaries and the pages outside keep their state.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PROT, ProtectionFault, UnmappedRangeError } from '../../vmcore/index.js';
import { setup, type Setup } from './helpers.js';
import { expectPages, FIVE_CASES, layout, type PageState } from './split-cases.js';

let t: Setup;
beforeEach(() => {
  t = setup();
});
afterEach(() => t.done());

describe('mprotect: the five ways a range cuts a mapping', () => {
  it.each(FIVE_CASES)('%s: the range gets the new rights and keeps its contents; the pages just outside keep theirs', async (_label, first, pages) => {
    const { space, ps } = t;
    const state = await layout(t);
    space.protect(first * ps, pages * ps, 'read');
    const expected = new Map<number, PageState | undefined>(state);
    for (let p = first; p < first + pages; p++) expected.set(p, { byte: state.get(p)!.byte, prot: ['read'] });
    await expectPages(space, ps, expected);
    // Giving the old rights back restores the three mappings exactly.
    space.protect(10 * ps, 2 * ps, 'read');
    space.protect(12 * ps, 8 * ps, ['read', 'write']);
    space.protect(20 * ps, 2 * ps, ['read', 'execute']);
    await expectPages(space, ps, state);
    expect(space.mappings().map((m) => [m.address / ps, m.length / ps])).toEqual([
      [10, 2],
      [12, 8],
      [20, 2],
    ]);
  });

  it('none: every access faults, and the contents come back with the rights', async () => {
    const { space, ps } = t;
    const a = await space.map({ anonymous: true, length: ps, prot: ['read', 'write'], share: 'private' });
    await space.write(a, Uint8Array.of(42));
    space.protect(a, ps, 'none');
    expect(() => space.getUint8(a)).toThrow(ProtectionFault);
    expect(() => space.trap(a, 'execute')).toThrow(ProtectionFault);
    space.protect(a, ps, PROT.READ);
    expect(space.getUint8(a)).toBe(42);
  });

  it('a range containing an unmapped page: UnmappedRangeError (ENOMEM), and nothing is changed', async () => {
    const { space, ps } = t;
    const a = await space.map({ anonymous: true, length: 2 * ps, address: 4 * ps, prot: ['read', 'write'], share: 'private' });
    await space.map({ anonymous: true, length: ps, address: 7 * ps, prot: ['read', 'write'], share: 'private' });
    const before = space.mappings();
    for (const [start, pages] of [
      [a, 4],
      [a - ps, 2],
      [a + ps, 3],
      [100 * ps, 1],
    ] as const) {
      let err: unknown;
      try {
        space.protect(start, pages * ps, 'read');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(UnmappedRangeError);
      expect(err).toMatchObject({ code: 'SPINVM_UNMAPPED_RANGE', errno: 'ENOMEM' });
      expect(space.mappings()).toEqual(before);
    }
    expect(err2().unmapped).toBe(a + 2 * ps);
    function err2(): UnmappedRangeError {
      try {
        space.protect(a, 4 * ps, 'read');
      } catch (e) {
        return e as UnmappedRangeError;
      }
      throw new Error('no error');
    }
  });

  it('a write-protected private page that was copied keeps its copy; write rights again reach the same copy', async () => {
    const { space, ps } = t;
    const file = t.file('f', new Uint8Array(2 * ps));
    const a = await space.map({ file, length: 2 * ps, prot: ['read', 'write'], share: 'private' });
    await space.write(a + ps, Uint8Array.of(9));
    space.protect(a + ps, ps, 'read');
    expect(space.getUint8(a + ps)).toBe(9);
    space.protect(a, 2 * ps, ['read', 'write']);
    space.setUint8(a + ps + 1, 8);
    expect(await space.read(a + ps, 2)).toEqual(Uint8Array.of(9, 8));
    expect(t.disk(file)).toEqual(new Uint8Array(2 * ps));
  });
});
