import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfiguredExtensions, takeExtensionFlags } from '../extensions/index.js';
import { useDefaultPager } from '../pagers/default-pager/index.js';
import { mapFile } from '../pagers/file-pager/index.js';
import { createVm, type MemoryObject } from '../vmcore/index.js';

/** A page-sized pattern that differs per page, so a misplaced page cannot pass for the right one. */
function fill(buf: Uint8Array, page: number): Uint8Array {
  for (let i = 0; i < buf.length; i += 4) {
    const v = Math.imul(page + 1, 2654435761) ^ i;
    buf[i] = v;
    buf[i + 1] = v >>> 8;
    buf[i + 2] = v >>> 16;
    buf[i + 3] = v >>> 24;
  }
  return buf;
}

async function writeAndCheck(object: MemoryObject, pages: number, pageSize: number): Promise<number> {
  const buf = new Uint8Array(pageSize);
  for (let p = 0; p < pages; p++) await object.write(p * pageSize, fill(buf, p));
  let bad = 0;
  for (let p = 0; p < pages; p++) {
    const back = await object.read(p * pageSize, pageSize);
    fill(buf, p);
    if (Buffer.compare(back, buf) !== 0) bad++;
  }
  return bad;
}

function table(rows: Array<Record<string, string | number>>): string {
  const keys = Object.keys(rows[0]!);
  const width = keys.map((k) => Math.max(k.length, ...rows.map((r) => String(r[k]).length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(width[i]!) : c.padStart(width[i]!))).join('  ');
  return [line(keys), line(width.map((w) => '-'.repeat(w))), ...rows.map((r) => line(keys.map((k) => String(r[k]))))].join('\n');
}

function row(label: string, pager: string, object: MemoryObject): Record<string, string | number> {
  const s = object.stat();
  return {
    object: label,
    pager,
    size: `${(s.virtualSize / 1024).toFixed(0)} KiB`,
    faults: s.faults,
    'page-ins': s.pageIns,
    'page-outs': s.pageOuts,
    evictions: s.evictions,
    resident: s.residentPages,
    dirty: s.dirtyPages,
  };
}

/** `spinvm demo` (what `npm start` runs): memory objects far larger than a tiny pool, through eviction. */
export async function run(argv: string[]): Promise<number> {
  const { extensions, rest } = takeExtensionFlags(argv);
  const frames = Number(rest.find((a) => a.startsWith('--frames='))?.slice(9) ?? 64);
  const pageSize = 4096;
  const vm = createVm({ pageSize, frames, policy: 'second-chance' });
  const say = (s = '') => console.log(s);
  say(`spinvm demo: page size ${pageSize}, a pool of ${frames} frames (${(frames * pageSize) / 1024} KiB), second-chance replacement`);
  // Start-up extensions: spinvm.config.json (or the spinvm key of package.json) and --extension flags.
  const loaded = await loadConfiguredExtensions(vm, { extra: extensions });
  if (loaded.length > 0) say(`extensions: ${loaded.map((e) => `${e.name}@${e.version}`).join(', ')}`);
  say();

  // 1. Out of the box the default pager is the bogopager: zero fill, no page-out, so data must fit.
  const early = vm.createMemoryObject({ size: (frames / 4) * pageSize, name: 'early' });
  const earlyBad = await writeAndCheck(early, frames / 4, pageSize);
  say(`1. '${early.name}' (${early.pager.constructor.name}, a quarter of the pool): written and read back, ${earlyBad} bad pages`);

  // 2. Load the real default pager: SPIN's live swap of the default pager, one call.
  const swap = await useDefaultPager(vm);
  say(`2. useDefaultPager(vm): the default pager is now the swapping DefaultPager (swap files in ${swap.directory})`);

  // 3. An anonymous object 32 times the pool, through eviction to swap.
  const pages = frames * 32;
  const big = vm.createMemoryObject({ size: pages * pageSize, name: 'big' });
  const t0 = performance.now();
  const bigBad = await writeAndCheck(big, pages, pageSize);
  const ms = performance.now() - t0;
  say(`3. '${big.name}' (${big.pager.constructor.name}, ${pages} pages = 32 × the pool): every page written then read back in ${ms.toFixed(0)} ms, ${bigBad} bad pages`);

  // 4. The object made before the swap keeps its bogopager and its data.
  const earlyAgain = await writeAndCheck(early, frames / 4, pageSize);
  say(`4. '${early.name}' still has its ${early.pager.constructor.name} and reads back: ${earlyAgain} bad pages`);

  // 5. A memory-mapped file 16 times the pool: read through, change three pages, flush, compare with the disk.
  const dir = await mkdtemp(join(tmpdir(), 'spinvm-demo-'));
  const path = join(dir, 'data.bin');
  const filePages = frames * 16;
  const content = new Uint8Array(filePages * pageSize);
  for (let p = 0; p < filePages; p++) fill(content.subarray(p * pageSize, (p + 1) * pageSize), p + 100000);
  await writeFile(path, content);
  const mapped = await mapFile(vm, path, { writable: true });
  let fileBad = 0;
  for (let p = 0; p < filePages; p++) {
    const back = await mapped.read(p * pageSize, pageSize);
    if (Buffer.compare(back, content.subarray(p * pageSize, (p + 1) * pageSize)) !== 0) fileBad++;
  }
  for (const p of [3, 200 % filePages, filePages - 1]) {
    const bytes = new Uint8Array(pageSize).fill(p & 0xff);
    await mapped.write(p * pageSize, bytes);
    content.set(bytes, p * pageSize);
  }
  await mapped.sync();
  const onDisk = await readFile(path);
  const same = Buffer.compare(onDisk, content) === 0;
  const io = mapped.stat();
  say(`5. mapFile(${filePages} pages = 16 × the pool): read through (${fileBad} bad pages, ${io.pagesRead} pages in ${io.reads} clustered reads), 3 pages written, synced: file on disk ${same ? 'matches' : 'DIFFERS'}`);
  say();
  say(table([row('early', 'BogoPager', early), row('big', 'DefaultPager', big), row('data.bin', 'FilePager', mapped.object)]));
  const s = vm.stat();
  say();
  say(`pool: ${s.frames} frames, ${s.residentFrames} resident, ${s.freeFrames} free, ${s.dirtyFrames} dirty; ${s.metadataBytesPerFrame} bytes of metadata per frame`);
  await mapped.close();
  await vm.destroy();
  await rm(dir, { recursive: true, force: true });
  const ok = earlyBad + bigBad + earlyAgain + fileBad === 0 && same;
  say(ok ? '\nall data read back intact.' : '\nDATA MISMATCH');
  return ok ? 0 : 1;
}
