// Argument parsing and dispatch for `gpaco <command> ...` (node:util parseArgs, strict).
import { forgetRunFolder, reportUnexpected } from './failure';
import { parseArgs } from 'node:util';
import { closestMatches } from '../core/catalog';
import './commands/index';
import {
  EXIT,
  HELP_OPTION,
  UsageError,
  allCommands,
  findCommand,
  parseArgsOptions,
  type CommandContext,
  type CommandSpec,
  type Output,
} from './registry';
import { padEnd } from './render/format';
import { terminalSafeOutput } from './render/terminalText';

export interface CliEnvironment {
  io: Output;
  cwd: string;
  env: NodeJS.ProcessEnv;
  bundleDir: string;
  version?: string;
}

const EXIT_CODES_LINE = 'exit codes: 0 success, 1 the run failed, 2 bad usage or config (nothing started)';

export function globalHelp(version?: string): string[] {
  const cmds = allCommands();
  const w = Math.max(...cmds.map((c) => c.name.length), 4);
  return [
    `gpaco${version ? ` ${version}` : ''}: GPaCo Lab on the command line (long-tailed image classification runs)`,
    '',
    'usage: gpaco <command> [options]',
    '',
    'commands:',
    ...cmds.map((c) => `  ${padEnd(c.name, w)}  ${c.summary}`),
    `  ${padEnd('help', w)}  show help for a command (gpaco help <command>)`,
    '',
    '`gpaco <command> --help` lists the options of a command.',
    EXIT_CODES_LINE,
  ];
}

export function commandHelp(spec: CommandSpec): string[] {
  const opts = [...spec.options, HELP_OPTION];
  const flags = opts.map((o) => `${o.short ? `-${o.short}, ` : ''}--${o.name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`);
  const w = Math.max(...flags.map((f) => f.length));
  return [
    ...spec.usage.map((u, i) => `${i === 0 ? 'usage: ' : '       '}${u}`),
    '',
    spec.summary,
    '',
    'options:',
    ...opts.map((o, i) => `  ${padEnd(flags[i]!, w)}  ${o.help}${o.multiple ? ' (repeatable)' : ''}`),
    ...(spec.details?.length ? ['', ...spec.details] : []),
    '',
    EXIT_CODES_LINE,
  ];
}

function usageError(io: Output, spec: CommandSpec | undefined, message: string): number {
  io.err(`gpaco${spec ? ` ${spec.name}` : ''}: ${message}`);
  io.err(spec ? `see: gpaco ${spec.name} --help` : 'see: gpaco help');
  return EXIT.usage;
}

/** Runs one command line (without `node cli.js`); resolves to the exit code. */
export async function runCli(argv: readonly string[], envr: CliEnvironment): Promise<number> {
  const io = terminalSafeOutput(envr.io);
  const [first, ...rest] = argv;
  if (first === undefined) {
    for (const l of globalHelp(envr.version)) io.err(l);
    return EXIT.usage;
  }
  if (first === '--help' || first === '-h') {
    for (const l of globalHelp(envr.version)) io.out(l);
    return EXIT.ok;
  }
  if (first === '--version' || first === '-v') {
    io.out(envr.version ?? 'unknown');
    return EXIT.ok;
  }
  if (first === 'help') {
    if (rest.length === 0) {
      for (const l of globalHelp(envr.version)) io.out(l);
      return EXIT.ok;
    }
    const spec = findCommand(rest[0]!);
    if (!spec) return unknownCommand(io, rest[0]!);
    for (const l of commandHelp(spec)) io.out(l);
    return EXIT.ok;
  }
  const spec = findCommand(first);
  if (!spec) return unknownCommand(io, first);

  let parsed: ReturnType<typeof parseArgs>;
  let args = [...rest];
  if (spec.dashPositionals) {
    // `-word` (one dash, not a known short option) is a positional here: pass it after `--`.
    const shorts = new Set([...spec.options, HELP_OPTION].flatMap((o) => (o.short ? [`-${o.short}`] : [])));
    const signed = args.filter((a) => /^-[^-]/.test(a) && !shorts.has(a));
    if (signed.length) args = [...args.filter((a) => !signed.includes(a)), '--', ...signed];
  }
  try {
    parsed = parseArgs({ args, options: parseArgsOptions(spec.options), allowPositionals: true, strict: true });
  } catch (err) {
    return usageError(io, spec, parseErrorMessage(spec, err as Error));
  }
  const values = parsed.values as Record<string, string | boolean | (string | boolean)[] | undefined>;
  if (values.help === true) {
    for (const l of commandHelp(spec)) io.out(l);
    return EXIT.ok;
  }
  const positionals = parsed.positionals;
  const variadic = spec.positionals[spec.positionals.length - 1]?.endsWith('...') ?? false;
  const min = spec.minPositionals ?? spec.positionals.filter((p) => !p.endsWith('...')).length;
  if (positionals.length < min) {
    return usageError(io, spec, `missing ${spec.positionals.slice(positionals.length, min).join(' ')}`);
  }
  if (!variadic && positionals.length > spec.positionals.length) {
    return usageError(io, spec, `unexpected argument "${positionals[spec.positionals.length]}"`);
  }

  const ctx: CommandContext = {
    name: spec.name,
    positionals,
    io,
    cwd: envr.cwd,
    env: envr.env,
    bundleDir: envr.bundleDir,
    string: (name) => {
      const v = values[name];
      return typeof v === 'string' ? v : undefined;
    },
    strings: (name) => {
      const v = values[name];
      return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : [];
    },
    flag: (name) => values[name] === true,
  };
  forgetRunFolder();
  try {
    return await spec.run(ctx);
  } catch (err) {
    if (err instanceof UsageError) return usageError(io, spec, err.message);
    reportUnexpected(io, spec.name, err);
    return EXIT.failed;
  }
}

function unknownCommand(io: Output, name: string): number {
  const near = closestMatches(name, [...allCommands().map((c) => c.name), 'help'], 3);
  return usageError(
    io,
    undefined,
    `unknown command "${name}"${near.length ? `; did you mean ${near.map((n) => `"${n}"`).join(' or ')}?` : ''}`,
  );
}

function parseErrorMessage(spec: CommandSpec, err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  const msg = err.message.split('\n')[0] ?? err.message;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const flag = /'(-{1,2}[^']+)'/.exec(msg)?.[1] ?? '';
    const near = closestMatches(
      flag.replace(/^-+/, ''),
      spec.options.map((o) => o.name),
      2,
    );
    return `unknown option ${flag || msg}${near.length ? `; did you mean ${near.map((n) => `--${n}`).join(' or ')}?` : ''}`;
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    return msg.replace(/^Option /, 'option ');
  }
  return msg;
}
