// An address space needs only AddressSpaceHost of its instance: a Vm is one as it is, and so is a small host made by hand.
import { describe, expect, it } from 'vitest';
import { createAddressSpace, createVm, type AddressSpaceHost } from '../../vmcore/index.js';
import { expectNothingLeaked } from './helpers.js';

describe('AddressSpaceHost', () => {
  it('a Vm is an AddressSpaceHost, structurally', async () => {
    const vm = createVm({ pageSize: 512, frames: 8 });
    const host: AddressSpaceHost = vm;
    const space = createAddressSpace(host);
    expect(space.vm).toBe(vm);
    await vm.destroy();
    expect(space.isDestroyed).toBe(true);
  });

  it('an address space over a host that is not a Vm: it makes its objects, and its shutdown hook destroys the space', async () => {
    const vm = createVm({ pageSize: 512, frames: 8 });
    const made: string[] = [];
    const hooks: Array<() => void | Promise<void>> = [];
    const host: AddressSpaceHost = {
      pageSize: vm.pageSize,
      frames: vm.frames,
      createMemoryObject(options) {
        made.push(options.name ?? '?');
        return vm.createMemoryObject(options);
      },
      onBeforeShutdown(hook) {
        hooks.push(hook);
        return () => void hooks.splice(hooks.indexOf(hook), 1);
      },
      container: { isBound: () => false, get: () => undefined as never },
    };
    const space = createAddressSpace(host);
    const a = await space.map({ anonymous: true, length: 2 * 512, prot: ['read', 'write'], share: 'private' });
    expect(made).toEqual([]); // untouched memory costs no object
    await space.write(a + 3, Uint8Array.of(7));
    expect(made).toHaveLength(1);
    const child = space.fork();
    expect(await child.read(a + 2, 3)).toEqual(Uint8Array.of(0, 7, 0));
    expect(hooks).toHaveLength(2);
    for (const hook of [...hooks]) await hook();
    expect(space.isDestroyed && child.isDestroyed).toBe(true);
    expect(hooks).toHaveLength(0);
    expectNothingLeaked(vm);
    await vm.destroy();
  });
});
