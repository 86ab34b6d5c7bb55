// `gpaco train` for a config whose trainer is a command (docs/architecture.md): the command is
// started by core/commandTrainer (own process group, GPACO_RUN_DIR set, output to trainer.log)
// and followed from the run folder like the built-in trainer; Ctrl-C reaches its whole group.
import { recordCommandExit, signalProcessGroup, startCommandTrainer } from '../core/commandTrainer';
import type { CommandTrainerConfig } from '../core/config/schema';
import type { ChildOutcome } from './follow';
import { followRun } from './follow';
import { concludeRun } from './outcome';
import { EXIT, type CommandContext } from './registry';

export async function trainCommand(
  ctx: CommandContext,
  trainer: CommandTrainerConfig,
  run: { id: string; dir: string },
  detach: boolean,
): Promise<number> {
  const { io } = ctx;
  let child;
  try {
    child = await startCommandTrainer(run, trainer, { baseEnv: ctx.env });
  } catch (err) {
    io.err(`run failed: ${(err as Error).message}`);
    io.err(`run directory: ${run.dir}`);
    return EXIT.failed;
  }
  const pgid = child.pid!;
  if (detach) {
    child.unref();
    io.out(`started in the background (pid ${pgid}); watch it with: gpaco show ${run.id}`);
    return EXIT.ok;
  }
  if (io.isTTY) io.out('Ctrl-C asks the command to stop (SIGINT to its process group)');
  const outcome: ChildOutcome = await followRun(child, run.dir, {
    io,
    fromStart: true,
    send: (sig) => {
      signalProcessGroup(pgid, sig);
    },
  });
  recordCommandExit(run.dir, outcome.code, outcome.signal, outcome.forwarded.length > 0);
  return concludeRun(run.dir, outcome, io, false);
}
