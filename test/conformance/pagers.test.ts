// The pagers spinvm ships (the bogopager, the default pager, the file pager, both example extensions) and the
// example pager package, through the conformance kit at every default page size, registered the way a pager
// author registers theirs, with fewer randomized runs than the default to keep npm test short (kit.test.ts
// runs the kit at its defaults).
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, it } from 'vitest';
import { CompressingSwapPager } from '../../extensions/examples/compressing-swap/pager.js';
import { OverlayPager } from '../../extensions/examples/overlay/pager.js';
import { Accessor } from '../../fs/accessor.js';
import type { FileHandle } from '../../fs/file-system.js';
import { NodeFileSystem } from '../../fs/node-file-system.js';
import { DefaultPager, SwapSpace } from '../../pagers/default-pager/index.js';
import { FilePager } from '../../pagers/file-pager/index.js';
import { BogoPager, type Pager } from '../../vmcore/index.js';
import { definePagerConformance, patternPage, type PagerClass } from '../../conformance/index.js';

const RUNS = 10;
const REPO = join(import.meta.dirname, '../..');
const scratch = mkdtempSync(join(tmpdir(), 'spinvm-kit-'));
const cleanups: Array<() => void | Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups) await c();
  rmSync(scratch, { recursive: true, force: true });
});
const dir = (name: string): string => {
  const path = join(scratch, name);
  mkdirSync(path);
  return path;
};

// SPIN's bogopager: zero fill, no page-out; the class declares it (static capabilities).
definePagerConformance({ describe, it, pager: BogoPager, runs: RUNS });

// SPIN's default pager: zero fill on first fault, page-out to swap, AlreadyPagedIn / AlreadyPagedOut from its
// page table. Its constructor takes the swap space, so it needs makePager: one swap space per page size.
const swapDir = dir('swap');
const swaps = new Map<number, Promise<SwapSpace>>();
const swapFor = (pageSize: number): Promise<SwapSpace> => {
  let swap = swaps.get(pageSize);
  if (!swap) swaps.set(pageSize, (swap = SwapSpace.create({ pageSize, directory: swapDir })));
  return swap;
};
cleanups.push(async () => {
  for (const swap of swaps.values()) await (await swap).close();
});
definePagerConformance({ describe, it, pager: DefaultPager, makePager: async ({ pageSize }) => new DefaultPager(await swapFor(pageSize)), runs: RUNS });

// The file pager over a fresh sparse file per pager; what it writes is in the file, so it is persistent.
const fileDir = dir('files');
const fs = new NodeFileSystem();
const handles: FileHandle[] = [];
const files = new WeakMap<Pager, string>();
let fileCount = 0;
const MAX_PAGES = 2 ** 20; // sparse files of up to 16 GiB; 2^32 pages would pass ext4's 16 TiB limit
function filePager(path: string, pageSize: number): FilePager {
  const handle = fs.openSync(path, { create: true, writable: true });
  handles.push(handle);
  const pager = new FilePager(new Accessor(handle, pageSize), MAX_PAGES * pageSize, handle.sizeSync(), () => true);
  files.set(pager, path);
  return pager;
}
cleanups.push(() => Promise.all(handles.map((h) => h.close())).then(() => undefined));
definePagerConformance({
  describe,
  it,
  name: 'FilePager',
  makePager: ({ pageSize }) => filePager(join(fileDir, `file-${fileCount++}`), pageSize),
  reopen: (previous, { pageSize }) => filePager(files.get(previous)!, pageSize),
  capabilities: { pageOut: true, persistent: true, readOnly: false, zeroFill: true, checksFrames: true, answersDestroyed: true, maxPages: MAX_PAGES },
  runs: RUNS,
});

// The compressing swap pager: nothing but the class (its static capabilities are the declaration).
definePagerConformance({ describe, it, pager: CompressingSwapPager, runs: RUNS });

// ...and with its swap file.
const zswapDir = dir('zswap');
definePagerConformance({
  describe,
  it,
  afterAll,
  name: 'CompressingSwapPager (swap file)',
  pager: CompressingSwapPager,
  makePager: () => new CompressingSwapPager({ directory: zswapDir }),
  runs: RUNS,
  cleanup: () => {
    if (readdirSync(zswapDir).length > 0) throw new Error(`a CompressingSwapPager left ${readdirSync(zswapDir).join(', ')} behind`);
  },
});

// The overlay pager over a base image (never-written pages read as the image), in memory and with a journal.
const overlayDir = dir('overlay');
const IMAGE = new Uint8Array(256 * 1024 + 100);
for (let at = 0, n = 0; at < IMAGE.length; at += 512, n++) IMAGE.set(patternPage(Math.min(512, IMAGE.length - at), n + 500), at);
const base = join(overlayDir, 'base.img');
writeFileSync(base, IMAGE);
const initialPage = (page: number, ps: number): Uint8Array => {
  const out = new Uint8Array(ps);
  if (page * ps < IMAGE.length) out.set(IMAGE.subarray(page * ps, Math.min(IMAGE.length, (page + 1) * ps)));
  return out;
};
definePagerConformance({
  describe,
  it,
  name: 'OverlayPager (in memory)',
  pager: OverlayPager,
  makePager: () => new OverlayPager({ base }),
  initialPage,
  runs: RUNS,
});
let journals = 0;
const journalOf = new WeakMap<object, string>();
const overlayPager = (journal: string): OverlayPager => {
  const pager = new OverlayPager({ base, overlay: journal });
  journalOf.set(pager, journal);
  return pager;
};
definePagerConformance({
  describe,
  it,
  name: 'OverlayPager (overlay file)',
  pager: OverlayPager,
  capabilities: { ...OverlayPager.capabilities, persistent: true },
  makePager: () => overlayPager(join(overlayDir, `journal-${journals++}`)),
  reopen: (previous) => overlayPager(journalOf.get(previous)!),
  initialPage,
  runs: RUNS,
});

// The example pager package, imported as a user's project would: `spinvm` resolves to this tree. (Both are
// linked into node_modules from elsewhere, as `npm link` does: vitest compiles what is not under node_modules.)
const project = dir('project');
const shim = join(project, 'links/spinvm');
mkdirSync(shim, { recursive: true });
writeFileSync(join(shim, 'package.json'), JSON.stringify({ name: 'spinvm', type: 'module', exports: { '.': './index.js' } }));
writeFileSync(join(shim, 'index.js'), `export * from ${JSON.stringify(pathToFileURL(join(REPO, 'index.ts')).href)};\n`);
const pkg = join(project, 'links/spinvm-example-pager');
cpSync(join(REPO, 'test/fixtures/example-pager-package'), pkg, { recursive: true });
mkdirSync(join(project, 'node_modules'));
symlinkSync(shim, join(project, 'node_modules/spinvm'), 'dir');
const example = (await import(pathToFileURL(join(pkg, 'index.js')).href)) as { ChecksummedMapPager: PagerClass };
definePagerConformance({ describe, it, pager: example.ChecksummedMapPager, runs: RUNS });
