// spinvm as a user gets it: the tarball `npm pack` makes (test/helpers/packed.ts, once a run), unpacked, listed
// again with `npm pack --dry-run`, and its `spinvm` command run by plain node.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { packedSpinvm } from '../helpers/packed.js';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import semver from 'semver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PEER_PACKAGES } from '../../bench/peers.js';

const REPO = join(import.meta.dirname, '../..');
const manifest = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
  version: string;
  engines: { node: string };
  files: string[];
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
};
let root: string;
let pkg: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'spinvm-package-'));
  pkg = (await packedSpinvm()).dir;
}, 240_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

function spinvm(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const r = spawnSync(process.execPath, [join(pkg, 'dist/cli/main.js'), ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    cwd: options.cwd ?? root,
    env: options.env ?? process.env,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** `npm pack --dry-run --json` of the built package: the files it would publish. */
function packedFiles(): string[] {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const json = execFileSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: pkg, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const [report] = JSON.parse(json) as Array<{ files: Array<{ path: string }> }>;
  return report!.files.map((f) => f.path);
}

describe('the package', () => {
  it('ships LICENSE, README.md and the built code, and no source map pointing at a file it lacks', () => {
    // A map left in dist/ by an older build must not ship either.
    writeFileSync(join(pkg, 'dist/stale.js.map'), JSON.stringify({ version: 3, sources: ['../stale.ts'], mappings: '' }));
    const files = packedFiles();
    for (const f of ['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'dist/conformance/index.js'])
      expect(files).toContain(f);
    expect(readFileSync(join(pkg, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} the spinvm authors\n/);
    const maps = files.filter((f) => f.endsWith('.map'));
    for (const map of maps) {
      const { sources } = JSON.parse(readFileSync(join(pkg, map), 'utf8')) as { sources: string[] };
      for (const source of sources) expect(files, `${map} points at ${source}`).toContain(join(map, '..', source));
    }
    expect(maps).toEqual([]);
    // The build makes none: tsconfig.build.json turns them off.
    const built = (dir: string): string[] => readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => join(dir, f));
    expect(built(join(pkg, 'dist')).filter((f) => f.endsWith('.map') && !f.endsWith('stale.js.map'))).toEqual([]);
    // No TypeScript sources, no tests, no deliberately broken pagers.
    expect(files.filter((f) => (f.endsWith('.ts') && !f.endsWith('.d.ts')) || /\.test\.js$|conformance\/broken\//.test(f))).toEqual([]);
    // The kit is conformance/: nothing of test/ is built into the package.
    expect(files.filter((f) => f.startsWith('dist/test/'))).toEqual([]);
    rmSync(join(pkg, 'dist/stale.js.map'));
  }, 60_000);

  it('imports nothing at run time that its dependencies do not bring', () => {
    const files = packedFiles().filter((f) => f.endsWith('.js'));
    const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    const imported = new Map<string, string>();
    for (const file of files) {
      // The code, without its comments (whose examples may show imports of the user's own).
      const text = readFileSync(join(pkg, file), 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/^\s*\/\/.*$/gm, '');
      for (const m of text.matchAll(/(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*'([^']+)'|(?:^|[\s;])import\s*'([^']+)'|import\('([^']+)'\)/gm)) {
        const specifier = m[1] ?? m[2] ?? m[3]!;
        if (specifier.startsWith('.') || builtins.has(specifier)) continue;
        const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
        imported.set(name, file);
      }
    }
    // spinvm/sqlite loads wa-sqlite, an optional peer dependency, only when asked to (a dynamic import).
    for (const [name, file] of imported) expect(manifest.dependencies[name] ?? manifest.peerDependencies?.[name], `${file} imports ${name}`).toBeDefined();
    for (const name of Object.keys(manifest.peerDependencies ?? {})) expect(manifest.peerDependenciesMeta?.[name]?.optional, name).toBe(true);
    // The conformance kit (spinvm/conformance) runs fast-check; extensions read versions with semver.
    expect(imported.get('fast-check')).toMatch(/^dist\/conformance\//);
    expect(imported.has('semver')).toBe(true);
    // The bench's peers are loaded by computed specifiers, only where they are installed.
    for (const peer of Object.values(PEER_PACKAGES)) {
      expect(imported.has(peer.name), peer.name).toBe(false);
      expect(manifest.dependencies[peer.name]).toBeUndefined();
    }
    expect(manifest.optionalDependencies).toBeUndefined();
  }, 60_000);

  it('builds from a clean dist/ before it is packed', () => {
    expect(manifest.scripts.prepack).toMatch(/^node -e "require\('node:fs'\)\.rmSync\('dist',\{recursive:true,force:true\}\)" && npm run build$/);
    expect(manifest.files).toContain('!dist/**/*.map');
  });

  it('asks for a Node with zlib.crc32 (20.15 and later 20.x, 22.2 and later), which this one is', () => {
    const range = manifest.engines.node;
    expect(semver.satisfies(process.version, range)).toBe(true);
    expect(typeof zlib.crc32).toBe('function');
    for (const v of ['20.15.0', '20.20.2', '22.2.0', '24.0.0']) expect(semver.satisfies(v, range), v).toBe(true);
    for (const v of ['18.20.0', '20.14.0', '21.7.3', '22.1.0']) expect(semver.satisfies(v, range), v).toBe(false);
  });
});

describe('the spinvm command, run by node', () => {
  it('--version, help and errors', () => {
    expect(spinvm(['--version'])).toEqual({ code: 0, out: `spinvm ${manifest.version}\n`, err: '' });
    const help = spinvm(['help', 'demo']);
    expect(help).toMatchObject({ code: 0, err: '' });
    expect(help.out).toMatch(/^usage: spinvm demo/);
    expect(spinvm(['demo', '--help'])).toEqual(help);
    const bogus = spinvm(['demo', '--bogus']);
    expect(bogus).toMatchObject({ code: 2, out: '' });
    expect(bogus.err).toMatch(/^spinvm demo: unknown option '--bogus'\n\nusage: spinvm demo/);
    const typo = spinvm(['simulate', '--fames', '3', 'x.trace']);
    expect(typo).toMatchObject({ code: 2, out: '' });
    expect(typo.err).toContain("unknown option '--fames' (did you mean --frames?)");
  }, 60_000);

  it('simulate reports progress on stderr with --progress and keeps stdout for the table', () => {
    const trace = join(root, 'loop.trace');
    writeFileSync(trace, Array.from({ length: 2000 }, (_, i) => String(i % 37)).join('\n'));
    const quiet = spinvm(['simulate', '--policy', 'lru,fifo', '--frames', '8,16', trace]);
    expect(quiet).toMatchObject({ code: 0, err: '' });
    const loud = spinvm(['simulate', '--policy', 'lru,fifo', '--frames', '8,16', '--progress', trace]);
    expect(loud.out).toBe(quiet.out);
    expect(loud.err).toMatch(/^spinvm simulate: 100% \(6\/6 runs, [0-9.]+ s\) done\n$/);
  }, 60_000);

  it('bench writes nothing into the project unless --out asks', () => {
    const project = mkdtempSync(join(root, 'project-'));
    const r = spinvm(['bench', '--smoke', '--only', 'hits'], { cwd: project });
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('hits: ');
    expect(r.err).not.toContain('results written');
    expect(readdirSync(project)).toEqual([]);
    const asked = spinvm(['bench', '--smoke', '--only', 'hits', '--out', 'results.json'], { cwd: project });
    expect(asked.code, asked.err).toBe(0);
    expect(asked.err).toContain(`results written to ${join(project, 'results.json')}`);
    expect(readdirSync(project)).toEqual(['results.json']);
  }, 120_000);

  it('Ctrl-C during the demo removes its temporary folder and exits 130', async () => {
    const tmp = mkdtempSync(join(root, 'tmp-'));
    const child = spawn(process.execPath, [join(pkg, 'dist/cli/main.js'), 'demo', '--frames', '4096'], {
      cwd: root,
      env: { ...process.env, TMPDIR: tmp, TMP: tmp, TEMP: tmp },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const started = new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        // The swap files exist from step 2 on; step 3 then runs for seconds.
        if (/^2\. /m.test(out)) resolve();
      });
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await started;
    expect(readdirSync(tmp)).toHaveLength(1);
    const folder = join(tmp, readdirSync(tmp)[0]!);
    expect(out).toContain(`swap files in ${folder}`);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(out).not.toContain('all data read back intact');
    expect(err).toContain(`spinvm demo: interrupted; removed ${folder}`);
    expect(readdirSync(tmp)).toEqual([]);
  }, 60_000);
});
