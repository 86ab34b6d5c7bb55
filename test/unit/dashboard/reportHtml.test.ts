// The dashboard page builder and `gpaco report`'s HTML: self-contained, strict CSP, data that
// cannot break out of its script element.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { renderReport } from '../../../src/cli/commands/report';
import { dashboardPage, jsonForScript, reportCsp, webviewCsp } from '../../../src/core/dashboardHtml';
import type { ReportData } from '../../../src/protocol/snapshot';
import { makeFixtureRun } from '../../../test/shared/dashboardRuns';

let root: string;
before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'gpaco-report-html-'));
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

describe('dashboard page', () => {
  it('JSON in a script element cannot close it or open a comment', () => {
    const text = jsonForScript({ name: '</script><script>alert(1)</script><!--', sep: '\u2028' });
    assert.ok(!/[<>]/.test(text));
    assert.deepEqual(JSON.parse(text), { name: '</script><script>alert(1)</script><!--', sep: '\u2028' });
  });

  it('an inlined bundle containing "</script" does not end its element', () => {
    const html = dashboardPage({ title: 't', boot: {}, nonce: 'n0', csp: reportCsp('n0'), script: { inline: 'const s = "</script>";' } });
    assert.equal(html.match(/<\/script>/g)!.length, 2, 'only the boot element and the bundle element close');
    assert.match(html, /const s = "<\\\/script>";/);
  });

  it('CSPs allow only the nonce (and the extension files in a webview)', () => {
    assert.equal(reportCsp('abc'), "default-src 'none'; img-src data: blob:; style-src 'nonce-abc'; script-src 'nonce-abc'");
    const csp = webviewCsp('https://file+.vscode-resource.vscode-cdn.net', 'abc');
    assert.match(csp, /script-src 'nonce-abc'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
  });
});

describe('gpaco report html', () => {
  it('is one self-contained file: bundle, data and CSP inline, nothing fetched', () => {
    const a = makeFixtureRun(path.join(root, 'runs'), { classes: 10, id: 'a', name: 'run <a>' });
    const b = makeFixtureRun(path.join(root, 'runs'), { classes: 10, id: 'b', seed: 3 });
    const { html } = renderReport([a.dir, b.dir], 'console.log("bundle")', { title: 'My report' });
    assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none';/);
    const nonce = /'nonce-([^']+)'/.exec(html)![1]!;
    assert.match(html, new RegExp(`<script type="module" nonce="${nonce.replace(/[+/=]/g, '\\$&')}">console.log\\("bundle"\\)</script>`));
    assert.doesNotMatch(html, /\b(src|href)=/, 'no external resources');
    const data = JSON.parse(/<script type="application\/json" id="gpaco-data">(.*?)<\/script>/s.exec(html)![1]!) as ReportData;
    assert.equal(data.kind, 'report');
    assert.equal(data.title, 'My report');
    assert.deepEqual(
      data.runs.map((r: { snapshot: { run: { name: string } } }) => r.snapshot.run.name),
      ['run <a>', 'fixture-10'],
    );
    assert.ok(data.compare, 'two runs get a comparison');
    assert.ok(!html.includes('run <a>'), 'names are escaped in the page');
  });
});
