import type { PolicyFactory, ReplacementPolicy } from '../../vmcore/index.js';
import type { Trace } from './trace.js';

export interface SimulationResult {
  readonly policy: string;
  readonly frames: number;
  readonly references: number;
  readonly faults: number;
  readonly missRatio: number;
}

const always = (): boolean => true;

/**
 * Replays a trace against a policy with `frames` frames, as a demand-paged pool would: a hit is
 * access(frame); a miss takes the next never-used frame while there is one (frames are issued in order
 * 0, 1, 2, ...), and otherwise reclaims victim(any), remove()s it and insert()s the new page into the same
 * frame, keyed by the page's trace id. Every miss counts as a fault, cold ones included.
 */
export function simulate(trace: Trace, policy: ReplacementPolicy | PolicyFactory, frames: number): SimulationResult {
  if (!Number.isInteger(frames) || frames < 1) throw new RangeError(`frames must be a positive integer, not ${frames}`);
  const p = typeof policy === 'function' ? policy() : policy;
  p.attach(frames);
  const refs = trace.refs;
  const frameOf = new Int32Array(trace.distinct).fill(-1);
  const pageIn = new Int32Array(frames).fill(-1);
  let used = 0;
  let faults = 0;
  for (let i = 0; i < refs.length; i++) {
    const page = refs[i]!;
    const hit = frameOf[page]!;
    if (hit >= 0) {
      p.access(hit);
      continue;
    }
    faults++;
    let frame: number;
    if (used < frames) {
      frame = used++;
    } else {
      frame = p.victim(always);
      if (frame < 0 || frame >= frames || pageIn[frame]! < 0) {
        throw new Error(`policy '${p.name}' offered frame ${frame} as a victim, which is not in use`);
      }
      p.remove(frame);
      frameOf[pageIn[frame]!] = -1;
    }
    pageIn[frame] = page;
    frameOf[page] = frame;
    p.insert(frame, page);
  }
  return {
    policy: p.name,
    frames,
    references: refs.length,
    faults,
    missRatio: refs.length === 0 ? 0 : faults / refs.length,
  };
}
