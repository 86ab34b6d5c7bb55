// Trainer log lines on stdout (launchers send stdout + stderr to <run>/trainer.log).
export function log(message: string): void {
  const t = new Date().toISOString().slice(11, 19);
  process.stdout.write(`[${t}] ${message}\n`);
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}
