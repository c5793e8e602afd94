import { belady } from '../../cli/simulate/belady.js';
import { simulate } from '../../cli/simulate/simulate.js';
import { traceOf, type Trace } from '../../cli/simulate/trace.js';
import { BUILTIN_POLICIES } from '../../vmcore/page-queue/policies.js';
import type { ReplacementPolicy } from '../../vmcore/page-queue/replacement-policy.js';

export const POLICY_NAMES = Object.keys(BUILTIN_POLICIES);

export function trace(refs: string): Trace {
  return traceOf(refs.trim().split(/\s+/));
}

export function faults(policy: string, refs: string | Trace, frames: number): number {
  const t = typeof refs === 'string' ? trace(refs) : refs;
  return simulate(t, BUILTIN_POLICIES[policy]!, frames).faults;
}

export function minFaults(refs: string | Trace, frames: number): number {
  return belady(typeof refs === 'string' ? trace(refs) : refs, frames).faults;
}

/**
 * Replays page numbers against a policy the way simulate() does, but keeps the policy and the page → frame
 * map so a test can look inside afterwards. Pages are their own keys.
 */
export function replay(policy: ReplacementPolicy, frames: number, pages: number[]) {
  policy.attach(frames);
  const frameOf = new Map<number, number>();
  const pageIn: number[] = [];
  const victims: number[] = [];
  let faults = 0;
  for (const page of pages) {
    const hit = frameOf.get(page);
    if (hit !== undefined) {
      policy.access(hit);
      continue;
    }
    faults++;
    let frame = pageIn.length;
    if (frame >= frames) {
      frame = policy.victim(() => true);
      policy.remove(frame);
      victims.push(pageIn[frame]!);
      frameOf.delete(pageIn[frame]!);
    }
    pageIn[frame] = page;
    frameOf.set(page, frame);
    policy.insert(frame, page);
  }
  return { policy, faults, victims, frameOf, resident: [...frameOf.keys()].sort((a, b) => a - b) };
}
