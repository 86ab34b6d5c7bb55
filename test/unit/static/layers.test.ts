// The dependency rules between the parts (docs/architecture.md) are kept by ESLint
// (eslint.config.mjs, `@typescript-eslint/no-restricted-imports` per folder): a deliberately wrong
// import in a file of each part is rejected with a message naming the rule, and an allowed one
// passes. Run through ESLint's Node API on virtual files, so nothing is written.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';

const repoRoot = path.resolve(__dirname, '..', '..', '..');

interface Case {
  file: string;
  bad: string;
  /** Words of the rule's message. */
  rule: RegExp;
  good: string;
}

const CASES: Case[] = [
  {
    file: 'src/core/layerProbe.ts',
    bad: '../trainer/losses/queue',
    rule: /core imports no vscode, TensorFlow\.js, trainer/,
    good: '../protocol/snapshot',
  },
  { file: 'src/core/layerProbe.ts', bad: 'vscode', rule: /core imports no vscode/, good: './config/schema' },
  { file: 'src/core/layerProbe.ts', bad: '../data/index', rule: /core imports no .*data/, good: './contract' },
  {
    file: 'src/data/layerProbe.ts',
    bad: '@tensorflow/tfjs',
    rule: /data \(readers, preflight\) imports only core/,
    good: '../core/random',
  },
  { file: 'src/protocol/layerProbe.ts', bad: '../core/contract', rule: /protocol is a leaf/, good: './messages' },
  {
    file: 'src/extension/commands/layerProbe.ts',
    bad: '../../trainer/losses/queue',
    rule: /the extension never imports the trainer/,
    good: '../../data/index',
  },
  {
    file: 'src/extension/layerProbe.ts',
    bad: '@tensorflow/tfjs',
    rule: /the extension never imports the trainer, TensorFlow\.js/,
    good: 'vscode',
  },
  {
    file: 'src/cli/commands/layerProbe.ts',
    bad: '../../trainer/main',
    rule: /the CLI never imports the trainer/,
    good: '../trainerProcess',
  },
  {
    file: 'src/trainer/layerProbe.ts',
    bad: '../extension/lab',
    rule: /the trainer never imports vscode, the extension/,
    good: '@tensorflow/tfjs',
  },
  {
    file: 'test/unit/cli/layerProbe.ts',
    bad: ['..', '..', 'shared', 'tmp'].join('/'),
    rule: /import test\/shared from the repository root/,
    good: '../../../test/shared/tmp',
  },
  {
    file: 'webview/src/views/layerProbe.ts',
    bad: '../../../src/core/contract',
    rule: /the webview talks to the extension only through src\/protocol/,
    good: '../../../src/protocol/snapshot',
  },
];

test('ESLint rejects an import across a layer rule with the rule in its message, and accepts an allowed one', async () => {
  // The probe files exist only in memory, so no TypeScript program holds them: lint them without type
  // information (the import rules need none).
  const eslint = new ESLint({ cwd: repoRoot, overrideConfig: [{ files: ['**/*.ts'], ...tseslint.configs.disableTypeChecked }] });
  for (const c of CASES) {
    const lint = async (spec: string) => {
      const [r] = await eslint.lintText(`import * as probe from '${spec}';\nexport const used = probe;\n`, {
        filePath: path.join(repoRoot, c.file),
      });
      return r!.messages.filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports');
    };
    const bad = await lint(c.bad);
    assert.equal(bad.length, 1, `${c.file} importing ${c.bad}: ${JSON.stringify(bad)}`);
    assert.match(bad[0]!.message, c.rule, c.file);
    assert.match(bad[0]!.message, /docs\/architecture\.md/);
    assert.deepEqual(await lint(c.good), [], `${c.file} importing ${c.good} is allowed`);
  }
});
