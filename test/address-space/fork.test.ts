// fork(2): shared mappings stay shared; private and anonymous memory becomes copy-on-write, lazily, in both spaces.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAddressSpace, DestroyedError, type AddressSpace } from '../../vmcore/index.js';
import { expectNothingLeaked, filled, setup, type Setup } from './helpers.js';

let t: Setup;
beforeEach(() => {
  t = setup({ frames: 128 });
});
afterEach(() => t.done());

async function byte(space: AddressSpace, address: number): Promise<number> {
  return (await space.read(address, 1))[0]!;
}

describe('fork: copy-on-write', () => {
  it('copies nothing at fork; the first write on either side copies just that page', async () => {
    const { space, vm, ps } = t;
    const a = await space.map({ anonymous: true, length: 4 * ps, prot: ['read', 'write'], share: 'private' });
    await space.write(a, filled(4 * ps, 1));
    const free = vm.stat().freeFrames;
    const child = space.fork();
    expect(vm.stat().freeFrames).toBe(free);
    expect(await child.read(a, 4 * ps)).toEqual(filled(4 * ps, 1));
    expect(vm.stat().freeFrames).toBe(free);
    await child.write(a + 2 * ps, Uint8Array.of(2));
    expect(vm.stat().freeFrames).toBe(free - 1);
    await space.write(a + 3 * ps, Uint8Array.of(3));
    expect(vm.stat().freeFrames).toBe(free - 2);
    expect(child.stat()).toMatchObject({ resident: 4 * ps, private: ps, shared: 3 * ps });
    await child.destroy();
  });

  it("neither side sees the other's later writes: parent to child and child to parent", async () => {
    const { space, ps } = t;
    const a = await space.map({ anonymous: true, length: 2 * ps, prot: ['read', 'write'], share: 'private' });
    await space.write(a, Uint8Array.of(1, 1));
    const child = space.fork();
    await space.write(a, Uint8Array.of(2));
    await child.write(a + 1, Uint8Array.of(3));
    await child.write(a + ps, Uint8Array.of(4)); // a page never written before the fork: the zero page
    expect(await space.read(a, 2)).toEqual(Uint8Array.of(2, 1));
    expect(await child.read(a, 2)).toEqual(Uint8Array.of(1, 3));
    expect([await byte(space, a + ps), await byte(child, a + ps)]).toEqual([0, 4]);
    await child.destroy();
  });

  it("private file mappings too: the child keeps the parent's copies from before the fork, and the file is never written", async () => {
    const { space, ps } = t;
    const file = t.file('f', filled(2 * ps, 1));
    const a = await space.map({ file, length: 2 * ps, prot: ['read', 'write'], share: 'private' });
    await space.write(a, Uint8Array.of(5));
    const child = space.fork();
    await space.write(a, Uint8Array.of(6));
    await child.write(a + ps, Uint8Array.of(7));
    expect([await byte(space, a), await byte(child, a), await byte(space, a + ps), await byte(child, a + ps)]).toEqual([6, 5, 1, 7]);
    await child.destroy();
    await space.destroy();
    expect(t.disk(file)).toEqual(filled(2 * ps, 1));
  });

  it('shared mappings stay shared: anonymous and file, both ways', async () => {
    const { space, ps } = t;
    const file = t.file('f', new Uint8Array(ps));
    const s = await space.map({ anonymous: true, length: ps, prot: ['read', 'write'], share: 'shared' });
    const f = await space.map({ file, length: ps, prot: ['read', 'write'], share: 'shared' });
    const child = space.fork();
    await space.write(s, Uint8Array.of(1));
    await child.write(s + 1, Uint8Array.of(2));
    await child.write(f, Uint8Array.of(3));
    expect(await space.read(s, 2)).toEqual(Uint8Array.of(1, 2));
    expect(await child.read(s, 2)).toEqual(Uint8Array.of(1, 2));
    expect(await byte(space, f)).toBe(3);
    await child.destroy(); // unmapping the child's shared file mapping syncs it
    expect(t.disk(file)[0]).toBe(3);
    expect(await byte(space, f)).toBe(3);
  });

  it('a fork of a fork: three generations, each with its own view', async () => {
    const { space, ps } = t;
    const a = await space.map({ anonymous: true, length: ps, prot: ['read', 'write'], share: 'private' });
    await space.write(a, Uint8Array.of(1, 1, 1));
    const child = space.fork();
    await child.write(a + 1, Uint8Array.of(2));
    const grandchild = child.fork();
    await grandchild.write(a + 2, Uint8Array.of(3));
    await child.write(a + 2, Uint8Array.of(4));
    await space.write(a, Uint8Array.of(5));
    expect(await space.read(a, 3)).toEqual(Uint8Array.of(5, 1, 1));
    expect(await child.read(a, 3)).toEqual(Uint8Array.of(1, 2, 4));
    expect(await grandchild.read(a, 3)).toEqual(Uint8Array.of(1, 2, 3));
    await grandchild.destroy();
    await child.destroy();
  });

  it('split mappings fork too, each piece with its own offset', async () => {
    const { space, ps } = t;
    const data = Uint8Array.from({ length: 4 * ps }, (_, i) => Math.floor(i / ps) + 1);
    const file = t.file('f', data);
    const a = await space.map({ file, length: 4 * ps, prot: ['read', 'write'], share: 'private' });
    await space.write(a + 3 * ps, Uint8Array.of(9));
    await space.unmap(a + ps, ps);
    const child = space.fork();
    await child.write(a + 2 * ps + 1, Uint8Array.of(8));
    expect(await child.read(a + 2 * ps, 2)).toEqual(Uint8Array.of(3, 8));
    expect(await child.read(a + 3 * ps, 2)).toEqual(Uint8Array.of(9, 4));
    expect(await space.read(a + 2 * ps, 2)).toEqual(Uint8Array.of(3, 3));
    expect(child.mappings()).toEqual(space.mappings());
    await child.destroy();
  });

  const orders = [
    ['parent first', (p: AddressSpace, c: AddressSpace) => [p, c]],
    ['child first', (p: AddressSpace, c: AddressSpace) => [c, p]],
  ] as const;
  it.each(orders)('destroying the parent or the child (%s) keeps the other correct; nothing leaks after both', async (_label, order) => {
    const { space, vm, ps } = t;
    const file = t.file('f', filled(2 * ps, 1));
    const a = await space.map({ anonymous: true, length: 2 * ps, prot: ['read', 'write'], share: 'private' });
    const f = await space.map({ file, length: 2 * ps, prot: ['read', 'write'], share: 'private' });
    const s = await space.map({ anonymous: true, length: ps, prot: ['read', 'write'], share: 'shared' });
    await space.write(a, filled(2 * ps, 2));
    await space.write(f, Uint8Array.of(3));
    await space.write(s, Uint8Array.of(4));
    const child = space.fork();
    await space.write(a, Uint8Array.of(5));
    await child.write(a + ps, Uint8Array.of(6));
    const [first, second] = order(space, child);
    await first.destroy();
    await expect(first.read(a, 1)).rejects.toBeInstanceOf(DestroyedError);
    const mine = second === space ? [5, 2, 2, 3, 4] : [2, 6, 2, 3, 4];
    expect([await byte(second, a), await byte(second, a + ps), await byte(second, a + 1), await byte(second, f), await byte(second, s)]).toEqual(mine);
    await second.write(a + 1, Uint8Array.of(7));
    expect(await byte(second, a + 1)).toBe(7);
    await second.destroy();
    expectNothingLeaked(vm);
  });

  it('many generations forked and destroyed in any order leak nothing', async () => {
    const { space, vm, ps } = t;
    const a = await space.map({ anonymous: true, length: 2 * ps, prot: ['read', 'write'], share: 'private' });
    let live: AddressSpace[] = [space];
    for (let i = 0; i < 12; i++) {
      const parent = live[i % live.length]!;
      const child = parent.fork();
      await child.write(a + (i % 2) * ps + i, Uint8Array.of(i + 1));
      live.push(child);
      if (i % 3 === 2) {
        const victim = live.splice(1, 1)[0]!;
        await victim.destroy();
      }
    }
    for (const s of live) expect((await s.read(a, 1)).length).toBe(1);
    for (const s of live.reverse()) await s.destroy();
    expectNothingLeaked(vm);
    live = [];
  });

  it('an address space from createAddressSpace is empty, and destroying the instance destroys its spaces', async () => {
    const { vm, ps } = t;
    const other = createAddressSpace(vm);
    expect(other.mappings()).toEqual([]);
    await other.map({ anonymous: true, length: ps, prot: 'read', share: 'private' });
    await vm.destroy();
    expect(other.isDestroyed).toBe(true);
  });
});
