// Issue 11, divergences 2 and 3: a shared file mapping is opened for writing whenever the file allows it, so
// protect can give it write rights later (EACCES only when the file really cannot be written); and sync or
// unmap of any shared mapping writes back the file's dirty pages, whichever mapping dirtied them.
import * as nodefs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryFileSystem } from '../../fs/index.js';
import { useFilePager } from '../../pagers/file-pager/index.js';
import { AccessDeniedError, createAddressSpace, createVm, ProtectionFault, TOKENS, type Vm } from '../../vmcore/index.js';
import { filled, setup, type Setup } from './helpers.js';

let t: Setup;
beforeEach(() => {
  t = setup();
});
afterEach(() => t.done());

/** An instance over an in-memory file system holding `/tmp/f` (`pages` pages of 1s), with the file pager bound. */
async function memory(pages: number, options?: { readOnly?: boolean; mode?: number }): Promise<{ vm: Vm; mem: MemoryFileSystem }> {
  const mem = new MemoryFileSystem();
  const h = await mem.open('/tmp/f', { create: true, writable: true });
  await h.write(filled(pages * 4096, 1), 0);
  await h.close();
  if (options?.mode !== undefined) mem.chmod('/tmp/f', options.mode);
  if (options?.readOnly) mem.readOnly = true;
  const vm = createVm({ frames: 16 });
  vm.container.bind(TOKENS.FileSystem).toConstantValue(mem);
  useFilePager(vm);
  return { vm, mem };
}

describe('divergence 2: write rights on a shared mapping made without them', () => {
  it('protect(read, write) succeeds on a file that can be written, and the writes reach the file', async () => {
    const { space, ps } = t;
    const file = t.file('f', filled(2 * ps, 1));
    const a = await space.map({ file, length: 2 * ps, prot: 'read', share: 'shared' });
    space.protect(a, 2 * ps, ['read', 'write']);
    await space.write(a + ps, Uint8Array.of(9));
    await space.sync(a, 2 * ps);
    expect(t.disk(file)[ps]).toBe(9);
  });

  it('only part of the mapping: the pages given write rights take writes, the others still fault', async () => {
    const { space, ps } = t;
    const file = t.file('f', filled(2 * ps, 1));
    const a = await space.map({ file, length: 2 * ps, prot: 'read', share: 'shared' });
    space.protect(a + ps, ps, ['read', 'write']);
    await space.write(a + ps + 1, Uint8Array.of(7));
    await expect(space.write(a, Uint8Array.of(7))).rejects.toBeInstanceOf(ProtectionFault);
    await space.unmap(a, 2 * ps);
    expect([...t.disk(file).subarray(ps, ps + 2)]).toEqual([1, 7]);
  });

  it('the file pager: a file the instance may write is opened writable for a read-only shared mapping', async () => {
    const { vm, mem } = await memory(2);
    const as = createAddressSpace(vm);
    const a = await as.map({ file: '/tmp/f', length: 2 * 4096, prot: 'read', share: 'shared' });
    as.protect(a, 4096, ['read', 'write']);
    await as.write(a + 10, Uint8Array.of(5));
    await as.sync(a, 4096);
    expect(mem.contents('/tmp/f')[10]).toBe(5);
    await vm.destroy();
  });

  it('EACCES only when the file really cannot be written: permission bits (0444) or a read-only file system', async () => {
    for (const options of [{ mode: 0o444 }, { readOnly: true }]) {
      const { vm, mem } = await memory(1, options);
      const as = createAddressSpace(vm);
      const a = await as.map({ file: '/tmp/f', length: 4096, prot: 'read', share: 'shared' });
      expect(() => as.protect(a, 4096, ['read', 'write'])).toThrow(AccessDeniedError);
      expect(as.mappings()[0]!.prot).toEqual(['read']);
      await expect(as.map({ file: '/tmp/f', length: 4096, prot: ['read', 'write'], share: 'shared' })).rejects.toMatchObject({
        code: 'SPINVM_ACCESS_DENIED',
        errno: 'EACCES',
      });
      expect((await as.read(a, 1))[0]).toBe(1);
      await as.unmap(a, 4096); // nothing to write back: no error
      expect(mem.contents('/tmp/f')).toEqual(filled(4096, 1));
      await vm.destroy();
    }
  });

  it('the test mapper: a path it never grants write access to still answers EACCES', async () => {
    const { space, mapper, ps } = t;
    const file = t.file('ro', filled(ps, 1));
    mapper.readOnly.add(file);
    const a = await space.map({ file, length: ps, prot: 'read', share: 'shared' });
    expect(() => space.protect(a, ps, ['read', 'write'])).toThrow(AccessDeniedError);
  });
});

describe('divergence 3: sync and unmap write back the file’s dirty pages, whichever mapping dirtied them', () => {
  it('sync of a read-only shared mapping writes back what another shared mapping wrote', async () => {
    const { space, ps } = t;
    const file = t.file('f', filled(2 * ps, 1));
    const w = await space.map({ file, length: 2 * ps, prot: ['read', 'write'], share: 'shared' });
    const r = await space.map({ file, length: 2 * ps, prot: 'read', share: 'shared' });
    await space.write(w + ps + 3, Uint8Array.of(8));
    expect(t.disk(file)[ps + 3]).toBe(1);
    await space.sync(r + ps, ps);
    expect(t.disk(file)[ps + 3]).toBe(8);
  });

  it('unmap of a read-only shared mapping writes back, while the writer stays mapped', async () => {
    const { space, ps } = t;
    const file = t.file('f', filled(2 * ps, 1));
    const w = await space.map({ file, length: 2 * ps, prot: ['read', 'write'], share: 'shared' });
    const r = await space.map({ file, length: 2 * ps, prot: 'read', share: 'shared' });
    await space.write(w, Uint8Array.of(6));
    await space.unmap(r, 2 * ps);
    expect(t.disk(file)[0]).toBe(6);
  });

  it('in another address space too (fork shares the page set)', async () => {
    const { space, ps } = t;
    const file = t.file('f', filled(ps, 1));
    const w = await space.map({ file, length: ps, prot: ['read', 'write'], share: 'shared' });
    const other = space.fork();
    const r = await other.map({ file, length: ps, prot: 'read', share: 'shared' });
    await space.write(w, Uint8Array.of(4));
    await other.sync(r, ps);
    expect(t.disk(file)[0]).toBe(4);
    await other.destroy();
  });

  it('the file pager: a mapping opened read-only before the file became writable still writes back on sync', async () => {
    const { vm, mem } = await memory(1, { mode: 0o444 });
    const as = createAddressSpace(vm);
    const r = await as.map({ file: '/tmp/f', length: 4096, prot: 'read', share: 'shared' });
    mem.chmod('/tmp/f', 0o644);
    const w = await as.map({ file: '/tmp/f', length: 4096, prot: ['read', 'write'], share: 'shared' });
    expect(() => as.protect(r, 4096, ['read', 'write'])).toThrow(AccessDeniedError); // its own open was read-only
    await as.write(w + 1, Uint8Array.of(3));
    await as.sync(r, 4096);
    expect(mem.contents('/tmp/f')[1]).toBe(3);
    await vm.destroy();
  });

  it('real files through the file pager: sync of the read-only mapping', async () => {
    const { ps } = t;
    const file = t.file('g', filled(ps, 1));
    const vm = createVm({ frames: 8 });
    useFilePager(vm);
    const as = createAddressSpace(vm);
    const w = await as.map({ file, length: ps, prot: ['read', 'write'], share: 'shared' });
    const r = await as.map({ file, length: ps, prot: 'read', share: 'shared' });
    await as.write(w + 2, Uint8Array.of(2));
    await as.sync(r, ps);
    expect(nodefs.readFileSync(file)[2]).toBe(2);
    await vm.destroy();
  });
});
