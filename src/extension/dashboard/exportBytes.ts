// What an export from a webview may contain (no vscode: unit-tested under Node).

const PNG_PREFIX = 'data:image/png;base64,';
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The bytes of an export, or why they are refused (a PNG must really be one). */
export function exportBytes(format: 'png' | 'csv', data: string): Uint8Array | string {
  if (format === 'csv') return Buffer.from(data, 'utf8');
  if (!data.startsWith(PNG_PREFIX)) return 'PNG export is not a data:image/png;base64 URL';
  const bytes = Buffer.from(data.slice(PNG_PREFIX.length), 'base64');
  if (bytes.length < 8 || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) return 'PNG export does not hold a PNG image';
  return bytes;
}
