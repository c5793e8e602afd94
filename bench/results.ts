/** The shape of a bench run: what the table prints and what the JSON file holds. */

/** One implementation measured on one case of a workload. */
export interface Row {
  workload: string;
  case: string;
  /** 'spinvm ...' for spinvm's own rows, otherwise the peer's name. */
  impl: string;
  role: 'spinvm' | 'peer';
  /** False when the implementation could not run here (a peer not installed or not loadable, or a run that failed); `note` says why. */
  available: boolean;
  note?: string;
  ops?: number;
  /** Bytes of file data moved, for scans. */
  bytes?: number;
  seconds?: number;
  opsPerSec?: number;
  bytesPerSec?: number;
  nsPerOp?: number;
  /** Latency percentiles from sampled single operations (only where one operation takes long enough to time). */
  p50Ns?: number;
  p99Ns?: number;
  /** On peer rows: throughput of the case's primary spinvm row divided by this row's. */
  ratio?: number;
  frames?: number;
  faults?: number;
  /** Hits over accesses in the measured phase (1 − faults / accesses), for spinvm and the caches. */
  hitRatio?: number;
  metadataBytesPerFrame?: number;
  /** Resident set growth over the process's baseline (after a collection), and the pool it compares with. */
  rssBytes?: number;
  poolBytes?: number;
  /** A checksum of what was read, equal across implementations that read the same data. */
  check?: number;
  /** Set when `check` differs from the primary row's over the same operations: the two did not read the same bytes. */
  checkMismatch?: boolean;
  /** Extra figures (page-ins, page-outs, swap use, per-object cost...). */
  extra?: Record<string, number | string>;
}

export interface ScalingPoint {
  /** The size of the dimension: resident pages, objects, or mapped ranges. */
  n: number;
  spinvmNs: number | null;
  peerNs: number | null;
}

export interface ScalingRow {
  dimension: string;
  op: string;
  peer: string;
  available: boolean;
  note?: string;
  points: ScalingPoint[];
  /** spinvm's cost per op at the largest size over the smallest. */
  growth: number | null;
  /** The same for the peer: how much of the growth is the machine's caches, not spinvm. */
  peerGrowth: number | null;
}

/** What a target's figure must be: `value cmp limit`. */
export interface Goal {
  cmp: '>=' | '>' | '<=' | '<';
  limit: number;
}

export interface TargetResult {
  id: string;
  /** The issue that set the target (14: worker threads; 13: the performance issue; 6: the bench's first targets). */
  issue: number;
  description: string;
  /** Details of the figure: what it was computed from. */
  measured: string;
  /** The ratio or figure the target is judged on (the median over the runs, with --runs). */
  value: number | null;
  /** How `value` is shown: a ratio (spinvm throughput / peer's, higher is better, or as `goalText` says), µs, bytes, MiB. */
  unit: 'ratio' | 'µs' | 'B' | 'MiB' | 'points';
  goal: Goal;
  /** The goal as the README writes it ('≥ 0.5'). */
  goalText: string;
  met: boolean | null;
  /** With --runs N (N > 1): the figure of every run, its least and its greatest; `value` is their median. */
  spread?: { min: number; max: number; values: number[] };
}

/** The simulated misses of every built-in policy on one seeded trace class (the one `spinvm simulate --class` makes). */
export interface PolicyClassRow {
  class: string;
  frames: number;
  references: number;
  /** Misses by policy name. */
  faults: Record<string, number>;
  /** The best policy other than the default, and the default's misses over its and over LRU's. */
  bestOther: string;
  overBest: number;
  overLru: number;
}

export interface PolicyResults {
  /** The policy createVm picks when none is named. */
  default: string;
  seed: number;
  /** Bytes of metadata per frame (the pool's and the policy's) by policy. */
  metadataBytesPerFrame: Record<string, number>;
  classes: PolicyClassRow[];
}

export interface BenchResults {
  version: 1;
  startedAt: string;
  seconds: number;
  machine: {
    cpus: number;
    model: string;
    memoryBytes: number;
    node: string;
    platform: string;
    arch: string;
    /** One-minute load average at the start and the end: other work on the machine makes every figure noisier. */
    loadAverage: [number, number];
  };
  options: Record<string, unknown>;
  rows: Row[];
  scaling: ScalingRow[];
  /** The targets of issue 14, of issue 13 and then those of issue 6; with --runs, each the median over the runs. */
  targets: TargetResult[];
  /** How many times the selected workloads ran (--runs); the rows and scaling table are the last run's. */
  runs: number;
  /** The policy workload's simulated misses, when it ran. */
  policies?: PolicyResults;
  /** The primary spinvm row of each case, by "workload/case", that peer ratios are taken against. */
  primary: Record<string, string>;
  /** Peer packages that were not installed (`name@range`), and what the bench printed about them. */
  missingPeers?: { packages: string[]; message: string };
}
