// Opening and closing dashboard panels in code-server the way a user does (command palette and
// its quick pick), shared by the dashboard UI tests and `npm run bench:dashboard`.
import assert from 'node:assert/strict';
import type { FrameLocator, Page } from 'playwright-core';
import { runCommand, webviewFrame } from '../harness';

/** Opens a run's dashboard from the command palette and its quick pick; resolves once the webview has drawn its first snapshot. */
export async function openDashboard(page: Page, name: string, timeoutMs = 30_000): Promise<FrameLocator> {
  await runCommand(page, 'GPaCo: Open Dashboard');
  const input = page.locator('.quick-input-widget input');
  await page.locator('.quick-input-list .monaco-list-row').first().waitFor({ timeout: 30_000 });
  await input.fill(name);
  await page
    .locator('.quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: new RegExp(`^${name}$`) }) })
    .first()
    .click();
  const frame = webviewFrame(page);
  await frame.locator('body[data-state=ready]').waitFor({ timeout: timeoutMs });
  assert.equal(await frame.locator('h1.run-name').textContent(), name);
  return frame;
}

export async function closeEditors(page: Page): Promise<void> {
  await runCommand(page, 'View: Close All Editors');
  await page
    .locator('iframe.webview')
    .first()
    .waitFor({ state: 'detached', timeout: 10_000 })
    .catch(() => undefined);
}
