// Level 2: the pager inside spinvm, through a pool of a few frames (so pages are evicted all the time), against
// the reference model (model/), with seeded random operations. A failure prints the seed, the path to replay
// it and the shortest failing sequence fast-check found.
import fc from 'fast-check';
import { MAX_FLUSH_RUN } from '../vmcore/index.js';
import type { ConformanceCheck } from './checks.js';
import { checkMaker } from './harness/check-maker.js';
import { ConformanceFailure, message } from './harness/failure.js';
import { describeOp, modelOps, persistentOps, runModel, type ModelConfig, type ModelRunOptions } from './model/index.js';
import type { CheckedTarget } from './target.js';

/** The model's view of a target: its pagers, its initial contents, its call timeout for each step; no error accepted. */
function modelOptions(t: CheckedTarget): ModelRunOptions {
  return { makePager: () => t.makePager(), reopen: t.reopen && ((previous) => t.reopen!(previous)), initialPage: t.initialPage, stepTimeout: t.callTimeout };
}

/**
 * Runs the property with fast-check; on failure throws a ConformanceFailure with the seed and the shrunk
 * sequence. `frameChoices` are pool sizes the runs draw from (the one of the failing run is reported).
 */
async function assertModel(t: CheckedTarget, cfg: ModelConfig, runs: number, maxSteps: number, frameChoices: readonly number[] = [cfg.frames]): Promise<void> {
  const ops = fc.array(cfg.persistent ? persistentOps(cfg) : modelOps(cfg), { minLength: 1, maxLength: maxSteps, size: 'max' });
  const options = modelOptions(t);
  const property = fc.asyncProperty(fc.constantFrom(...frameChoices), ops, async (frames, list) => {
    await runModel({ ...cfg, frames }, options, list);
  });
  const details = await fc.check(property, { seed: t.seed, numRuns: runs });
  if (!details.failed) return;
  const [frames, failing] = details.counterexample ?? [cfg.frames, []];
  const lines = failing.map((op, i) => `  ${i + 1}. ${describeOp(op)}`);
  const end = cfg.persistent ? 'every object is then flushed, reopened and read back in full' : 'every object is then read back in full';
  throw new ConformanceFailure(
    [
      `${t.name} disagreed with the reference model at ${t.pageSize}-byte pages, ${frames} frames (seed ${details.seed}, path "${details.counterexamplePath}"; run again with seed ${details.seed} to replay)`,
      `  ${message(details.errorInstance)}`,
      `shortest failing sequence (${failing.length} step${failing.length === 1 ? '' : 's'}, after ${details.numShrinks} shrinks; ${end}):`,
      ...lines,
    ].join('\n'),
    { cause: details.errorInstance },
  );
}

/** The level-2 checks: the pager inside spinvm, through a pool of a few frames, against a reference model. */
export function levelTwoChecks(t: CheckedTarget): ConformanceCheck[] {
  const ps = t.pageSize;
  const c = t.capabilities;
  const pageOut = c.pageOut;
  const objectSize = ps * 5 + Math.floor(ps / 2) + 3;
  const pagesPer = Math.ceil(objectSize / ps);
  // Without page-out a dirty page can never leave: give the pool room for everything, still evicting clean pages.
  const frames = (objects: number): number => (pageOut ? 3 : objects * pagesPer + 1);
  // The persistence model: one object longer than a flush run, through a few frames (evictions all the time)
  // or through more frames than it has pages (nothing evicted: a flush hands over runs of MAX_FLUSH_RUN pages).
  const longPages = Math.min(MAX_FLUSH_RUN + 6, c.maxPages - 1);
  const longSize = ps * longPages + Math.floor(ps / 2) + 3;
  const longFrames = [4, longPages + 16];
  const check = checkMaker(2, ps);
  return [
    check('model-sequential', `randomized reads and writes over 2 objects through ${frames(2)} frames match a reference model`, undefined, () =>
      assertModel(t, { objects: 2, objectSize, frames: frames(2), pageSize: ps, flush: pageOut, batches: false }, t.runs, 60),
    ),
    check('model-concurrent', `the same with operations at once, over 3 objects through ${frames(3)} frames`, undefined, () =>
      assertModel(t, { objects: 3, objectSize, frames: frames(3), pageSize: ps, flush: pageOut, batches: true }, Math.max(1, Math.ceil(t.runs * 0.6)), 40),
    ),
    check(
      'model-persistent',
      `randomized writes, rewrites (to zeros, to initial contents, to another page's contents), flushes in runs of up to ${MAX_FLUSH_RUN} pages and reopenings match a reference model`,
      !c.persistent ? 'the pager is not declared persistent' : !pageOut ? 'page-out is declared absent' : undefined,
      () =>
        assertModel(
          t,
          { objects: 1, objectSize: longSize, frames: longFrames[0]!, pageSize: ps, flush: true, batches: false, persistent: true },
          Math.max(Math.min(t.runs, 10), Math.ceil(t.runs * 0.4)),
          30,
          longFrames,
        ),
    ),
  ];
}
