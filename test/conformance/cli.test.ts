// `spinvm conformance <module>`: every form a pager module may take, as a stranger writes it from the README.
// The modules are plain JavaScript in a temporary folder, importing spinvm (this tree) by file URL.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../cli/conformance/command.js';

const REPO = join(import.meta.dirname, '../..');
const SPINVM = JSON.stringify(pathToFileURL(join(REPO, 'index.ts')).href);
const dir = mkdtempSync(join(tmpdir(), 'spinvm-cli-kit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The README's MapPager, with its capabilities declared once, as a static. */
const MAP_PAGER = `
export class MapPager extends Pager {
  static capabilities = { pageOut: true, persistent: false, readOnly: false, zeroFill: true };
  #pages = new Map();
  pageIn(page, frame, _access) {
    const kept = this.#pages.get(page);
    if (kept) frame.set(kept); else frame.fill(0);
    return ResultCode.Success;
  }
  pageOut(page, frame, dirty) {
    if (!dirty && this.#pages.has(page)) return ResultCode.AlreadyPagedOut;
    this.#pages.set(page, frame.slice());
    return ResultCode.Success;
  }
  destroy() { this.#pages.clear(); }
}
`;
const OPTIONS_PAGER = `
export class OptionsPager extends Pager {
  static capabilities = { pageOut: false, persistent: false, readOnly: true, zeroFill: false };
  constructor(options) { super(); this.fill = options.fill; }
  pageIn(page, frame) { frame.fill((page + this.fill) & 0xff); return ResultCode.Success; }
}
`;
const modules: Record<string, string> = {
  // README step 3 as written: the module exports the class, nothing else.
  'map-pager.js': MAP_PAGER,
  'named.js': `${MAP_PAGER.replace('export class', 'class')}
export const name = 'NamedMapPager';
export const makePager = () => new MapPager();
export const capabilities = { pageOut: true, persistent: false, readOnly: false, zeroFill: true };
`,
  // A class whose constructor takes options: a factory export, its capabilities read from the class.
  'factory.js': `${OPTIONS_PAGER}
export const makePager = () => new OptionsPager({ fill: 3 });
export const initialPage = (page, pageSize) => new Uint8Array(pageSize).fill((page + 3) & 0xff);
`,
  'needs-args.js': OPTIONS_PAGER,
  'conformance-export.js': `${MAP_PAGER}\nexport const conformance = { pager: MapPager, name: 'Declared', pageSizes: [1024] };\n`,
  'default-object.js': `${MAP_PAGER.replace('export class', 'class')}\nexport default { makePager: () => new MapPager(), capabilities: MapPager.capabilities };\n`,
  'default-function.js': `${MAP_PAGER.replace('export class', 'class')}\nexport default async () => ({ pager: MapPager });\n`,
  'default-class.js': `${MAP_PAGER.replace('export class', 'export default class')}`,
  'two.js': `${MAP_PAGER}\nexport class OtherPager extends MapPager {}\n`,
  'undeclared.js': MAP_PAGER.replace(/ {2}static capabilities = .*\n/, ''),
  'extension.js': `${MAP_PAGER}
export const manifest = { name: 'map-pager', version: '1.0.0', apiVersion: '^1.0.0' };
export function activate(context) { context.bindPager('map', MapPager); }
`,
  'nothing.js': `export const manifest = { name: 'x', version: '1.0.0', apiVersion: '^1.0.0' };\nexport function activate() {}\n`,
  // A pager of "another copy of spinvm": its own base class, carrying spinvm's brand, no instanceof possible.
  'other-copy.js': `
class OtherCopyPager {
  init(context) { this.context = context; }
  destroy() {}
  pageOut() { return 5; }
  pageOutRun(first, frames) { return frames.map((f, i) => this.pageOut(first + i, f, true)); }
  get refillsCleanPages() { return true; }
}
Object.defineProperty(OtherCopyPager.prototype, Symbol.for('spinvm.Pager'), { value: true });
export class ZeroPager extends OtherCopyPager {
  static capabilities = { pageOut: false, persistent: false, readOnly: true, zeroFill: true };
  pageIn(page, frame) { frame.fill(0); return 0; }
}
`,
  'slow.js': `${MAP_PAGER.replace('export class MapPager', 'class MapPager')}
export class SlowPager extends MapPager {
  pageIn(page, frame, access) { return new Promise((resolve) => setTimeout(() => resolve(super.pageIn(page, frame, access)), 2)); }
}
`,
  'forgetful.js': `
export class ForgetfulPager extends Pager {
  static capabilities = { pageOut: true, persistent: false, readOnly: false, zeroFill: true };
  pageIn(page, frame) { frame.fill(0); return ResultCode.Success; }
  pageOut() { return ResultCode.Success; }
}
`,
};
for (const [file, body] of Object.entries(modules)) {
  writeFileSync(join(dir, file), `import { Pager, ResultCode } from ${SPINVM};\n${body}`);
}

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(argv, { out: (t) => void out.push(t), err: (t) => void err.push(t), cwd: dir });
  return { code, out: out.join(''), err: err.join('') };
}

const FAST = ['--page-sizes', '512', '--runs', '3'];

describe('spinvm conformance: what a module may export', () => {
  it('README step 3 as written: a module exporting a Pager subclass with static capabilities, no --export', async () => {
    const r = await cli('./map-pager.js', ...FAST);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toMatch(/^spinvm conformance: MapPager\n  at 512-byte pages; 3 randomized runs per level-2 check; seed \d+\n/);
    expect(r.out).toMatch(/✓ level 1 › thousands of pages in one pager: .* \(512-byte pages\) \d+ ms/);
    expect(r.out).toMatch(/MapPager: \d+ passed, 0 failed, \d+ skipped/);
  });

  it('--export names the class; an extension module exporting its pager class works the same', async () => {
    for (const argv of [['./map-pager.js', '--export', 'MapPager'], ['./extension.js']]) {
      const r = await cli(...argv, '--level', '1', '--page-sizes', '512');
      expect(r.code, r.out + r.err).toBe(0);
      expect(r.out).toMatch(/^spinvm conformance: MapPager \(level 1 only\)\n/);
    }
  });

  it("named exports { name, makePager, capabilities }, and a factory whose pager's class declares its capabilities", async () => {
    const named = await cli('./named.js', ...FAST, '--level', '1');
    expect(named.code, named.out + named.err).toBe(0);
    expect(named.out).toMatch(/^spinvm conformance: NamedMapPager/);
    const factory = await cli('./factory.js', ...FAST);
    expect(factory.code, factory.out + factory.err).toBe(0);
    expect(factory.out).toMatch(/^spinvm conformance: OptionsPager\n/);
    expect(factory.out).toMatch(/- level 1 › .*\(skipped: page-out is declared absent\)/);
  });

  it("a 'conformance' export (its own page sizes unless --page-sizes), a default object, function or class", async () => {
    const declared = await cli('./conformance-export.js', '--level', '1');
    expect(declared.code, declared.out + declared.err).toBe(0);
    expect(declared.out).toMatch(/^spinvm conformance: Declared \(level 1 only\)\n  at 1024-byte pages;/);
    for (const file of ['./default-object.js', './default-function.js', './default-class.js']) {
      const r = await cli(file, '--check', 'round-trip', '--check', 'model-sequential@512', ...FAST);
      expect(r.code, `${file}: ${r.out}${r.err}`).toBe(0);
      expect(r.out).toMatch(/: 2 passed, 0 failed, 0 skipped/);
    }
  });

  it('a pager from another copy of spinvm (its own Pager class, carrying the brand) is tested like any other', async () => {
    const r = await cli('./other-copy.js', ...FAST);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toMatch(/✓ level 2 › randomized reads and writes/);
  });

  it('says what to write when the module cannot be tested as it is (exit 2)', async () => {
    const cases: Array<[string[], RegExp]> = [
      [
        ['./needs-args.js'],
        /OptionsPager \(export 'OptionsPager'\) has a constructor that takes 1 argument, so the kit cannot make one: export a factory: 'export const makePager = \(\) => new OptionsPager\(\.\.\.\)'/,
      ],
      [
        ['./undeclared.js'],
        /MapPager \(export 'MapPager'\) has no static capabilities: declare what it does once, on the class: static capabilities = \{ pageOut: true/,
      ],
      [['./two.js'], /exports several pager classes \(MapPager, OtherPager\): choose one with --export NAME/],
      [
        ['./nothing.js'],
        /has nothing the kit can test: export a Pager subclass with static capabilities, named exports \{ makePager, capabilities \}, or a 'conformance' or default export\. It is an extension/,
      ],
      [['./map-pager.js', '--export', 'Missing'], /has no export 'Missing'; it exports MapPager/],
      [['./nowhere.js'], /cannot find '\.\/nowhere\.js'/],
    ];
    for (const [argv, message] of cases) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toMatch(message);
    }
  });
});

describe('spinvm conformance: options', () => {
  it('--page-sizes, --runs and --seed are used and shown; a failure names the check, its page size and the seed (exit 1)', async () => {
    const r = await cli(
      './forgetful.js',
      '--page-sizes',
      '512,1024',
      '--runs',
      '5',
      '--seed',
      '7',
      '--check',
      'round-trip',
      '--check',
      'model-sequential@1024',
    );
    expect(r.code, r.out + r.err).toBe(1);
    expect(r.out).toMatch(
      /^spinvm conformance: ForgetfulPager \(round-trip, model-sequential@1024 only\)\n  at 512, 1024-byte pages; 5 randomized runs per level-2 check; seed 7\n/,
    );
    expect(r.out).toMatch(/✗ level 1 › page-out then page-in returns the same bytes.* \(512-byte pages\)/);
    expect(r.out).toMatch(/✗ round-trip at 1024-byte pages: /);
    expect(r.out).toMatch(/✗ model-sequential at 1024-byte pages: .*\n.*seed 7, path/);
    expect(r.out).toMatch(/ForgetfulPager: 0 passed, 3 failed, 0 skipped/);
  });

  it('--timeout bounds every check', async () => {
    const r = await cli('./slow.js', '--page-sizes', '512', '--timeout', '50', '--check', 'many-pages');
    expect(r.code, r.out + r.err).toBe(1);
    expect(r.out).toMatch(/the check \(many-pages at 512-byte pages; give a longer timeout if the pager is slow, not stuck\) did not answer within 50 ms/);
  });

  it('usage errors exit 2 with the usage; --help documents every option', async () => {
    for (const argv of [
      [],
      ['a', 'b'],
      ['--level', '3', 'x'],
      ['--bogus'],
      ['x', '--page-sizes', '1000'],
      ['x', '--page-sizes', '512,'],
      ['x', '--timeout', '0'],
      ['x', '--runs', '0'],
      ['x', '--level', '1', '--check', 'round-trip'],
    ]) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toMatch(/^spinvm conformance: .*\n\nusage: spinvm conformance <module>/);
    }
    const unknown = await cli('./map-pager.js', '--check', 'no-such-check', '--page-sizes', '512');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/no check is called 'no-such-check'/);
    const help = await cli('--help');
    expect(help.code).toBe(0);
    for (const option of ['--export', '--page-sizes', '--runs', '--seed', '--timeout', '--level', '--check', 'static capabilities'])
      expect(help.out).toContain(option);
  });
});
