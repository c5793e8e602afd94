import { parseCommand, usageError, type CommandIo } from '../args.js';
import { ModuleNotFoundError, resolveModule } from '../../extensions/resolve.js';
import { formatReport, runPagerConformance, type CheckResult, type PagerConformanceTarget } from '../../test/conformance/index.js';
import { Pager } from '../../vmcore/pager/pager.js';

const USAGE = `usage: spinvm conformance <module> [--export NAME] [--seed N] [--runs N] [--level 1|2] [--page-size N]

Runs spinvm's pager conformance kit against a pager module (a file path or an installed package name),
directly, without a test framework, and prints a table of what passed and failed.

The module exports what to test as 'conformance' (else its default export, or the export --export names):
  - an object { name?, makePager, capabilities, pageSize?, initialPage?, reopen?, cleanup? }
    where capabilities is { pageOut, persistent, readOnly, zeroFill, tracksState?, checksFrames?, maxPages? }
  - a function answering such an object (it may be async: make temporary directories there)
  - a Pager subclass with a static 'capabilities' and a constructor that needs no arguments

  --export NAME     the export to test
  --seed N          seed of the randomized level-2 checks (a failure prints the seed to replay it)
  --runs N          randomized runs per level-2 check (default 100)
  --level 1|2       run one level only
  --page-size N     bytes per page (default: the module's, else 4096)
  -h, --help        this text

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

/** `spinvm conformance <module> ...`: 0 when every check passes, 1 when one fails, 2 for usage or loading problems. */
export async function run(argv: string[], io: ConformanceIo = processIo): Promise<number> {
  const parsed = parseCommand<{ export?: string; seed?: string; runs?: string; level?: string; 'page-size'?: string }>('conformance', USAGE, argv, {
        export: { type: 'string' },
        seed: { type: 'string' },
        runs: { type: 'string' },
        level: { type: 'string' },
        'page-size': { type: 'string' },
      }, io);
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;

  let target: PagerConformanceTarget;
  let level: 1 | 2 | undefined;
  try {
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'no module given' : `one module expected, got ${positionals.length}`);
    const seed = integer(values.seed, '--seed', -(2 ** 31), 2 ** 31 - 1);
    const runs = integer(values.runs, '--runs', 1, 1_000_000);
    const pageSize = integer(values['page-size'], '--page-size', 512, 2 ** 30);
    if (values.level !== undefined && values.level !== '1' && values.level !== '2') throw new UsageError(`--level must be 1 or 2; got '${values.level}'`);
    level = values.level === undefined ? undefined : (Number(values.level) as 1 | 2);
    target = await loadTarget(positionals[0]!, values.export, io.cwd);
    if (seed !== undefined) target.seed = seed;
    if (runs !== undefined) target.runs = runs;
    if (pageSize !== undefined) target.pageSize = pageSize;
  } catch (err) {
    if (err instanceof UsageError) return usage(io, err.message);
    io.err(`spinvm conformance: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }

  io.out(`spinvm conformance: ${target.name}${level ? ` (level ${level} only)` : ''}\n`);
  let report;
  try {
    report = await runPagerConformance(target, {
      ...(level ? { only: [level] } : {}),
      onResult: (r) => io.out(progressLine(r)),
    });
  } catch (err) {
    // The declaration itself was refused (contradictory capabilities, a missing initialPage...).
    io.err(`spinvm conformance: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  io.out(`\n${formatReport(report)}\n`);
  return report.failed > 0 ? 1 : 0;
}

function progressLine(r: CheckResult): string {
  const mark = r.status === 'passed' ? '✓' : r.status === 'failed' ? '✗' : '-';
  const tail = r.status === 'skipped' ? ` (skipped: ${r.reason})` : ` ${Math.round(r.ms)} ms`;
  return `  ${mark} level ${r.level} › ${r.title}${tail}\n`;
}

function integer(text: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < min || n > max) throw new UsageError(`${flag} must be an integer from ${min} to ${max}; got '${text}'`);
  return n;
}

/** Imports the module and makes a conformance target of the chosen export. */
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
  const names = exportName !== undefined ? [exportName] : ['conformance', 'default'];
  const chosen = names.find((n) => mod[n] !== undefined);
  if (chosen === undefined) {
    const available = Object.keys(mod).join(', ') || 'nothing';
    const hint = mod.manifest !== undefined ? " (it is an extension: export a 'conformance' object from it too)" : '';
    throw new Error(`${specifier} has no export ${names.map((n) => `'${n}'`).join(' or ')}${hint}; it exports ${available}`);
  }
  let value: unknown = mod[chosen];
  // A class (checked by its source, so a Pager from another copy of spinvm is still recognised as one).
  if (typeof value === 'function' && (value.prototype instanceof Pager || /^class[\s{]/.test(Function.prototype.toString.call(value)))) {
    const PagerClass = value as (new () => Pager) & { capabilities?: PagerConformanceTarget['capabilities'] };
    if (!PagerClass.capabilities) throw new Error(`${PagerClass.name} (export '${chosen}') has no static 'capabilities': declare what it does, e.g. { pageOut: true, persistent: false, readOnly: false, zeroFill: true }`);
    return { name: PagerClass.name, makePager: () => new PagerClass(), capabilities: PagerClass.capabilities };
  }
  if (typeof value === 'function') value = await (value as () => unknown)();
  if (!value || typeof value !== 'object') throw new Error(`export '${chosen}' of ${specifier} is neither a conformance object, a function answering one, nor a Pager subclass`);
  const target = { ...(value as PagerConformanceTarget) };
  if (typeof target.name !== 'string' || target.name === '') target.name = `${specifier}#${chosen}`;
  return target;
}

function usage(io: CommandIo, message: string): number {
  return usageError('conformance', USAGE, io, message);
}
