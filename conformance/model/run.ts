// The reference model, run: replays a sequence of steps on a fresh spinvm instance whose objects use the
// pagers given, and on a Reference per object; throws a ConformanceFailure at the first disagreement, then
// reads every object back in full. Level 2 of the kit runs an author's pager through it; spinvm's own tests
// run the default pager, the file pager and failing pagers through it.
//
// Invariants of a run:
// - An operation error is a failure unless `acceptError` accepts it; an accepted failed write leaves its
//   bytes in doubt (see reference.ts), never silently lost: the next read must see the old or the new value.
// - A readSync that finds a page not resident answers NotResidentError, which skips the step: it is the
//   contract, not an error.
// - The final read-back covers every byte. A run that accepts errors reads page by page, each retried, so a
//   pager that fails now and then still gets every page read; one that accepts none reads each object at once
//   (every page faulted by one read), within the step timeout.
import { createVm, NotResidentError, type MemoryObject, type Pager } from '../../vmcore/index.js';
import { ConformanceFailure, message, withTimeout } from '../harness/failure.js';
import { patternPage, stampPage } from '../harness/patterns.js';
import { isPagerInstance, PAGER_BRAND_KEY } from '../recognise.js';
import { describeOp, type ModelConfig, type ModelOp } from './ops.js';
import { Reference } from './reference.js';

/** The pagers of a run and what it tolerates. */
export interface ModelRunOptions {
  /** Makes the pager of object `index` over a fresh store; without it, objects use the instance's default pager. */
  makePager?: (index: number) => Pager | Promise<Pager>;
  /** A pager over the same store as `previous` (already destroyed): needed by 'reopen' steps and persistent runs. */
  reopen?: (previous: Pager, index: number) => Pager | Promise<Pager>;
  /** What a never-written page reads as; default zeros. */
  initialPage?: (page: number) => Uint8Array;
  /** Which errors an operation may throw (a failing pager's typed errors); default none. */
  acceptError?: (err: unknown) => boolean;
  /** Most milliseconds one step, and the final read of one object, may take; default no limit. */
  stepTimeout?: number;
}

export interface ModelRun {
  /** Errors the run accepted (thrown by operations, as `acceptError` allowed). */
  errors: Error[];
  /** The objects at the end (destroyed with their instance). */
  objects: MemoryObject[];
}

/** Replays `ops` (see the top of this file); resolves with what the run accepted, or throws a ConformanceFailure. */
export async function runModel(cfg: ModelConfig, options: ModelRunOptions, ops: readonly ModelOp[]): Promise<ModelRun> {
  const { makePager, reopen: reopenPager, acceptError } = options;
  const ps = cfg.pageSize;
  const vm = createVm({ pageSize: ps, frames: cfg.frames, ...(cfg.policy !== undefined ? { policy: cfg.policy } : {}) });
  const timed = <T>(work: Promise<T>, what: string): Promise<T> => (options.stepTimeout === undefined ? work : withTimeout(work, options.stepTimeout, what));
  const objects: MemoryObject[] = [];
  const errors: Error[] = [];
  const tolerate = (err: unknown): void => {
    if (!acceptError?.(err)) throw err;
    errors.push(err as Error);
  };

  /** Object `i` over `pager`, which `from` answered (none: the instance's default pager). */
  const open = (i: number, pager: unknown, from?: 'makePager' | 'reopen'): MemoryObject => {
    if (from === undefined) return vm.createMemoryObject({ size: cfg.objectSize, name: `model-${i}` });
    if (!isPagerInstance(pager))
      throw new ConformanceFailure(`${from} answered something that is not a pager (it has no pageIn, pageOut, init and destroy methods)`);
    try {
      return vm.createMemoryObject({ size: cfg.objectSize, pager, name: `model-${i}` });
    } catch (err) {
      const hint =
        (pager as unknown as Record<symbol, unknown>)[PAGER_BRAND_KEY] === true
          ? ''
          : " (it does not carry spinvm's pager brand: does it extend Pager from a second copy of spinvm, or from an old one? install spinvm once, as a peer of your pager)";
      throw new ConformanceFailure(`spinvm refused the pager: ${message(err)}${hint}`, { cause: err });
    }
  };

  try {
    for (let i = 0; i < cfg.objects; i++) objects.push(makePager ? open(i, await makePager(i), 'makePager') : open(i, undefined));
    const refs = objects.map(() => new Reference(cfg.objectSize, ps, options.initialPage));
    const initial = (page: number): Uint8Array => options.initialPage?.(page) ?? new Uint8Array(ps);

    const put = async (obj: number, offset: number, data: Uint8Array): Promise<void> => {
      const bytes = data.subarray(0, Math.min(data.length, cfg.objectSize - offset));
      try {
        await objects[obj]!.write(offset, bytes);
        refs[obj]!.wrote(offset, bytes);
      } catch (err) {
        refs[obj]!.failed(offset, bytes);
        tolerate(err);
      }
    };
    // Errors of a reopening are never accepted: only the kit reopens, and it accepts none.
    const reopen = async (obj: number): Promise<void> => {
      if (!reopenPager) throw new ConformanceFailure('a reopen needs reopen(previous) to make a pager over the same store');
      const old = objects[obj]!;
      await old.flush();
      const previous = old.pager;
      await old.destroy();
      let pager: Pager;
      try {
        pager = await reopenPager(previous, obj);
      } catch (err) {
        throw new ConformanceFailure(`reopen threw: ${message(err)}`, { cause: err });
      }
      objects[obj] = open(obj, pager, 'reopen');
    };
    const step = async (op: ModelOp): Promise<void> => {
      switch (op.kind) {
        case 'write':
          return put(op.obj, op.offset, patternPage(op.length, op.seed));
        case 'read':
        case 'readSync': {
          let seen: Uint8Array;
          try {
            seen = op.kind === 'read' ? await objects[op.obj]!.read(op.offset, op.length) : objects[op.obj]!.readSync(op.offset, op.length);
          } catch (err) {
            if (op.kind === 'readSync' && err instanceof NotResidentError) return;
            return tolerate(err);
          }
          const problem = refs[op.obj]!.check(op.offset, seen);
          if (problem) throw new ConformanceFailure(`${describeOp(op)}: ${problem}`);
          return;
        }
        case 'flush':
          try {
            await objects[op.obj]!.flush();
          } catch (err) {
            tolerate(err);
          }
          return;
        case 'batch': {
          const results = await Promise.allSettled(op.ops.map(step));
          const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
          if (failed) throw failed.reason;
          return;
        }
        case 'write-pages': {
          const data = new Uint8Array(op.count * ps);
          for (let i = 0; i < op.count; i++) data.set(stampPage(ps, op.page + i, op.seed), i * ps);
          return put(op.obj, op.page * ps, data);
        }
        case 'zero':
          return put(op.obj, op.offset, new Uint8Array(op.length));
        case 'initial':
          return put(op.obj, op.page * ps, initial(op.page));
        case 'copy':
          // What the model holds: exact in a run that accepts no error, where no byte is ever in doubt.
          return put(op.obj, op.to * ps, refs[op.obj]!.value.slice(op.from * ps, Math.min((op.from + 1) * ps, cfg.objectSize)));
        case 'reopen':
          return reopen(op.obj);
      }
    };

    for (const [i, op] of ops.entries()) {
      try {
        await timed(step(op), 'the step');
      } catch (err) {
        throw new ConformanceFailure(`step ${i + 1} (${describeOp(op)}) failed: ${message(err)}`, { cause: err });
      }
    }

    for (let i = 0; i < objects.length; i++) {
      if (cfg.persistent) {
        try {
          await timed(reopen(i), `the final reopening of object ${i}`);
        } catch (err) {
          throw new ConformanceFailure(`the final flush and reopening of object ${i} failed: ${message(err)}`, { cause: err });
        }
      }
      const what = cfg.persistent ? `the final read of object ${i}, after it was flushed, destroyed and reopened` : `the final read of object ${i}`;
      if (acceptError === undefined) {
        const problem = refs[i]!.check(0, await timed(objects[i]!.read(0, cfg.objectSize), what));
        if (problem) throw new ConformanceFailure(`${what}: ${problem}`);
        continue;
      }
      for (let offset = 0; offset < cfg.objectSize; offset += ps) {
        const length = Math.min(ps, cfg.objectSize - offset);
        let seen: Uint8Array | undefined;
        for (let attempt = 0; attempt < 50 && !seen; attempt++) {
          try {
            seen = await timed(objects[i]!.read(offset, length), what);
          } catch (err) {
            tolerate(err);
          }
        }
        if (!seen) throw new ConformanceFailure(`${what}: the page at byte ${offset} could not be read back in 50 attempts`);
        const problem = refs[i]!.check(offset, seen);
        if (problem) throw new ConformanceFailure(`${what}: ${problem}`);
      }
    }
  } finally {
    await vm.destroy().catch(() => undefined);
  }
  return { errors, objects };
}
