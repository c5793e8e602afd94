import { parseCommand, usageError, type CommandIo } from '../args.js';
import { ModuleNotFoundError, resolveModule } from '../../extensions/index.js';
import {
  checkTarget,
  DEFAULT_PAGE_SIZES,
  DEFAULT_RUNS,
  formatReport,
  isBasePagerClass,
  isPagerClass,
  isPagerInstance,
  LEVEL_ONE_TIMEOUT,
  LEVEL_TWO_TIMEOUT,
  runPagerConformance,
  type CheckResult,
  type PagerClass,
  type PagerConformanceTarget,
  TARGET_KEYS,
} from '../../conformance/index.js';

const USAGE = `usage: spinvm conformance <module> [--export NAME] [--page-sizes LIST] [--runs N] [--seed N] [--timeout MS] [--level 1|2] [--check ID]

Runs spinvm's pager conformance kit against a pager module (a file path or an installed package name),
directly, without a test framework: each check as it runs, then a table, at every page size.

What it tests, in this order (or the export --export names):
  1. a 'conformance' export, else the default export: a Pager subclass, an object
     { pager?, name?, makePager?, capabilities?, pageSizes?, initialPage?, reopen?, cleanup? },
     or a function answering either (it may be async: make temporary directories there)
  2. named exports: makePager (a factory answering a fresh pager), with capabilities (else the made
     pager's class's static capabilities) and optionally name, initialPage, reopen, cleanup
  3. the one Pager subclass the module exports
A Pager subclass declares what it does once, as a static on the class:
  static capabilities = { pageOut: true, persistent: false, readOnly: false, zeroFill: true }
and is made with 'new' and no arguments: a constructor that needs arguments needs a factory (2, or makePager).

  --export NAME       the export to test
  --page-sizes LIST   page sizes to run every check at, e.g. 4096 or 512,4096 (default ${DEFAULT_PAGE_SIZES.join(',')})
  --page-size N       one page size: the same as --page-sizes N
  --runs N            randomized runs per level-2 check and page size (default ${DEFAULT_RUNS})
  --seed N            seed of the randomized level-2 checks (a failure prints the seed to replay it)
  --timeout MS        most milliseconds one check may take (default ${LEVEL_ONE_TIMEOUT} at level 1,
                      ${LEVEL_TWO_TIMEOUT} × runs/${DEFAULT_RUNS} at level 2)
  --level 1|2         run one level only
  --check ID          run this check only (repeatable; ID or ID@PAGESIZE, e.g. model-persistent@4096)
  -h, --help          this text

Exit status: 0 when every check passes, 1 when any fails, 2 for bad arguments or a module that cannot be used.
`;

/** Where the command writes and where it resolves the module from; the defaults are the process's. */
export interface ConformanceIo {
  out(text: string): void;
  err(text: string): void;
  cwd: string;
}

const processIo: ConformanceIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  get cwd() {
    return process.cwd();
  },
};

class UsageError extends Error {}

interface Values {
  export?: string;
  seed?: string;
  runs?: string;
  timeout?: string;
  level?: string;
  'page-sizes'?: string;
  'page-size'?: string;
  check?: string[];
}

/** `spinvm conformance <module> ...`: 0 when every check passes, 1 when one fails, 2 for usage or loading problems. */
export async function run(argv: string[], io: ConformanceIo = processIo): Promise<number> {
  const parsed = parseCommand<Values>(
    'conformance',
    USAGE,
    argv,
    {
      export: { type: 'string' },
      seed: { type: 'string' },
      runs: { type: 'string' },
      timeout: { type: 'string' },
      level: { type: 'string' },
      'page-sizes': { type: 'string' },
      'page-size': { type: 'string' },
      check: { type: 'string', multiple: true },
    },
    io,
  );
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;

  let target: PagerConformanceTarget;
  const only: Array<string | 1 | 2> = [];
  let level: 1 | 2 | undefined;
  try {
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'no module given' : `one module expected, got ${positionals.length}`);
    const seed = integer(values.seed, '--seed', -(2 ** 31), 2 ** 31 - 1);
    const runs = integer(values.runs, '--runs', 1, 1_000_000);
    const timeout = integer(values.timeout, '--timeout', 1, 2 ** 31 - 1);
    if (values['page-sizes'] !== undefined && values['page-size'] !== undefined) throw new UsageError('give --page-sizes or --page-size, not both');
    const sizesText = values['page-sizes'] ?? values['page-size'];
    const pageSizes =
      sizesText === undefined
        ? undefined
        : sizesText.split(',').map((part) => pageSize(part.trim(), values['page-sizes'] !== undefined ? '--page-sizes' : '--page-size'));
    if (values.level !== undefined && values.level !== '1' && values.level !== '2') throw new UsageError(`--level must be 1 or 2; got '${values.level}'`);
    level = values.level === undefined ? undefined : (Number(values.level) as 1 | 2);
    if (values.check !== undefined && level !== undefined) throw new UsageError('give --check or --level, not both');
    if (level) only.push(level);
    for (const id of values.check ?? []) only.push(id);
    target = await loadTarget(positionals[0]!, values.export, io.cwd);
    if (seed !== undefined) target.seed = seed;
    if (runs !== undefined) target.runs = runs;
    if (timeout !== undefined) target.timeout = timeout;
    if (pageSizes !== undefined) {
      delete target.pageSize;
      target.pageSizes = pageSizes;
    }
    checkTarget(target); // a contradictory or incomplete declaration is refused before anything runs
  } catch (err) {
    if (err instanceof UsageError) return usage(io, err.message);
    io.err(`spinvm conformance: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }

  const declared = checkTarget(target);
  const what = level ? ` (level ${level} only)` : values.check ? ` (${values.check.join(', ')} only)` : '';
  io.out(`spinvm conformance: ${declared.name}${what}\n`);
  io.out(`  at ${declared.pageSizes.join(', ')}-byte pages; ${declared.runs} randomized runs per level-2 check; seed ${declared.seed}\n`);
  let report;
  try {
    report = await runPagerConformance(target, {
      ...(only.length > 0 ? { only } : {}),
      onResult: (r) => io.out(progressLine(r)),
    });
  } catch (err) {
    io.err(`spinvm conformance: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  if (report.results.length === 0) {
    io.err(`spinvm conformance: no check is called ${values.check?.map((c) => `'${c}'`).join(' or ')}\n`);
    return 2;
  }
  io.out(`\n${formatReport(report)}\n`);
  return report.failed > 0 ? 1 : 0;
}

function progressLine(r: CheckResult): string {
  const mark = r.status === 'passed' ? '✓' : r.status === 'failed' ? '✗' : '-';
  const tail = r.status === 'skipped' ? ` (skipped: ${r.reason})` : ` (${r.pageSize}-byte pages) ${Math.round(r.ms)} ms`;
  return `  ${mark} level ${r.level} › ${r.title}${tail}\n`;
}

function integer(text: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < min || n > max) throw new UsageError(`${flag} must be an integer from ${min} to ${max}; got '${text}'`);
  return n;
}

function pageSize(text: string, flag: string): number {
  const n = Number(text);
  if (text === '' || !Number.isInteger(n) || n < 512 || n > 2 ** 30 || (n & (n - 1)) !== 0)
    throw new UsageError(`${flag} takes powers of two from 512, separated by commas; got '${text}'`);
  return n;
}

const FACTORY_HINT = (cls: string): string =>
  `export a factory: 'export const makePager = () => new ${cls}(...)' (its static capabilities are read from the pager it makes), or 'export const conformance = { pager: ${cls}, makePager: () => new ${cls}(...) }'`;

/** Imports the module and makes a conformance target of what it exports. */
async function loadTarget(specifier: string, exportName: string | undefined, cwd: string): Promise<PagerConformanceTarget> {
  let url: string;
  try {
    url = resolveModule(specifier, cwd);
  } catch (err) {
    if (err instanceof ModuleNotFoundError) throw new Error(`cannot find '${specifier}': ${err.message}`);
    throw err;
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`importing ${url} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const exported = Object.keys(mod).filter((k) => mod[k] !== undefined);
  const listing = exported.join(', ') || 'nothing';

  if (exportName !== undefined) {
    if (mod[exportName] === undefined) throw new Error(`${specifier} has no export '${exportName}'; it exports ${listing}`);
    return fromValue(mod[exportName], `'${exportName}'`, specifier, exportName);
  }
  for (const name of ['conformance', 'default']) {
    if (mod[name] !== undefined) return fromValue(mod[name], `'${name}'`, specifier, name);
  }
  if (typeof mod.makePager === 'function') return fromNamedExports(mod, specifier);
  const classes = exported.filter((k) => isPagerClass(mod[k]) && !isBasePagerClass(mod[k]));
  const declared = classes.filter((k) => (mod[k] as PagerClass).capabilities !== undefined);
  const chosen = declared.length === 1 ? declared : classes;
  if (chosen.length === 1) return fromValue(mod[chosen[0]!], `'${chosen[0]}'`, specifier, chosen[0]!, mod.capabilities);
  if (chosen.length > 1) throw new Error(`${specifier} exports several pager classes (${chosen.join(', ')}): choose one with --export NAME`);
  const extension = mod.manifest !== undefined ? ' It is an extension: export its Pager subclass (with static capabilities) from it too.' : '';
  throw new Error(
    `${specifier} has nothing the kit can test: export a Pager subclass with static capabilities, named exports { makePager, capabilities }, or a 'conformance' or default export.${extension} It exports ${listing}`,
  );
}

/** The module's named exports as a target: makePager, with capabilities or the made pager's class's. */
async function fromNamedExports(mod: Record<string, unknown>, specifier: string): Promise<PagerConformanceTarget> {
  const target: Record<string, unknown> = {};
  for (const key of TARGET_KEYS) if (mod[key] !== undefined) target[key] = mod[key];
  return completeFactoryTarget(target as PagerConformanceTarget, specifier, 'makePager');
}

/** A target whose makePager is given but whose capabilities or name may come from the class of what it makes. */
async function completeFactoryTarget(target: PagerConformanceTarget, specifier: string, label: string): Promise<PagerConformanceTarget> {
  if (target.pager !== undefined) return target;
  if (target.capabilities !== undefined) return { name: `${specifier}#${label.replace(/^export /, '').replace(/'/g, '')}`, ...target };
  // Make one pager (never initialised) to learn its class: its static capabilities and its name.
  let probe: unknown;
  try {
    probe = await target.makePager!({ pageSize: (target.pageSizes ?? [target.pageSize ?? 4096])[0]! });
  } catch (err) {
    throw new Error(`${label} of ${specifier} threw: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (!isPagerInstance(probe))
    throw new Error(`${label} of ${specifier} answered something that is not a pager (no pageIn, pageOut, init and destroy methods)`);
  const cls = (probe as object).constructor as PagerClass;
  if (target.capabilities === undefined && cls.capabilities === undefined) {
    throw new Error(
      `${label} of ${specifier} makes a ${cls.name}, which has no static capabilities: declare them on the class (static capabilities = { pageOut, persistent, readOnly, zeroFill }) or export capabilities`,
    );
  }
  return { ...target, pager: cls };
}

/** A target from one exported value: a class, a target object, or a function answering either. */
async function fromValue(value: unknown, label: string, specifier: string, exportName: string, capabilities?: unknown): Promise<PagerConformanceTarget> {
  if (isPagerClass(value)) {
    if (isBasePagerClass(value)) throw new Error(`export ${label} of ${specifier} is spinvm's abstract Pager itself, not a pager: export your subclass`);
    const cls = value as PagerClass;
    if (cls.length > 0) {
      throw new Error(
        `${cls.name} (export ${label}) has a constructor that takes ${cls.length} argument${cls.length === 1 ? '' : 's'}, so the kit cannot make one: ${FACTORY_HINT(cls.name)}`,
      );
    }
    const declared =
      capabilities !== undefined && cls.capabilities === undefined ? { capabilities: capabilities as PagerConformanceTarget['capabilities'] } : {};
    if (cls.capabilities === undefined && capabilities === undefined) {
      throw new Error(
        `${cls.name} (export ${label}) has no static capabilities: declare what it does once, on the class: static capabilities = { pageOut: true, persistent: false, readOnly: false, zeroFill: true }`,
      );
    }
    return { pager: cls, ...declared };
  }
  if (typeof value === 'function') {
    let answer: unknown;
    try {
      answer = await (value as () => unknown)();
    } catch (err) {
      throw new Error(`export ${label} of ${specifier} threw: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    // A factory of pagers: the made pager's class says what it does.
    if (isPagerInstance(answer)) return completeFactoryTarget({ makePager: value as PagerConformanceTarget['makePager'] }, specifier, `export ${label}`);
    value = answer;
    if (isPagerClass(value)) return fromValue(value, label, specifier, exportName);
  }
  if (!value || typeof value !== 'object') {
    throw new Error(
      `export ${label} of ${specifier} is neither a Pager subclass, a conformance object ({ pager } or { makePager, capabilities }), nor a function answering one`,
    );
  }
  const target = { ...(value as PagerConformanceTarget) };
  if (target.makePager !== undefined && typeof target.makePager === 'function' && target.pager === undefined && target.capabilities === undefined) {
    return completeFactoryTarget(target, specifier, `makePager (export ${label})`);
  }
  if (target.name === undefined && target.pager === undefined) target.name = `${specifier}#${exportName}`;
  return target;
}

function usage(io: CommandIo, message: string): number {
  return usageError('conformance', USAGE, io, message);
}
