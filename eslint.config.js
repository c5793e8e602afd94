// The layering, checked rather than remembered: vmcore ← fs ← pagers ← extensions (then cli and bench).
// vmcore imports nothing of the others (the file system depends on vmcore, SPIN's reason for the
// bogopager); fs imports only vmcore; pagers import vmcore and fs; extensions may import all of them.
// Shipped code never imports the tests. The conformance kit ships (spinvm/conformance) and stands beside the
// layers: it imports vmcore, fs and pagers. The command line and the bench are applications on top.
//
// Second rule: a layer imports another only through that layer's index.ts, its interface to the other
// layers (`../vmcore/index.js`, never `../vmcore/vm/vm.js`; a sub-folder's index such as
// `pagers/file-pager/index.js` is internal to its layer too). The package root imports the layers' indexes.
// Tests are not bound by either rule: they test units and may import a file directly.
import tseslint from 'typescript-eslint';

const LAYERS = ['vmcore', 'fs', 'pagers', 'extensions', 'conformance', 'cli', 'bench'];
const CALLED = { conformance: 'the conformance kit', cli: 'the command line', bench: 'the bench' };

// Folders nest at most this deep under a layer (extensions/examples/<name>/ is 3). Each depth gets its own
// block, so that `../` counted exactly reaches the repository's root: `cli/simulate/x.ts` importing
// `../conformance/command.js` is cli's own sub-folder, not the conformance kit.
const DEPTHS = [1, 2, 3, 4, 5, 6];

// A layer's public entries: its index.ts, and for extensions the index of a subpath the package exports on its
// own (spinvm/sqlite is extensions/sqlite/index.ts), which the bench may measure like any user.
const ENTRIES = { extensions: ['index', 'sqlite/index'] };
const entries = (layer) => `(${(ENTRIES[layer] ?? ['index']).map((e) => `${e}\\.js`).join('|')})`;

/**
 * The import rules for one layer's files: it refuses the folders in `refuses` outright (`why` says so), and
 * every other layer past its index.ts. ESLint's flat config does not merge two `no-restricted-imports`
 * settings for one file (the later wins), so both rules are one pattern list.
 */
function layer(name, refuses, why) {
  const others = LAYERS.filter((l) => l !== name && !refuses.includes(l));
  return DEPTHS.map((depth) => {
    const up = `^(\\.\\./){${depth}}`;
    return {
      files: [`${name}/${'*/'.repeat(depth - 1)}*.ts`],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            patterns: [
              { regex: `${up}(${refuses.join('|')})/`, message: why },
              ...others.map((other) => ({
                regex: `${up}${other}/(?!${entries(other)}$)`,
                message: `${CALLED[name] ?? name} imports ${CALLED[other] ?? other} through its index (${other}/index.js) only: layers import each other through their index.ts.`,
              })),
            ],
          },
        ],
      },
    };
  });
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '**/.spinvm-tmp*/**', 'test/fixtures/**'] },
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  ...layer('vmcore', ['fs', 'pagers', 'extensions', 'conformance', 'cli', 'bench', 'test'], 'vmcore imports nothing of the other layers.'),
  ...layer('fs', ['pagers', 'extensions', 'conformance', 'cli', 'bench', 'test'], 'fs imports only vmcore.'),
  ...layer('pagers', ['extensions', 'conformance', 'cli', 'bench', 'test'], 'pagers import only vmcore and fs.'),
  ...layer('extensions', ['cli', 'bench', 'test'], 'extensions import vmcore, fs and pagers, never the command line, the bench or the tests.'),
  ...layer(
    'conformance',
    ['extensions', 'cli', 'bench', 'test'],
    'the conformance kit imports vmcore, fs and pagers, never the extensions, the command line, the bench or the tests.',
  ),
  ...layer('cli', ['test'], 'shipped code imports no test.'),
  ...layer('bench', ['test'], 'shipped code imports no test.'),
  {
    files: ['*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^\\./test/', message: 'shipped code imports no test.' },
            {
              regex: `^\\./(${LAYERS.join('|')})/(?!index\\.js$)`,
              message: "the package root offers what the layers' index.ts files offer: it imports nothing past them.",
            },
          ],
        },
      ],
    },
  },
);
