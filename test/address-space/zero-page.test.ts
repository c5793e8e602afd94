// The zero page: one read-only page of zeros per page size, shared by every address space of the process,
// the source of every first write to anonymous memory. Nobody may write it; these tests check nobody did.
import { afterEach, describe, expect, it } from 'vitest';
import { zeroPage } from '../../vmcore/address-space/zero-page.js';
import { NotResidentError, type AddressSpace } from '../../vmcore/index.js';
import { Prng } from '../helpers/prng.js';
import { setup, type Setup } from './helpers.js';

function allZero(page: Uint8Array): boolean {
  return page.every((b) => b === 0);
}

let setups: Setup[] = [];
afterEach(async () => {
  for (const t of setups) await t.done();
  setups = [];
});

describe('the zero page', () => {
  it('is one page per page size, for the whole process', () => {
    expect(zeroPage(512)).toBe(zeroPage(512));
    expect(zeroPage(4096)).toBe(zeroPage(4096));
    expect(zeroPage(512)).not.toBe(zeroPage(4096));
    expect(zeroPage(512).length).toBe(512);
    expect(zeroPage(4096).length).toBe(4096);
  });

  it('first writes to anonymous memory copy it and leave it zero: the rest of each new page reads zero', async () => {
    const t = setup({ pageSize: 512, frames: 8 });
    setups.push(t);
    const { space, ps } = t;
    const a = await space.map({ anonymous: true, length: 4 * ps, prot: ['read', 'write'], share: 'private' });
    const b = await space.map({ anonymous: true, length: 4 * ps, prot: ['read', 'write'], share: 'shared' });
    for (let i = 0; i < 4; i++) {
      await space.write(a + i * ps + i, Uint8Array.of(0xff, 0xfe));
      await space.write(b + i * ps + 7, Uint8Array.of(0xee));
    }
    expect(allZero(zeroPage(ps))).toBe(true);
    const page = await space.read(a + 2 * ps, ps);
    expect(page[2]).toBe(0xff);
    expect(page[3]).toBe(0xfe);
    expect(allZero(page.subarray(4))).toBe(true);
  });

  it('stays zero after a random workload: writes, forks, dontneed, remap, locks and evictions over two page sizes', async () => {
    const rng = new Prng(0x2e40);
    for (const pageSize of [512, 4096]) {
      const t = setup({ pageSize, frames: 6, swap: true });
      setups.push(t);
      const ps = t.ps;
      const spaces: AddressSpace[] = [t.space];
      const bases: number[] = [];
      bases.push(await t.space.map({ anonymous: true, length: 6 * ps, prot: ['read', 'write'], share: 'private' }));
      bases.push(await t.space.map({ anonymous: true, length: 4 * ps, prot: ['read', 'write'], share: 'shared' }));
      const lengths = [6 * ps, 4 * ps];
      for (let step = 0; step < 400; step++) {
        const space = rng.pick(spaces);
        const m = rng.int(bases.length);
        const at = bases[m]! + rng.int(lengths[m]! - 8);
        const room = bases[m]! + lengths[m]! - at;
        switch (rng.int(8)) {
          case 0:
          case 1: {
            const bytes = new Uint8Array(rng.range(1, 2 * ps));
            for (let i = 0; i < bytes.length; i++) bytes[i] = rng.range(1, 255);
            await space.write(at, bytes.subarray(0, Math.min(bytes.length, room)));
            break;
          }
          case 2: {
            for (let p; (p = space.trap(at, 'write', 4));) await p;
            try {
              space.setUint32(at, (rng.next() | 1) >>> 0);
            } catch (err) {
              if (!(err instanceof NotResidentError)) throw err; // evicted between the trap and the store
            }
            break;
          }
          case 3:
            await space.read(at, Math.min(rng.range(1, ps), room));
            break;
          case 4:
            if (spaces.length < 4) spaces.push(space.fork());
            break;
          case 5:
            await space.advise(bases[0]! + rng.int(6) * ps, ps, 'dontneed');
            break;
          case 6: {
            const page = bases[0]! + rng.int(6) * ps;
            await space.lock(page, ps);
            await space.write(page + rng.int(ps - 1), Uint8Array.of(rng.range(1, 255)));
            space.unlock(page, ps);
            break;
          }
          case 7: {
            // Shrink the private mapping's last page away and grow it back: fresh zero-filled pages again.
            await space.remap(bases[0]!, 6 * ps, 5 * ps);
            expect(await space.remap(bases[0]!, 5 * ps, 6 * ps)).toBe(bases[0]);
            break;
          }
        }
        expect(allZero(zeroPage(ps)), `zero page of ${ps} bytes after step ${step}`).toBe(true);
      }
      for (const s of spaces) await s.destroy();
    }
  });
});
