// The layering, checked rather than remembered: vmcore ← fs ← pagers ← extensions (then cli and bench).
// vmcore imports nothing of the others (the file system depends on vmcore, SPIN's reason for the
// bogopager); fs imports only vmcore; pagers import vmcore and fs; extensions may import all of them.
// Shipped code never imports the tests. The conformance kit ships (spinvm/conformance) and stands beside the
// layers: it imports vmcore, fs and pagers through their indexes, and the command line imports it through its own.
import tseslint from 'typescript-eslint';

/** A rule that refuses relative imports into the named top-level folders. */
function refuse(folders, why) {
  return {
    'no-restricted-imports': ['error', { patterns: [{ regex: `^(\\.\\./)+(${folders.join('|')})/`, message: why }] }],
  };
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '**/.spinvm-tmp*/**', 'test/fixtures/**'] },
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  { files: ['vmcore/**/*.ts'], rules: refuse(['fs', 'pagers', 'extensions', 'cli', 'bench', 'test'], 'vmcore imports nothing of the other layers.') },
  { files: ['fs/**/*.ts'], rules: refuse(['pagers', 'extensions', 'cli', 'bench', 'test'], 'fs imports only vmcore.') },
  { files: ['pagers/**/*.ts'], rules: refuse(['extensions', 'cli', 'bench', 'test'], 'pagers import only vmcore and fs.') },
  { files: ['extensions/**/*.ts'], rules: refuse(['cli', 'bench', 'test'], 'extensions import vmcore, fs and pagers, never the command line, the bench or the tests.') },
  {
    files: ['conformance/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^(\\.\\./)+(extensions|cli|bench|test)/', message: 'the conformance kit imports vmcore, fs and pagers, never the extensions, the command line, the bench or the tests.' },
            { regex: '^(\\.\\./)+(vmcore/(?!index\\.js$)|fs/(?!index\\.js$)|pagers/(?![\\w-]+/index\\.js$))', message: 'the conformance kit imports vmcore, fs and pagers through their index.ts.' },
          ],
        },
      ],
    },
  },
  {
    files: ['cli/**/*.ts', 'bench/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^(\\.\\./)+test/', message: 'shipped code imports no test.' },
            { regex: '^(\\.\\./)+conformance/(?!index\\.js$)', message: 'shipped code imports the conformance kit through its index.' },
          ],
        },
      ],
    },
  },
);
