// gpaco.showLog: the run's trainer.log in an editor, scrolled to its end.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Lab } from '../lab';
import type { CommandResult, LabCommand } from './command';
import { pickRuns } from './runPicker';

async function showLog(lab: Lab, ...args: unknown[]): Promise<CommandResult> {
  const [v] = await pickRuns(lab, args, 'Show Log', () => true);
  if (!v) return { ok: false, reason: 'no-run', message: 'no run given' };
  const file = path.join(v.dir, 'trainer.log');
  if (!fs.existsSync(file)) fs.writeFileSync(file, '', { flag: 'a' });
  const editor = await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: false });
  const last = editor.document.lineCount - 1;
  editor.revealRange(new vscode.Range(last, 0, last, 0), vscode.TextEditorRevealType.Default);
  return { ok: true, detail: file };
}

export const showLogCommand: LabCommand = { id: 'gpaco.showLog', run: showLog };
