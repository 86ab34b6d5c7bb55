// ESLint flat config: typescript-eslint's recommended rules, type-aware where it matters (no `any`),
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
  return { files, rules: { '@typescript-eslint/no-restricted-imports': ['error', { paths: vscode ? [] : [{ name: 'vscode', message }], patterns }] } };
};

const layerRules = [
  layer(['src/core/**/*.ts'], 'core imports no vscode, TensorFlow.js, trainer, extension, cli, data or webview (protocol is allowed).', { folders: ['trainer', 'extension', 'cli', 'data', 'webview'] }),
  layer(['src/data/**/*.ts'], 'data (readers, preflight) imports only core: no TensorFlow.js, vscode, trainer, extension, cli.', { folders: ['trainer', 'extension', 'cli', 'protocol', 'webview'] }),
  layer(['src/protocol/**/*.ts'], 'protocol is a leaf shared by the extension host and the webview: it imports no other part.', { folders: ['core', 'data', 'trainer', 'extension', 'cli', 'webview'] }),
  layer(['src/extension/**/*.ts'], 'the extension never imports the trainer, TensorFlow.js or the CLI (it runs the trainer as a child process).', { folders: ['trainer', 'cli', 'webview'], vscode: true }),
  layer(['src/cli/**/*.ts'], 'the CLI never imports the trainer, TensorFlow.js, the extension or vscode (it runs the trainer as a child process).', { folders: ['trainer', 'extension', 'webview'] }),
  layer(['src/trainer/**/*.ts'], 'the trainer never imports vscode, the extension or the CLI.', { folders: ['extension', 'cli', 'webview'], tfjs: true }),
  layer(['webview/**/*.ts'], 'the webview talks to the extension only through src/protocol (no core, data, trainer, extension, cli, vscode, TensorFlow.js).', { folders: ['core', 'data', 'trainer', 'extension', 'cli'] }),
];

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.cache/**', '.scratch/**', 'runs/**', 'test-results/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-console': 'off',
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
        { patterns: [{ regex: '^(\\.\\./)+shared/', message: 'import test/shared from the repository root, e.g. ../../test/shared/poll (docs/architecture.md, Test layers)' }] },
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
      globals: { process: 'readonly', console: 'readonly', require: 'readonly', module: 'writable', __dirname: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', fetch: 'readonly', Buffer: 'readonly' },
    },
  },
);
