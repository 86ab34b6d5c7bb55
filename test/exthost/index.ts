// Runs INSIDE the real extension host (extensionTestsPath): loads the session's bundled mocha
// files (see runner.ts) and reports. Exported `run()` resolves on success, rejects on failure.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type MochaClass from 'mocha';

interface SessionFile {
  session: string;
  files: string[];
  resultFile: string;
  grep: string;
}

export function run(): Promise<void> {
  // mocha 11 is CommonJS; mocha 12 would be a module namespace (mocha's module format changed between the two).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const m = require('mocha') as typeof MochaClass & { Mocha?: typeof MochaClass };
  const Mocha = m.Mocha ?? m;
  const session = JSON.parse(fs.readFileSync(path.join(__dirname, 'session.json'), 'utf8')) as SessionFile;
  const mocha = new Mocha({ ui: 'tdd', timeout: 60_000, color: false, reporter: 'spec', ...(session.grep ? { grep: session.grep } : {}) });
  for (const f of session.files) mocha.addFile(f);
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      const passed = runner.stats?.passes ?? 0;
      fs.writeFileSync(session.resultFile, JSON.stringify({ passed, failed: failures }));
      // A plain closing line CI can read.
      console.log(`${session.session}: ${passed} passed, ${failures} failed`);
      if (failures) reject(new Error(`${failures} test(s) failed`));
      else resolve();
    });
  });
}
