// Commands that would run code (the trainer, with the configured Node and native modules) are
// refused in Restricted Mode, with a way to manage workspace trust.
import * as vscode from 'vscode';
import type { Lab } from '../lab';

export function requireTrust(lab: Lab, what: string): { ok: false; reason: 'untrusted'; message: string } | undefined {
  if (vscode.workspace.isTrusted) return undefined;
  const message = `GPaCo Lab cannot ${what} in Restricted Mode: it would run code (the trainer, with the configured Node and native modules) for a workspace you have not trusted. Runs can still be viewed.`;
  void lab.notifier.show('warning', message, ['Manage Workspace Trust']).then((c) => {
    if (c) void vscode.commands.executeCommand('workbench.trust.manage');
  });
  return { ok: false, reason: 'untrusted', message };
}
