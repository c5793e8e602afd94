import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileSystemError, MemoryFileSystem, NodeFileSystem, type FileHandle, type FileSystem } from '../../fs/index.js';
import { DefaultPager, SwapSpace } from '../../pagers/default-pager/index.js';
import { OutOfMemoryError, PagerFailedError, PagerIoError, ResultCode, type Access } from '../../vmcore/index.js';
import { dataApiOps, disjointBatches, MODEL_SEED, runModel, type ModelConfig } from '../../conformance/model/index.js';
import { smallModel } from '../helpers/small.js';

const cfg = smallModel;
const ops = fc.array(dataApiOps(cfg), { minLength: 20, maxLength: 60 }).filter(disjointBatches);
const params = { seed: MODEL_SEED } as const;

/** A DefaultPager that checks every answer is synchronous and counts them, so a run shows what it exercised. */
class CheckedPager extends DefaultPager {
  static answers = new Map<ResultCode, number>();
  override pageIn(page: number, frame: Uint8Array, access: Access): ResultCode {
    return CheckedPager.count(super.pageIn(page, frame, access));
  }
  override pageOut(page: number, frame: Uint8Array, dirty: boolean): ResultCode {
    return CheckedPager.count(super.pageOut(page, frame, dirty));
  }
  private static count(code: ResultCode): ResultCode {
    if (typeof code !== 'number') throw new Error(`answered ${String(code)}, not a ResultCode: the default pager is synchronous`);
    CheckedPager.answers.set(code, (CheckedPager.answers.get(code) ?? 0) + 1);
    return code;
  }
}

/**
 * One swap space shared by every run of a property: each run's instance is destroyed at its end, which
 * must give every slot back, so a leak shows as slots still in use before the next run.
 */
function swapSuite(name: string, makeFs: () => FileSystem, numRuns: number): void {
  describe(`the default pager against the reference model, on ${name}`, () => {
    let swap: SwapSpace;
    beforeAll(async () => {
      swap = await SwapSpace.create({ pageSize: cfg.pageSize, fs: makeFs(), files: 3 });
    });
    afterAll(() => swap.close());

    it('every read matches the model, no error at all, and every slot comes back', async () => {
      CheckedPager.answers.clear();
      await fc.assert(
        fc.asyncProperty(ops, async (list) => {
          await runModel(cfg, { makePager: () => new CheckedPager(swap) }, list);
          expect(swap.slotsInUse).toBe(0);
        }),
        { ...params, numRuns },
      );
      expect(CheckedPager.answers.get(ResultCode.Success)).toBeGreaterThan(1000);
      expect(swap.stat().reads).toBeGreaterThan(100);
      expect(swap.stat().integrityErrors).toBe(0);
    });
  });
}

swapSuite('MemoryFileSystem', () => new MemoryFileSystem(), 250);
swapSuite('real files (NodeFileSystem)', () => new NodeFileSystem(), 100);

describe('the default pager with a small swap limit', () => {
  // 21 pages over 12 frames and 10 slots: swap fills often (DeviceFull in evictions and flushes), yet
  // frames + slots exceed the pages, so some frame can always be freed and the final read-back completes.
  const tight: ModelConfig = { ...cfg, frames: 12 };
  const tightOps = fc.array(dataApiOps(tight), { minLength: 20, maxLength: 60 }).filter(disjointBatches);
  let swap: SwapSpace;
  beforeAll(async () => {
    swap = await SwapSpace.create({ pageSize: tight.pageSize, fs: new MemoryFileSystem(), files: 2, limit: 10 * tight.pageSize });
  });
  afterAll(() => swap.close());

  it('only the typed errors vmcore gives (flush: PagerFailedError DeviceFull; OutOfMemoryError), and no write is lost', async () => {
    CheckedPager.answers.clear();
    let flushFailures = 0;
    await fc.assert(
      fc.asyncProperty(tightOps, async (list) => {
        const run = await runModel(
          tight,
          {
            makePager: () => new CheckedPager(swap),
            acceptError: (e) =>
              e instanceof OutOfMemoryError || (e instanceof PagerFailedError && e.operation === 'pageOut' && e.result === ResultCode.DeviceFull),
          },
          list,
        );
        flushFailures += run.errors.filter((e) => e instanceof PagerFailedError).length;
        expect(swap.slotsInUse).toBe(0);
      }),
      { ...params, numRuns: 250 },
    );
    expect(CheckedPager.answers.get(ResultCode.DeviceFull)).toBeGreaterThan(20);
    expect(flushFailures).toBeGreaterThan(5);
    expect(swap.stat().peakSlots).toBe(10);
  });
});

/** Seeded failures for the swap files' sync I/O: EIO on reads and writes, ENOSPC on writes. */
class Dice {
  x = 1;
  roll(): number {
    this.x ^= this.x << 13;
    this.x ^= this.x >>> 17;
    this.x ^= this.x << 5;
    return (this.x >>> 0) % 100;
  }
}

function flakyFileSystem(dice: Dice): FileSystem {
  const inner = new MemoryFileSystem();
  const wrap = (h: FileHandle): FileHandle => ({
    get path() {
      return h.path;
    },
    get writable() {
      return h.writable;
    },
    get closed() {
      return h.closed;
    },
    readSync(buffer, position, offset, length) {
      if (dice.roll() < 4) throw new FileSystemError('read', h.path, 'EIO');
      return h.readSync(buffer, position, offset, length);
    },
    writeSync(buffer, position, offset, length) {
      const r = dice.roll();
      if (r < 4) throw new FileSystemError('write', h.path, 'EIO');
      if (r < 8) throw new FileSystemError('write', h.path, 'ENOSPC');
      // A torn write: half the page lands, then the device fails. The checksum must never accept it.
      if (r < 10) {
        h.writeSync(buffer, position, offset, Math.floor((length ?? buffer.length) / 2));
        throw new FileSystemError('write', h.path, 'EIO');
      }
      return h.writeSync(buffer, position, offset, length);
    },
    sizeSync: () => h.sizeSync(),
    read: (...a) => h.read(...a),
    write: (...a) => h.write(...a),
    size: () => h.size(),
    truncate: (n) => h.truncate(n),
    sync: () => h.sync(),
    close: () => h.close(),
  });
  return {
    open: async (p, o) => wrap(await inner.open(p, o)),
    openSync: (p, o) => wrap(inner.openSync(p, o)),
    remove: (p) => inner.remove(p),
    mkdtemp: (p) => inner.mkdtemp(p),
    mkdir: (p) => inner.mkdir(p),
    rmdir: (p) => inner.rmdir(p),
    realpath: (p) => inner.realpath(p),
    exists: (p) => inner.exists(p),
  };
}

describe('the default pager over a failing file system', () => {
  const dice = new Dice();
  let swap: SwapSpace;
  beforeAll(async () => {
    swap = await SwapSpace.create({ pageSize: cfg.pageSize, fs: flakyFileSystem(dice), files: 2 });
  });
  afterAll(() => swap.close());

  it('EIO, ENOSPC and torn writes: only typed errors, no write lost, no torn page ever read', async () => {
    let ioErrors = 0;
    await fc.assert(
      fc.asyncProperty(ops, fc.integer({ min: 1, max: 2 ** 31 - 1 }), async (list, seed) => {
        dice.x = seed;
        const run = await runModel(
          cfg,
          {
            makePager: () => new CheckedPager(swap),
            acceptError: (e) => e instanceof PagerIoError || e instanceof OutOfMemoryError || (e instanceof PagerFailedError && e.operation === 'pageOut'),
          },
          list,
        );
        ioErrors += run.errors.filter((e) => e instanceof PagerIoError).length;
        expect(swap.slotsInUse).toBe(0);
      }),
      { ...params, numRuns: 250 },
    );
    expect(ioErrors).toBeGreaterThan(50);
    expect(swap.stat().integrityErrors).toBe(0);
  });
});
