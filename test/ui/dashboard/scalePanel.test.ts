// The dashboard panel at iNaturalist's scale in a real VS Code (code-server + Chromium, the
// extension installed from its .vsix): an 8,142-class fixture with 24,426 test images draws
// (exactly the pixels holding a non-zero cell are coloured), and hovering the largest
// confusion, zoomed in with the wheel, shows the fixture's count for that cell.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { makeFixtureRun, type FixtureRun } from '../../../test/shared/dashboardRuns';
import {
  openViewContainer,
  openWorkbench,
  packagedExtensionsDir,
  startCodeServer,
  treeRow,
  type CodeServer,
  type Workbench,
} from '../harness';
import { matrixCanvas, type ElementLike } from './matrixProbe';
import { openDashboard } from './openPanel';
import { checkLargeMatrix } from './runChecks';

let server: CodeServer;
let wb: Workbench;
let ws: string;
let run: FixtureRun;

before(async () => {
  ws = fs.mkdtempSync(path.join(os.tmpdir(), 'gpaco-ui-scale-panel-'));
  run = makeFixtureRun(path.join(ws, 'runs'), { classes: 8142, id: 'inat', name: 'inat-panel', epochs: 1, testPerClass: 3 });
  server = await startCodeServer({ extensionsDir: packagedExtensionsDir(), settings: { 'workbench.colorTheme': 'Default Light Modern' } });
  wb = await openWorkbench(server, { folder: ws, viewport: { width: 1400, height: 1000 } });
  await openViewContainer(wb.page, 'GPaCo Lab');
  await treeRow(wb.page, 'inat-panel').waitFor({ timeout: 60_000 });
});

after(async () => {
  await wb?.close();
  await server?.stop();
  fs.rmSync(ws, { recursive: true, force: true });
});

test('the 8,142-class dashboard panel draws its cells and hovering one shows its count', { timeout: 180_000 }, async () => {
  const { page } = wb;
  const frame = await openDashboard(page, 'inat-panel', 90_000);
  await checkLargeMatrix(frame, run, 'epoch-0001', (dy) => page.mouse.wheel(0, dy));
  const d = await matrixCanvas(frame).evaluate((el) => ({ ...(el as unknown as ElementLike).dataset }));
  assert.equal(d.size, '8142');
  const hoverMs = await frame.locator('.matrix-readout').first().getAttribute('data-hover-ms');
  console.log(`[scale panel] 8,142 classes: decode ${d.decodeMs} ms, first draw ${d.drawMs} ms, last hover ${hoverMs} ms (shared machine)`);
});
