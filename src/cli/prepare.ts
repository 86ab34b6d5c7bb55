// The CLI side of the config pipeline (core/config/pipeline.ts): runs it with src/data's
// preflight, prints warnings, and prints a refusal as `gpaco CMD: <what>; nothing was started:`
// followed by one line per problem (the same lines the editor shows).
import { prepareConfig, refusalLines, type PrepareRequest, type PreparedConfig } from '../core/config/pipeline';
import { preflightData } from '../data/index';
import { EXIT, type CommandContext } from './registry';

export async function prepareForCli(
  ctx: CommandContext,
  req: Omit<PrepareRequest, 'preflight'>,
): Promise<PreparedConfig | typeof EXIT.usage> {
  const { io } = ctx;
  const r = await prepareConfig({ ...req, preflight: preflightData });
  if (!r.ok) {
    io.err(`gpaco ${ctx.name}: ${r.title}; nothing was started:`);
    for (const line of refusalLines(r)) io.err(`  ${line}`);
    return EXIT.usage;
  }
  for (const w of r.warnings) io.err(`warning: ${w}`);
  for (const n of r.notes) io.err(n);
  return r;
}
