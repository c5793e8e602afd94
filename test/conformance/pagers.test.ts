// The pagers spinvm ships, through the conformance kit, registered the way a pager author registers theirs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { Accessor } from '../../fs/accessor.js';
import type { FileHandle } from '../../fs/file-system.js';
import { NodeFileSystem } from '../../fs/node-file-system.js';
import { DefaultPager, SwapSpace } from '../../pagers/default-pager/index.js';
import { FilePager } from '../../pagers/file-pager/index.js';
import { BogoPager, type Pager } from '../../vmcore/index.js';
import { definePagerConformance } from './index.js';

definePagerConformance({
  describe,
  it,
  name: 'BogoPager',
  makePager: () => new BogoPager(),
  capabilities: { pageOut: false, persistent: false, readOnly: true, zeroFill: true },
});

// SPIN's default pager: zero fill on first fault, page-out to swap, AlreadyPagedIn / AlreadyPagedOut from its page table.
let swap: Promise<SwapSpace> | undefined;
const swapDir = mkdtempSync(join(tmpdir(), 'spinvm-kit-swap-'));
definePagerConformance({
  describe,
  it,
  afterAll,
  name: 'DefaultPager',
  makePager: async () => new DefaultPager(await (swap ??= SwapSpace.create({ pageSize: 4096, directory: swapDir }))),
  capabilities: { pageOut: true, persistent: false, readOnly: false, zeroFill: true, tracksState: true },
  cleanup: async () => {
    await (await swap)?.close();
    rmSync(swapDir, { recursive: true, force: true });
  },
});

// The file pager over a fresh sparse file per pager; what it writes is in the file, so it is persistent.
const fileDir = mkdtempSync(join(tmpdir(), 'spinvm-kit-file-'));
const fs = new NodeFileSystem();
const handles: FileHandle[] = [];
const files = new WeakMap<Pager, string>();
let fileCount = 0;
const MAX_PAGES = 2 ** 20; // a sparse file of up to 4 GiB; 2^32 pages of 4 KiB would pass ext4's 16 TiB limit
function filePager(path: string): FilePager {
  const handle = fs.openSync(path, { create: true, writable: true });
  handles.push(handle);
  const pager = new FilePager(new Accessor(handle, 4096), MAX_PAGES * 4096, handle.sizeSync(), () => true);
  files.set(pager, path);
  return pager;
}
definePagerConformance({
  describe,
  it,
  afterAll,
  name: 'FilePager',
  makePager: () => filePager(join(fileDir, `file-${fileCount++}`)),
  reopen: (previous) => filePager(files.get(previous)!),
  capabilities: { pageOut: true, persistent: true, readOnly: false, zeroFill: true, maxPages: MAX_PAGES },
  cleanup: async () => {
    await Promise.all(handles.map((h) => h.close()));
    rmSync(fileDir, { recursive: true, force: true });
  },
});
