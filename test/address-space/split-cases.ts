import { expect } from 'vitest';
import { ProtectionFault, SegmentationFault, type AddressSpace, type ProtName } from '../../vmcore/index.js';
import { filled, type Setup } from './helpers.js';

/**
 * The layout every split case starts from, pages 10 to 21 with no gap:
 *   10-11  G1: a private file mapping, read-only, bytes 0xa1
 *   12-19  M:  private anonymous memory, read-write, page 12 + i holds byte i + 1
 *   20-21  G2: shared anonymous memory, read + execute, bytes 0xa2
 */
export const FIRST = 10;
export const LAST = 21;

export interface PageState {
  byte: number;
  prot: ProtName[];
}

export async function layout(t: Setup): Promise<Map<number, PageState>> {
  const { space, ps } = t;
  const file = t.file('guard', filled(2 * ps, 0xa1));
  await space.map({ file, length: 2 * ps, address: 10 * ps, fixed: true, prot: 'read', share: 'private' });
  await space.map({ anonymous: true, length: 8 * ps, address: 12 * ps, fixed: true, prot: ['read', 'write'], share: 'private' });
  for (let i = 0; i < 8; i++) await space.write((12 + i) * ps, filled(ps, i + 1));
  await space.map({ anonymous: true, length: 2 * ps, address: 20 * ps, fixed: true, prot: ['read', 'write'], share: 'shared' });
  await space.write(20 * ps, filled(2 * ps, 0xa2));
  space.protect(20 * ps, 2 * ps, ['read', 'execute']);
  const state = new Map<number, PageState>();
  for (let p = FIRST; p <= LAST; p++) {
    if (p < 12) state.set(p, { byte: 0xa1, prot: ['read'] });
    else if (p < 20) state.set(p, { byte: p - 11, prot: ['read', 'write'] });
    else state.set(p, { byte: 0xa2, prot: ['read', 'execute'] });
  }
  return state;
}

/** The five ways a range can cut mapping M (pages 12-19), as [label, first page, pages]. */
export const FIVE_CASES: ReadonlyArray<readonly [string, number, number]> = [
  ['whole: exactly the mapping', 12, 8],
  ['enclosing: the range encloses the mapping and a page of each neighbour', 11, 10],
  ['head overlap: the range covers the start of the mapping', 11, 4],
  ['tail overlap: the range covers the end of the mapping', 17, 4],
  ['hole in the middle', 14, 3],
];

/** Checks every page of the layout against `expected` (undefined = unmapped): contents (first and last byte) and rights. */
export async function expectPages(space: AddressSpace, ps: number, expected: Map<number, PageState | undefined>): Promise<void> {
  for (let p = FIRST - 1; p <= LAST + 1; p++) {
    const want = expected.get(p);
    const a = p * ps;
    if (!want) {
      expect(() => space.trap(a, 'read'), `page ${p} should be unmapped`).toThrow(SegmentationFault);
      continue;
    }
    const prot = space.mappings().find((m) => m.address <= a && a < m.address + m.length)?.prot;
    expect(prot, `protection of page ${p}`).toEqual(want.prot);
    if (want.prot.includes('read')) {
      const page = await space.read(a, ps);
      expect([page[0], page[ps - 1]], `contents of page ${p}`).toEqual([want.byte, want.byte]);
    } else expect(() => space.trap(a, 'read')).toThrow(ProtectionFault);
    if (!want.prot.includes('write')) {
      await expect(space.write(a, Uint8Array.of(0)), `page ${p} must not be writable`).rejects.toBeInstanceOf(ProtectionFault);
    }
  }
}
