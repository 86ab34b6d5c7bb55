// Saving what a webview exports (a chart PNG, a CSV): the webview sends the bytes and a bare
// file name; the user picks where it goes in a save dialog. A webview never names a path.
import * as os from 'node:os';
import * as vscode from 'vscode';
import { exportBytes } from './exportBytes';

export type ExportOutcome = { kind: 'saved'; uri: vscode.Uri } | { kind: 'cancelled' } | { kind: 'invalid'; reason: string };

export async function saveExport(format: 'png' | 'csv', fileName: string, data: string): Promise<ExportOutcome> {
  const bytes = exportBytes(format, data);
  if (typeof bytes === 'string') return { kind: 'invalid', reason: bytes };
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(os.homedir());
  const uri = await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.joinPath(folder, fileName),
    filters: format === 'png' ? { 'PNG image': ['png'] } : { 'CSV table': ['csv'] },
    title: `Save ${fileName}`,
  });
  if (!uri) return { kind: 'cancelled' };
  await vscode.workspace.fs.writeFile(uri, bytes);
  return { kind: 'saved', uri };
}
