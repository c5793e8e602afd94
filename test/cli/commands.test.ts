import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { editDistance, parseStrict, suggest, UsageError } from '../../cli/args.js';
import { COMMANDS, main, version } from '../../cli/commands.js';

/**
 * The `spinvm` command's conventions, run in this process with its output captured: --version, help for every
 * command, unknown arguments refused before anything runs, usage on stderr for errors and on stdout when asked,
 * and a suggestion for a misspelt option or command.
 */

const REPO = join(import.meta.dirname, '../..');
const NAMES = Object.keys(COMMANDS);

async function spinvm(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

describe('spinvm --version', () => {
  it("prints package.json's version on stdout", async () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
    expect(version()).toBe(pkg.version);
    for (const flag of ['--version', '-v']) {
      const r = await spinvm(flag);
      expect(r).toEqual({ code: 0, out: `spinvm ${pkg.version}\n`, err: '' });
    }
  });

  it('takes nothing after it', async () => {
    const r = await spinvm('--version', 'now');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unexpected argument 'now'/);
  });
});

describe('spinvm help', () => {
  it('lists every command on stdout for help, --help and -h', async () => {
    for (const flag of ['help', '--help', '-h']) {
      const r = await spinvm(flag);
      expect(r.code).toBe(0);
      expect(r.err).toBe('');
      expect(r.out).toMatch(/^usage: spinvm <command> \[options\]/);
      for (const name of NAMES) expect(r.out).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
      expect(r.out).toContain('spinvm --version');
      expect(r.out).toContain('spinvm help <command>');
    }
  });

  it.each(NAMES)("help %s and %s --help print that command's usage on stdout", async (name) => {
    const viaHelp = await spinvm('help', name);
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.err).toBe('');
    expect(viaHelp.out).toMatch(new RegExp(`^usage: spinvm ${name}\\b`));
    expect(viaHelp.out).toMatch(/-h, --help/);
    for (const flag of ['--help', '-h']) expect(await spinvm(name, flag)).toEqual(viaHelp);
  });

  it('refuses help for a command that does not exist, suggesting the one meant', async () => {
    const r = await spinvm('help', 'simulat');
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^spinvm: unknown command 'simulat' \(did you mean simulate\?\)\n\nusage: spinvm <command>/);
  });
});

describe('errors', () => {
  it('an unknown command: a suggestion and the usage on stderr, exit 2', async () => {
    const r = await spinvm('dmeo');
    expect(r).toMatchObject({ code: 2, out: '' });
    expect(r.err).toMatch(/^spinvm: unknown command 'dmeo' \(did you mean demo\?\)\n\nusage: spinvm <command>/);
    const far = await spinvm('frobnicate');
    expect(far.err).toMatch(/^spinvm: unknown command 'frobnicate'\n/);
  });

  it('an option before the command', async () => {
    const r = await spinvm('--verison');
    expect(r).toMatchObject({ code: 2, out: '' });
    expect(r.err).toMatch(/^spinvm: unknown option '--verison' \(did you mean --version\?\)/);
    expect((await spinvm('--frames', '8', 'demo')).err).toMatch(/unknown option '--frames'; a command's options go after its name/);
  });

  it.each(NAMES)('%s --bogus is refused before the command runs: usage on stderr, nothing on stdout, exit 2', async (name) => {
    const r = await spinvm(name, '--bogus');
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(new RegExp(`^spinvm ${name}: unknown option '--bogus'\\n\\nusage: spinvm ${name}\\b`));
  });

  it.each([
    ['demo', ['--frame', '8'], '--frames'],
    ['demo', ['--extensions', 'x'], '--extension'],
    ['simulate', ['--polciy', 'lru'], '--policy'],
    ['bench', ['--smok'], '--smoke'],
    ['bench', ['--repaets', '3'], '--repeats'],
    ['conformance', ['--sede', '3'], '--seed'],
  ])('%s %j: did you mean %s?', async (name, args, meant) => {
    const r = await spinvm(name, ...args);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain(`(did you mean ${meant}?)`);
  });

  it('the demo and the bench take no positional arguments, and the demo checks --frames', async () => {
    for (const [name, ...args] of [
      ['demo', 'now'],
      ['bench', 'hits'],
    ]) {
      const r = await spinvm(name!, ...args);
      expect(r.code, `${name} ${args}`).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toMatch(/unexpected argument/);
    }
    expect((await spinvm('demo', '--extension=')).err).toMatch(/^spinvm demo: --extension needs a module path or package name\n/);
    for (const frames of ['0', '3', 'many', '1e3', '100000']) {
      const r = await spinvm('demo', '--frames', frames);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/--frames must be an integer from 4 to 16384/);
    }
  });

  it('bench: a bad value is a usage error', async () => {
    for (const args of [['--size', '-1'], ['--only', 'hits,nope'], ['--out', ''], ['--seed']]) {
      const r = await spinvm('bench', ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(/^spinvm bench: .*\n\nusage: spinvm bench/);
    }
  });
});

describe('the parser', () => {
  it('edit distance counts a transposition as one edit', () => {
    expect(editDistance('frames', 'frames')).toBe(0);
    expect(editDistance('fames', 'frames')).toBe(1);
    expect(editDistance('framse', 'frames')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('suggests the close option, a unique prefix, or nothing', () => {
    const options = ['--frames', '--policy', '--plot', '--plot-frames', '--progress', '-h', '--help'];
    expect(suggest('--fames', options)).toBe('--frames');
    expect(suggest('--FRAMES', options)).toBe('--frames');
    expect(suggest('--fr', options)).toBe('--frames');
    expect(suggest('--pl', options)).toBeUndefined(); // --plot and --plot-frames
    expect(suggest('--plotframes', options)).toBe('--plot-frames');
    expect(suggest('--bogus', options)).toBeUndefined();
    expect(suggest('-x', options)).toBeUndefined();
    expect(suggest('--', options)).toBeUndefined();
  });

  it('parseStrict answers values, or a UsageError in plain words', () => {
    const options = { frames: { type: 'string' as const }, all: { type: 'boolean' as const } };
    expect(parseStrict(['--frames', '3', 'x'], options)).toEqual({ values: { frames: '3' }, positionals: ['x'] });
    expect(() => parseStrict(['x'], options, { positionals: false })).toThrow(UsageError);
    expect(() => parseStrict(['--fraems=3'], options)).toThrow(/^unknown option '--fraems' \(did you mean --frames\?\)$/);
    expect(() => parseStrict(['--all=yes'], options)).toThrow(/^option '--all' does not take an argument$/);
    expect(() => parseStrict(['--frames'], options)).toThrow(/^option '--frames <value>' argument missing$/);
  });
});
