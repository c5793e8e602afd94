import fc from 'fast-check';
import { describe, it } from 'vitest';
import { OutOfMemoryError, PagerFailedError, PagerIoError, ResultCode, type Access, type PagerAnswer } from '../../vmcore/index.js';
import { dataApiOps, disjointBatches, MODEL_SEED, runModel, type ModelConfig } from '../../conformance/model/index.js';
import { RecordingPager } from '../helpers/pagers.js';

const cfg: ModelConfig = { pageSize: 512, frames: 3, objects: 3, objectSize: 512 * 6 + 100 };
const ops = fc.array(dataApiOps(cfg), { minLength: 20, maxLength: 60 }).filter(disjointBatches);
const params = { seed: MODEL_SEED, numRuns: 250 } as const;

/** A recording pager that fails on cue, from a seeded stream: DeviceFull and throws on page-out, throws on page-in. */
class FlakyPager extends RecordingPager {
  private x: number;
  constructor(seed: number, async: boolean) {
    super({ async });
    this.x = seed || 1;
  }
  private roll(): number {
    this.x ^= this.x << 13;
    this.x ^= this.x >>> 17;
    this.x ^= this.x << 5;
    return (this.x >>> 0) % 100;
  }
  override pageIn(page: number, frame: Uint8Array, access: Access): PagerAnswer {
    if (this.roll() < 5) throw new Error('flaky page-in');
    return super.pageIn(page, frame, access);
  }
  override pageOut(page: number, frame: Uint8Array, dirty: boolean): PagerAnswer {
    const r = this.roll();
    if (r < 10) return ResultCode.DeviceFull;
    if (r < 15) throw new Error('flaky page-out');
    return super.pageOut(page, frame, dirty);
  }
}

describe('randomized reads and writes against a reference model (seed printed on failure)', () => {
  it('a synchronous page-out pager: every read matches the model (thousands of operations over 3 frames)', async () => {
    await fc.assert(
      fc.asyncProperty(ops, async (list) => {
        await runModel(cfg, { makePager: () => new RecordingPager() }, list);
      }),
      params,
    );
  });

  it('an asynchronous pager with concurrent batches: every read matches the model', async () => {
    await fc.assert(
      fc.asyncProperty(ops, async (list) => {
        await runModel(cfg, { makePager: () => new RecordingPager({ async: true }) }, list);
      }),
      { ...params, numRuns: 150 },
    );
  });

  it('the bogopager: data stays resident; out of memory is the only error allowed', async () => {
    const big: ModelConfig = { ...cfg, frames: 24 };
    await fc.assert(
      fc.asyncProperty(ops, async (list) => {
        await runModel(big, { acceptError: (e) => e instanceof OutOfMemoryError || (e instanceof PagerFailedError && e.result === ResultCode.NotImplemented) }, list);
      }),
      { ...params, numRuns: 150 },
    );
  });

  it('a pager that fails (DeviceFull, throws) never loses a write: errors are typed and data reads back', async () => {
    await fc.assert(
      fc.asyncProperty(ops, fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.boolean(), async (list, seed, async) => {
        await runModel(cfg, { makePager: (i) => new FlakyPager(seed + i, async), acceptError: (e) => e instanceof PagerIoError || e instanceof OutOfMemoryError || (e instanceof PagerFailedError && e.operation === 'pageOut') }, list);
      }),
      { ...params, numRuns: 250 },
    );
  });
});
