import * as nodefs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryFileSystem } from '../../fs/index.js';
import { useFilePager } from '../../pagers/file-pager/index.js';
import { AccessDeniedError, BusError, createAddressSpace, createVm, TOKENS } from '../../vmcore/index.js';

let dir: string;
beforeEach(() => {
  dir = nodefs.mkdtempSync(path.join(os.tmpdir(), 'spinvm-as-file-'));
});
afterEach(() => nodefs.rmSync(dir, { recursive: true, force: true }));

describe('address spaces over the file pager (useFilePager)', () => {
  it('the README example: private and shared mappings of one file, fork, sync, invalidate', async () => {
    const file = path.join(dir, 'disk.img');
    nodefs.writeFileSync(file, new Uint8Array(65536));
    const vm = createVm({ frames: 8 });
    useFilePager(vm);
    const as = createAddressSpace(vm);
    const priv = await as.map({ file, length: 65536, prot: ['read', 'write'], share: 'private' });
    const shared = await as.map({ file, length: 65536, prot: ['read', 'write'], share: 'shared' });
    await as.write(priv, new TextEncoder().encode('scratch'));
    await as.write(shared, new TextEncoder().encode('hello'));
    const child = as.fork();
    await child.write(priv, Uint8Array.of(0x53));
    expect((await as.read(priv, 1))[0]).toBe('s'.charCodeAt(0)); // the parent keeps its own copy
    let p: Promise<void> | undefined;
    while ((p = as.trap(shared, 'read', 4))) await p;
    expect(as.getUint32(shared)).toBe(0x6c6c6568); // 'hell', little-endian
    await as.sync(shared, 65536);
    expect(Buffer.from(nodefs.readFileSync(file).subarray(0, 5)).toString()).toBe('hello'); // plain fs
    expect(new TextDecoder().decode(await child.read(shared, 5))).toBe('hello'); // shared across the fork
    await as.sync(priv, 65536, { invalidate: true });
    expect(new TextDecoder().decode(await as.read(priv, 7))).toBe('scratch'); // private copies stay, as on Linux
    await child.destroy();
    await as.destroy();
    expect(vm.memoryObjects()).toHaveLength(0);
    expect(vm.stat().freeFrames).toBe(8);
  });

  it('vm.destroy() syncs shared file mappings before it destroys their objects: no write lost', async () => {
    const file = path.join(dir, 'data.bin');
    nodefs.writeFileSync(file, new Uint8Array(4 * 4096));
    const vm = createVm({ frames: 8 });
    useFilePager(vm);
    const as = createAddressSpace(vm);
    const at = await as.map({ file, length: 4 * 4096, prot: ['read', 'write'], share: 'shared' });
    await as.write(at + 4096, Uint8Array.of(7, 8, 9));
    await vm.destroy();
    expect([...nodefs.readFileSync(file).subarray(4096, 4099)]).toEqual([7, 8, 9]);
  });

  it('past the end of the file is a bus error naming the address', async () => {
    const file = path.join(dir, 'short.bin');
    nodefs.writeFileSync(file, new Uint8Array(100));
    const vm = createVm({ frames: 8 });
    useFilePager(vm);
    const as = createAddressSpace(vm);
    const at = await as.map({ file, length: 3 * 4096, prot: ['read'], share: 'private' });
    expect((await as.read(at + 50, 10)).every((b) => b === 0)).toBe(true);
    await expect(as.read(at + 4096, 1)).rejects.toBeInstanceOf(BusError);
    await expect(as.read(at + 4096, 1)).rejects.toThrow(/0x/);
  });

  it('a file that refuses write access is mapped read-only: a shared writable mapping is EACCES', async () => {
    const mem = new MemoryFileSystem();
    const h = await mem.open('/ro.img', { create: true, writable: true });
    await h.write(new Uint8Array(4096).fill(1), 0);
    await h.close();
    mem.chmod('/ro.img', 0o400);
    const vm = createVm({ frames: 8 });
    vm.container.bind(TOKENS.FileSystem).toConstantValue(mem);
    useFilePager(vm);
    const as = createAddressSpace(vm);
    await expect(as.map({ file: '/ro.img', length: 4096, prot: ['read', 'write'], share: 'shared' })).rejects.toBeInstanceOf(AccessDeniedError);
    const at = await as.map({ file: '/ro.img', length: 4096, prot: ['read', 'write'], share: 'private' });
    await as.write(at, Uint8Array.of(2)); // copy-on-write: never reaches the file
    expect((await as.read(at, 2))[0]).toBe(2);
    expect(mem.contents('/ro.img')![0]).toBe(1);
  });
});
