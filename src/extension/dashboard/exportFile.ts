// Saving what a webview exports (a chart PNG, a CSV): the webview sends the bytes and a bare
// file name; the user picks where it goes in a save dialog. A webview never names a path.
import * as os from 'node:os';
import * as vscode from 'vscode';

const PNG_PREFIX = 'data:image/png;base64,';
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export type ExportOutcome = { kind: 'saved'; uri: vscode.Uri } | { kind: 'cancelled' } | { kind: 'invalid'; reason: string };

/** The bytes of an export, or why they are refused (a PNG must really be one). */
export function exportBytes(format: 'png' | 'csv', data: string): Uint8Array | string {
  if (format === 'csv') return Buffer.from(data, 'utf8');
  if (!data.startsWith(PNG_PREFIX)) return 'PNG export is not a data:image/png;base64 URL';
  const bytes = Buffer.from(data.slice(PNG_PREFIX.length), 'base64');
  if (bytes.length < 8 || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) return 'PNG export does not hold a PNG image';
  return bytes;
}

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
