import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfiguredExtensions } from '../extensions/index.js';
import { parseCommand, processIo, usageError, type CommandIo } from './args.js';
import { mapFile, useDefaultPager } from '../pagers/index.js';
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

/** Every 256 pages, lets the event loop turn (faults answered at once are only microtasks), so Ctrl-C is heard. */
async function breathe(page: number): Promise<void> {
  if ((page & 255) === 255) await new Promise((resolve) => setImmediate(resolve));
}

async function writeAndCheck(object: MemoryObject, pages: number, pageSize: number): Promise<number> {
  const buf = new Uint8Array(pageSize);
  for (let p = 0; p < pages; p++) {
    await object.write(p * pageSize, fill(buf, p));
    await breathe(p);
  }
  let bad = 0;
  for (let p = 0; p < pages; p++) {
    await breathe(p);
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

const MIN_FRAMES = 4;
const MAX_FRAMES = 16384;

export const USAGE = `usage: spinvm demo [--frames N] [--extension MODULE ...]

The main job (what npm start runs): with a pool of N frames of 4 KiB, an object a quarter of the pool kept by
the bogopager, an object 32 times the pool paged out to swap by the default pager, and a memory-mapped file 16
times the pool read through, changed and synced; then a table of faults, page-ins, page-outs, evictions,
resident and dirty pages. Swap files and the file go to a fresh folder in the system's temporary folder, removed
at the end, and on Ctrl-C.

  --frames N          frames in the pool, from ${MIN_FRAMES} to ${MAX_FRAMES} (default 64)
  --extension MODULE  load an extension (a file path or a package name) after those configured in
                      spinvm.config.json or package.json; may be repeated
  -h, --help          this text
`;

/** `spinvm demo` (what `npm start` runs): memory objects far larger than a tiny pool, through eviction. */
export async function run(argv: string[], io: CommandIo = processIo): Promise<number> {
  const parsed = parseCommand<{ frames?: string; extension?: string[] }>(
    'demo',
    USAGE,
    argv,
    {
      frames: { type: 'string', short: 'f' },
      extension: { type: 'string', multiple: true },
    },
    io,
  );
  if (typeof parsed === 'number') return parsed;
  if (parsed.positionals.length > 0) return usageError('demo', USAGE, io, `unexpected argument '${parsed.positionals[0]}' (the demo takes options only)`);
  if (parsed.values.extension?.some((e) => e.trim() === '')) return usageError('demo', USAGE, io, '--extension needs a module path or package name');
  const text = parsed.values.frames ?? '64';
  const frames = Number(text);
  if (!/^[0-9]+$/.test(text) || frames < MIN_FRAMES || frames > MAX_FRAMES) {
    return usageError('demo', USAGE, io, `--frames must be an integer from ${MIN_FRAMES} to ${MAX_FRAMES}; got '${text}'`);
  }

  // One folder for the swap files and the mapped file, removed at the end, or at once on Ctrl-C.
  const dir = mkdtempSync(join(tmpdir(), 'spinvm-demo-'));
  const removeDir = (): void => rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  const interrupted = (signal: NodeJS.Signals, code: number) => (): void => {
    removeDir();
    io.err(`\nspinvm demo: ${signal === 'SIGINT' ? 'interrupted' : signal}; removed ${dir}\n`);
    process.exit(code);
  };
  const onSigint = interrupted('SIGINT', 130);
  const onSigterm = interrupted('SIGTERM', 143);
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigterm);
  try {
    return await demo(frames, parsed.values.extension ?? [], dir, (s = '') => io.out(`${s}\n`));
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
    removeDir();
  }
}

async function demo(frames: number, extensions: string[], dir: string, say: (s?: string) => void): Promise<number> {
  const pageSize = 4096;
  const quarter = Math.floor(frames / 4);
  const vm = createVm({ pageSize, frames, policy: 'second-chance' });
  say(`spinvm demo: page size ${pageSize}, a pool of ${frames} frames (${(frames * pageSize) / 1024} KiB), second-chance replacement`);
  // Start-up extensions: spinvm.config.json (or the spinvm key of package.json) and --extension flags.
  const loaded = await loadConfiguredExtensions(vm, { extra: extensions });
  if (loaded.length > 0) say(`extensions: ${loaded.map((e) => `${e.name}@${e.version}`).join(', ')}`);
  say();

  // 1. Out of the box the default pager is the bogopager: zero fill, no page-out, so data must fit.
  const early = vm.createMemoryObject({ size: quarter * pageSize, name: 'early' });
  const earlyBad = await writeAndCheck(early, quarter, pageSize);
  say(`1. '${early.name}' (${early.pager.constructor.name}, a quarter of the pool): written and read back, ${earlyBad} bad pages`);

  // 2. Load the real default pager: SPIN's live swap of the default pager, one call.
  const swap = await useDefaultPager(vm, { directory: dir });
  say(`2. useDefaultPager(vm): the default pager is now the swapping DefaultPager (swap files in ${swap.directory})`);

  // 3. An anonymous object 32 times the pool, through eviction to swap.
  const pages = frames * 32;
  const big = vm.createMemoryObject({ size: pages * pageSize, name: 'big' });
  const t0 = performance.now();
  const bigBad = await writeAndCheck(big, pages, pageSize);
  const ms = performance.now() - t0;
  say(
    `3. '${big.name}' (${big.pager.constructor.name}, ${pages} pages = 32 × the pool): every page written then read back in ${ms.toFixed(0)} ms, ${bigBad} bad pages`,
  );

  // 4. The object made before the swap keeps its bogopager and its data.
  const earlyAgain = await writeAndCheck(early, quarter, pageSize);
  say(`4. '${early.name}' still has its ${early.pager.constructor.name} and reads back: ${earlyAgain} bad pages`);

  // 5. A memory-mapped file 16 times the pool: read through, change three pages, flush, compare with the disk.
  const path = join(dir, 'data.bin');
  const filePages = frames * 16;
  const content = new Uint8Array(filePages * pageSize);
  for (let p = 0; p < filePages; p++) fill(content.subarray(p * pageSize, (p + 1) * pageSize), p + 100000);
  await writeFile(path, content);
  const mapped = await mapFile(vm, path, { writable: true });
  let fileBad = 0;
  for (let p = 0; p < filePages; p++) {
    await breathe(p);
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
  say(
    `5. mapFile(${filePages} pages = 16 × the pool): read through (${fileBad} bad pages, ${io.pagesRead} pages in ${io.reads} clustered reads), 3 pages written, synced: file on disk ${same ? 'matches' : 'DIFFERS'}`,
  );
  say();
  say(table([row('early', 'BogoPager', early), row('big', 'DefaultPager', big), row('data.bin', 'FilePager', mapped.object)]));
  const s = vm.stat();
  say();
  say(
    `pool: ${s.frames} frames, ${s.residentFrames} resident, ${s.freeFrames} free, ${s.dirtyFrames} dirty; ${s.metadataBytesPerFrame} bytes of metadata per frame`,
  );
  await mapped.close();
  await vm.destroy();
  const ok = earlyBad + bigBad + earlyAgain + fileBad === 0 && same;
  say(ok ? '\nall data read back intact.' : '\nDATA MISMATCH');
  return ok ? 0 : 1;
}
