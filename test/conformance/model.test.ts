// The one reference model (conformance/model/): what its two kinds of user rely on. The kit's level 2 accepts no
// error and reads exactly; spinvm's own tests accept a failing pager's typed errors, and a failed write leaves
// its bytes in doubt (the old or the new value) until a read settles them.
import { describe, expect, it } from 'vitest';
import { ConformanceFailure, type ModelOp } from '../../conformance/index.js';
import { Reference, runModel } from '../../conformance/model/index.js';
import { DropsPageOuts, MapPager } from './broken/index.js';
import { PS } from '../helpers/small.js';

const cfg = { pageSize: PS, frames: 3, objects: 1, objectSize: PS * 6 + 100 };
/** Every page written, then every page read: through 3 frames, each page is paged out and in again. */
const everyPage: ModelOp[] = [
  ...Array.from({ length: 7 }, (_, p): ModelOp => ({ kind: 'write', obj: 0, offset: p * PS, length: Math.min(PS, cfg.objectSize - p * PS), seed: p + 1 })),
  ...Array.from({ length: 7 }, (_, p): ModelOp => ({ kind: 'read', obj: 0, offset: p * PS, length: Math.min(PS, cfg.objectSize - p * PS) })),
];

describe('the reference', () => {
  it('holds a failed write in doubt: the old or the new byte reads right, another does not, and a read settles it', () => {
    const ref = new Reference(8, PS);
    ref.wrote(0, Uint8Array.of(1, 1, 1, 1));
    ref.failed(0, Uint8Array.of(2, 2, 2, 2));
    expect(ref.check(0, Uint8Array.of(1, 2))).toBeUndefined();
    expect(ref.check(2, Uint8Array.of(3))).toBe('byte 2 (page 0) read 3, the model says 2 or 1');
    expect(ref.check(1, Uint8Array.of(1))).toBe('byte 1 (page 0) read 1, the model says 2'); // settled at 2 by the first read
  });

  it('starts from the declared initial contents', () => {
    const ref = new Reference(PS + 4, PS, (page) => new Uint8Array(PS).fill(page + 7));
    expect(ref.check(PS - 1, Uint8Array.of(7, 8, 8))).toBeUndefined();
  });
});

describe('runModel', () => {
  it('without makePager, runs the objects over the instance default pager', async () => {
    const big = { ...cfg, frames: 8 };
    const run = await runModel(big, {}, everyPage);
    expect(run.errors).toEqual([]);
    expect(run.objects).toHaveLength(1);
  });

  it('passes a correct pager, and fails one that drops page-outs at the step that reads the lost page', async () => {
    await runModel(cfg, { makePager: () => new MapPager() }, everyPage);
    const failure = await runModel(cfg, { makePager: () => new DropsPageOuts() }, everyPage).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ConformanceFailure);
    expect((failure as Error).message).toMatch(
      /^step (8|9|1\d) \(read object 0, bytes \d+\.\.\d+\) failed: read object 0, bytes \d+\.\.\d+: byte \d+ \(page \d\) read \d+, the model says \d+$/,
    );
  });

  it('refuses what is not a pager, naming the function that answered it', async () => {
    const failure = await runModel(cfg, { makePager: () => ({}) as MapPager }, everyPage).catch((err: unknown) => err);
    expect((failure as Error).message).toMatch(/^makePager answered something that is not a pager/);
  });
});
