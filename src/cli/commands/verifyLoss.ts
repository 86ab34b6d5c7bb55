// gpaco verify-loss FILE [--backend B] [--tolerance T]: checks the GPaCo/PaCo loss and its
// gradients on a backend against golden cases (schema gpaco-loss-golden/v1). TensorFlow.js lives
// only in the trainer, so this runs `node dist/trainer.js verify-loss ...` and relays its report.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BACKENDS } from '../../core/config/schema';
import { waitForChild } from '../follow';
import { EXIT, UsageError, registerCommand, type CommandContext } from '../registry';
import { checkTrainer, trainerScript } from '../trainerProcess';

async function verifyLoss(ctx: CommandContext): Promise<number> {
  const { io } = ctx;
  const file = path.resolve(ctx.cwd, ctx.positionals[0]!);
  if (!fs.existsSync(file)) throw new UsageError(`${file} does not exist`);
  const backend = ctx.string('backend');
  if (backend !== undefined && !(BACKENDS as readonly string[]).includes(backend)) {
    throw new UsageError(`--backend: "${backend}" is not one of ${BACKENDS.join(', ')}`);
  }
  const tolerance = ctx.string('tolerance');
  if (tolerance !== undefined && !(Number(tolerance) > 0))
    throw new UsageError(`--tolerance: expected a positive number, got "${tolerance}"`);
  const script = trainerScript(ctx);
  const missing = checkTrainer(script);
  if (missing) {
    io.err(`gpaco verify-loss: ${missing}`);
    return EXIT.failed;
  }
  const args = ['verify-loss', file, ...(backend ? ['--backend', backend] : []), ...(tolerance ? ['--tolerance', tolerance] : [])];
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: ctx.env, windowsHide: true });
  const relay = (stream: NodeJS.ReadableStream | null, write: (line: string) => void) => {
    let rest = '';
    stream?.on('data', (d: Buffer) => {
      const lines = (rest + d.toString()).split('\n');
      rest = lines.pop() ?? '';
      for (const l of lines) write(l);
    });
    stream?.on('end', () => {
      if (rest) write(rest);
    });
  };
  relay(child.stdout, (l) => io.out(l));
  relay(child.stderr, (l) => io.err(l));
  const outcome = await waitForChild(child);
  await new Promise<void>((resolve) =>
    child.stdout && !child.stdout.readableEnded ? child.stdout.once('end', () => resolve()) : resolve(),
  );
  if (outcome.spawnError) {
    io.err(`gpaco verify-loss: could not start the trainer: ${outcome.spawnError.message}`);
    return EXIT.failed;
  }
  if (outcome.code === EXIT.ok || outcome.code === EXIT.failed || outcome.code === EXIT.usage) return outcome.code;
  io.err(`gpaco verify-loss: the trainer ended ${outcome.signal ? `by ${outcome.signal}` : `with code ${outcome.code}`}`);
  return EXIT.failed;
}

registerCommand({
  name: 'verify-loss',
  summary: 'check the GPaCo / PaCo loss and gradients on a backend against golden cases',
  usage: ['gpaco verify-loss FILE [--backend B] [--tolerance T]'],
  details: [
    'FILE holds cases in the golden format (schema gpaco-loss-golden/v1, e.g. the gpaco_loss_cases.json of the specification). ' +
      'Every case is evaluated through the trainer\u2019s own TensorFlow.js code on the backend; the largest absolute error of the loss, ' +
      'the per-anchor losses and every gradient is printed per case. Exit 0 when all are within the tolerance (default 1e-4), 1 otherwise, 2 for unusable input.',
  ],
  options: [
    { name: 'backend', type: 'string', value: 'B', help: `backend to check: ${BACKENDS.join(', ')} (default auto)` },
    { name: 'tolerance', type: 'string', value: 'T', help: 'largest allowed absolute error (default 1e-4)' },
  ],
  positionals: ['FILE'],
  run: verifyLoss,
});
