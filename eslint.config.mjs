// ESLint flat config: typescript-eslint's type-checked recommended rules (no `any`, no floating
// promises, no unnecessary assertions),
// and the dependency rules between the parts (docs/architecture.md, "Dependency rules"): each
// message names the rule it enforces.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const WHERE = '(docs/architecture.md, Dependency rules)';
/** Import patterns of a folder of src/ (`../trainer`, `../../trainer/x`, ...). */
const folder = (name) => [`**/${name}`, `**/${name}/**`];
/**
 * One rule of docs/architecture.md: files under `files` import none of `folders` (of src/), no
 * TensorFlow.js unless `tfjs`, no vscode unless `vscode`; every message states the rule.
 */
const layer = (files, rule, { folders, tfjs = false, vscode = false }) => {
  const message = `${rule} ${WHERE}`;
  const patterns = folders.map((f) => ({ group: folder(f), message }));
  if (!tfjs) patterns.push({ group: ['@tensorflow/*'], message });
  return {
    files,
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { paths: vscode ? [] : [{ name: 'vscode', message }], patterns }] },
  };
};

const layerRules = [
  layer(['src/core/**/*.ts'], 'core imports no vscode, TensorFlow.js, trainer, extension, cli, data or webview (protocol is allowed).', {
    folders: ['trainer', 'extension', 'cli', 'data', 'webview'],
  }),
  layer(['src/data/**/*.ts'], 'data (readers, preflight) imports only core: no TensorFlow.js, vscode, trainer, extension, cli.', {
    folders: ['trainer', 'extension', 'cli', 'protocol', 'webview'],
  }),
  layer(['src/protocol/**/*.ts'], 'protocol is a leaf shared by the extension host and the webview: it imports no other part.', {
    folders: ['core', 'data', 'trainer', 'extension', 'cli', 'webview'],
  }),
  layer(
    ['src/extension/**/*.ts'],
    'the extension never imports the trainer, TensorFlow.js or the CLI (it runs the trainer as a child process).',
    { folders: ['trainer', 'cli', 'webview'], vscode: true },
  ),
  layer(
    ['src/cli/**/*.ts'],
    'the CLI never imports the trainer, TensorFlow.js, the extension or vscode (it runs the trainer as a child process).',
    { folders: ['trainer', 'extension', 'webview'] },
  ),
  layer(['src/trainer/**/*.ts'], 'the trainer never imports vscode, the extension or the CLI.', {
    folders: ['extension', 'cli', 'webview'],
    tfjs: true,
  }),
  layer(
    ['webview/**/*.ts'],
    'the webview talks to the extension only through src/protocol (no core, data, trainer, extension, cli, vscode, TensorFlow.js).',
    { folders: ['core', 'data', 'trainer', 'extension', 'cli'] },
  ),
];

export default tseslint.config(
  // kernels/ is AssemblyScript (its own types and built-ins), compiled by scripts/build-kernels.mjs.
  {
    ignores: ['kernels/**', 'dist/**', 'out/**', 'node_modules/**', '.cache/**', '.scratch/**', 'runs/**', 'test-results/**', '**/*.d.ts'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  // Type information from the nearest tsconfig (the root one, or webview/tsconfig.json).
  { files: ['**/*.ts'], languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } } },
  { files: ['**/*.mjs', '**/*.js', '**/*.cjs'], ...tseslint.configs.disableTypeChecked },
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-console': 'off',
      // node:test's test() / describe() return promises that the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'],
            },
          ],
        },
      ],
    },
  },
  ...layerRules,
  {
    // `../shared` in a comment means a document outside the repository; imports of test/shared
    // name it from the repository root (`../../test/shared/poll`), so a grep for it stays empty.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+shared/',
              message: 'import test/shared from the repository root, e.g. ../../test/shared/poll (docs/architecture.md, Test layers)',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.mjs', '**/*.js', '**/*.cjs'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        fetch: 'readonly',
        Buffer: 'readonly',
      },
    },
  },
);
