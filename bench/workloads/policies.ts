import { generateTrace, simulate, TRACE_CLASSES, type TraceClass } from '../../cli/index.js';
import { BUILTIN_POLICIES, createVm } from '../../vmcore/index.js';
import type { Context } from '../context.js';
import type { PolicyClassRow } from '../results.js';

/** The seed of the policy traces: the README's policy table is `spinvm simulate --class all --seed 1`. */
export const POLICY_SEED = 1;

/**
 * The policy workload: every built-in policy's misses on every trace class of `spinvm simulate --class`
 * (the same generator, seed and replay, at the pool sizes of the README's policy table), and each policy's
 * bytes of metadata per frame; the default's misses over the best other policy's and over LRU's are what
 * the policy targets are judged on. Deterministic: the same figures in every run.
 */
export async function policies(ctx: Context): Promise<void> {
  const smoke = ctx.options.smoke;
  const pools = smoke ? [100] : [100, 4096];
  const length = smoke ? 20_000 : 200_000;
  const names = Object.keys(BUILTIN_POLICIES);
  const metadataBytesPerFrame: Record<string, number> = {};
  for (const name of names) {
    const vm = createVm({ pageSize: ctx.sizes.pageSize, frames: 16, policy: name });
    metadataBytesPerFrame[name] = vm.stat().metadataBytesPerFrame;
    await vm.destroy();
  }
  const probe = createVm({ pageSize: ctx.sizes.pageSize, frames: 16 });
  const def = probe.stat().policy;
  await probe.destroy();
  ctx.progress(
    `policies: ${names.join(', ')} (default ${def}) on ${Object.keys(TRACE_CLASSES).length} trace classes, ${length} references, pools ${pools.join(', ')}`,
  );

  const classes: PolicyClassRow[] = [];
  for (const pool of pools) {
    for (const name of Object.keys(TRACE_CLASSES) as TraceClass[]) {
      const trace = generateTrace(name, pool, length, POLICY_SEED);
      const faults: Record<string, number> = {};
      for (const policy of names) faults[policy] = simulate(trace, BUILTIN_POLICIES[policy]!, pool).faults;
      const others = names.filter((n) => n !== def);
      const bestOther = others.reduce((b, n) => (faults[n]! < faults[b]! ? n : b), others[0]!);
      const mine = faults[def]!;
      const row: PolicyClassRow = {
        class: name,
        frames: pool,
        references: trace.refs.length,
        faults,
        bestOther,
        overBest: mine / Math.max(1, faults[bestOther]!),
        overLru: mine / Math.max(1, faults.lru ?? mine),
      };
      classes.push(row);
      ctx.progress(
        `  policies / ${name} @ ${pool}: ${def} ${mine} misses, ÷ best other (${bestOther}) ${row.overBest.toFixed(3)}, ÷ LRU ${row.overLru.toFixed(3)}`,
      );
    }
  }
  ctx.policies = { default: def, seed: POLICY_SEED, metadataBytesPerFrame, classes };
}
