// `backup-remediator plan|apply|simulate|demo`. A thin adapter: commander parses, cli/run.ts and
// cli/demo.ts do the work through lib/engine.ts, and every error ends as a message and an exit code.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { InvalidResourceIdError } from '../lib/arm/ids';
import { ConfigError } from '../lib/config';
import { OUTPUT_FORMATS, type OutputFormat } from '../lib/report';
import { asAccessError, AzureAccessError, subscriptionIn } from './azure-errors';
import { runDemo } from './demo';
import { examples } from './help';
import { EXIT, EXIT_CODES_HELP, UsageError } from './exit-codes';
import { processIo, type CliIo } from './io';
import { runCommand, type RunFlags } from './run';
import { showRun } from './show-run';
import { decideCommand, listCommand, type ApprovalFlags } from './approvals';
import { readEstateFile } from './target';
import type { StandaloneOptions } from '../emulator/standalone';

/** The simulate command's flags: the standalone emulator's options, with the estate as a file name. */
type SimulateFlags = Pick<StandaloneOptions, 'port' | 'caOut' | 'asWritten' | 'logOut' | 'logBodies' | 'logEndpoint'> & { estate?: string };

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function outputOption(formats: readonly string[] = OUTPUT_FORMATS): Option {
  return new Option('-o, --output <format>', 'report format').choices(formats as string[]).default('table');
}

function addRunOptions(cmd: Command): Command {
  return cmd
    .option('--subscription <id>', 'subscription to cover (repeatable); default REMEDIATION_SUBSCRIPTIONS', collect, [])
    .option('--vault <id>', 'only this Recovery Services vault (ARM id)')
    .option('--vm <id>', 'only this virtual machine (ARM id)')
    .option('--since <duration>', 'look-back window for failed jobs (30m, 24h, 2d, PT24H); default REMEDIATION_LOOKBACK')
    .addOption(outputOption())
    .option('--endpoint <url>', 'ARM endpoint (sovereign cloud or a standalone emulator; CA via NODE_EXTRA_CA_CERTS); default ARM_ENDPOINT')
    .option('--estate <file>', 'run against an in-process emulator loaded with this estate file instead of Azure')
    .option('-q, --quiet', 'no progress or warnings on stderr')
    .option('-v, --verbose', 'engine log as JSON lines on stderr');
}

/** Builds the program; `exit` receives the command's exit code (commander's own errors included). */
export function buildProgram(io: CliIo, cleanups: (() => Promise<void>)[], setCode: (code: number) => void): Command {
  const program = new Command('backup-remediator')
    .description('Keeps Azure VM backups healthy: classifies failed backup jobs, diagnoses through ARM and applies the safe documented fixes (dry-run first).')
    .version(packageVersion(), '-V, --version', 'print the version')
    .addHelpText('after', `\n${examples('program')}\n${EXIT_CODES_HELP}\n`)
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => void io.stdout.write(s), writeErr: (s) => void io.stderr.write(s) });
  const cleanup = (fn: () => Promise<void>): void => void cleanups.push(fn);

  addRunOptions(program.command('plan').description('dry-run: read only and print what would be done'))
    .option('--out <file>', 'also save the plan (schema-versioned, with the facts each action relied on and a digest) for `apply --plan`')
    .addHelpText('after', examples('plan'))
    .action(async (opts: RunFlags) => setCode(await runCommand('plan', opts, io, cleanup)));

  addRunOptions(program.command('apply').description('apply the plan (asks first on a terminal unless --yes)'))
    .option('-y, --yes', 'apply without asking (required when stdin is not a terminal)')
    .option('--plan <file>', 'execute exactly this saved plan (`plan --out`); actions whose facts changed are refused')
    .option('--max-plan-age <duration>', 'refuse a saved plan older than this; default REMEDIATION_PLAN_MAX_AGE, else 24h')
    .addHelpText('after', examples('apply'))
    .action(async (opts: RunFlags) => setCode(await runCommand('apply', opts, io, cleanup)));

  program
    .command('run <runId>')
    .description('print what the ledger holds about one run: its report, or for a run that did not finish (running, abandoned) its status and every write it sent')
    .action(async (runId: string) => setCode(await showRun(runId, io, cleanup)));

  addApprovalsCommand(program, io, cleanup, setCode);

  program
    .command('simulate')
    .description('serve a simulated Azure (ARM over HTTPS on 127.0.0.1) until killed; prints "listening <url>"')
    .option('--estate <file>', 'estate file; default the built-in sample')
    .option('--port <port>', 'port to listen on; 0 = any free port', (v) => {
      if (!/^\d+$/.test(v) || Number(v) > 65535) throw new UsageError(`--port ${JSON.stringify(v)}: expected 0-65535`);
      return Number(v);
    }, 0)
    .option('--ca-out <file>', 'write the CA certificate (PEM) here, for NODE_EXTRA_CA_CERTS or the Azure CLI')
    .addHelpText('after', examples('simulate'))
    .option('--as-written', "serve the estate's dates as written; default: re-based so that its `now` is the moment the server starts")
    .option('--log-out <file>', 'write every answered request to this file as JSON lines (method, path, status, category, time; truncated at start)')
    .option('--log-bodies', 'with --log-out: include request and response bodies (never for token requests)')
    .option('--log-endpoint', 'serve the request log at GET /_emulator/requests[?after=<seq>] as JSON lines')
    .action(async (opts: SimulateFlags) => {
      // Loaded lazily: the standalone server is only needed by this command.
      const { runStandalone } = await import('../emulator/standalone');
      // An unreadable or invalid estate is the user's input: a clear message and exit 2, as for plan.
      const estate = opts.estate !== undefined ? readEstateFile(opts.estate) : undefined;
      if (opts.logBodies && opts.logOut === undefined) throw new UsageError('--log-bodies needs --log-out <file>');
      try {
        await runStandalone({ ...opts, estate, out: io.stdout, err: io.stderr, signal: io.signal });
      } catch (e) {
        if (e instanceof Error && e.name === 'EstateError') throw new UsageError(`estate file ${opts.estate} is invalid: ${e.message}`);
        const fsErr = e as NodeJS.ErrnoException;
        if (fsErr.syscall === 'open' && fsErr.path === opts.logOut) throw new UsageError(`cannot write --log-out ${opts.logOut}: ${fsErr.code}`);
        throw e;
      }
      setCode(EXIT.ok);
    });

  program
    .command('demo', { isDefault: false })
    .description('plan, apply and verify over the built-in sample estate in an in-process emulator (what `npm start` runs)')
    .option('--estate <file>', 'another estate file instead of the built-in sample')
    // The demo interleaves its reports with narration on stdout: no single HTML document there.
    .addOption(outputOption(OUTPUT_FORMATS.filter((f) => f !== 'html')))
    .option('-q, --quiet', 'no progress or warnings on stderr')
    .option('-v, --verbose', 'engine log as JSON lines on stderr')
    .addHelpText('after', examples('demo'))
    .action(async (opts: { estate?: string; output: OutputFormat; quiet?: boolean; verbose?: boolean }) =>
      setCode(await runDemo(opts, io, cleanup)),
    );

  return program;
}

/** `approvals list | approve <id> | reject <id>`: the human side of approval-required writes. */
function addApprovalsCommand(program: Command, io: CliIo, cleanup: (fn: () => Promise<void>) => void, setCode: (code: number) => void): void {
  const approvals = program
    .command('approvals')
    .description('list proposals that wait for a human (guest fixes, REMEDIATION_REQUIRE_APPROVAL kinds) and approve or reject them; the next apply run executes an approved one')
    .addHelpText('after', examples('approvals'));
  approvals
    .command('list')
    .description('proposals in scope, newest first, as JSON')
    .option('--status <status>', 'only pending, approved, rejected, expired, executed or refused ones')
    .action(async (opts: ApprovalFlags) => setCode(await listCommand(opts, io, cleanup)));
  for (const decision of ['approve', 'reject'] as const) {
    approvals
      .command(`${decision} <id>`)
      .description(`${decision} one pending proposal (recorded with your name; a decided or expired one is refused)`)
      .option('--by <name>', 'who decides; default the OS user running the command')
      .option('--note <text>', 'why (kept with the decision)')
      .action(async (id: string, opts: ApprovalFlags) => setCode(await decideCommand(decision, id, opts, io, cleanup)));
  }
}

/** The version in package.json (two levels up from dist/cli/ and from cli/ under ts-jest alike). */
function packageVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(join(__dirname, rel), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'backup-remediator' && pkg.version) return pkg.version;
    } catch {
      // Not this level; try the next.
    }
  }
  return 'unknown';
}

const verbose = (argv: string[]): boolean => argv.includes('--verbose') || argv.includes('-v');

function stackOf(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // AggregateAuthenticationError lists what each credential tried; that is what --verbose is for.
  const inner = (err as { errors?: unknown }).errors;
  const details = Array.isArray(inner) ? inner.map((x) => `  ${x instanceof Error ? `${x.name}: ${x.message}` : String(x)}`) : [];
  return [err.stack ?? err.message, ...details].join('\n');
}

async function closeAll(cleanups: (() => Promise<void>)[]): Promise<void> {
  // Last opened, first closed: the ledger before the emulator it may still be talking about.
  for (const fn of cleanups.splice(0).reverse()) {
    await fn().catch(() => undefined);
  }
}

/** Runs the CLI with `argv` (arguments after the program name) and resolves to the exit code. */
export async function main(argv: string[], io: CliIo = processIo(), cleanups: (() => Promise<void>)[] = []): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(io, cleanups, (c) => (code = c));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version are successes; every other commander error is a usage error it already printed.
      return e.exitCode === 0 ? EXIT.ok : EXIT.badInput;
    }
    // Sign-in and access problems anywhere in the run: one line with the fix, not a stack.
    const access = e instanceof AzureAccessError ? e : asAccessError(e, subscriptionIn(e));
    if (access) {
      io.stderr.write(`error: ${access.message}\n`);
      if (verbose(argv)) io.stderr.write(`${stackOf(access.cause)}\n`);
      return EXIT.badInput;
    }
    if (e instanceof UsageError || e instanceof InvalidResourceIdError || e instanceof ConfigError) {
      io.stderr.write(`error: ${e.message}\n`);
      return EXIT.badInput;
    }
    io.stderr.write(`error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return EXIT.internal;
  } finally {
    await closeAll(cleanups);
  }
}

/** Runs the CLI on this process's argv, stdio and signals (the `backup-remediator` bin calls this). */
export function runFromProcess(): void {
  const cleanups: (() => Promise<void>)[] = [];
  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
    process.stderr.write('\ninterrupted\n');
    // Stop the emulator (sockets) and close the ledger rather than leave them behind.
    void closeAll(cleanups).finally(() => process.exit(EXIT.interrupted));
  });
  main(process.argv.slice(2), processIo(), cleanups).then(
    (code) => {
      process.exitCode = interrupted ? EXIT.interrupted : code;
    },
    (e: unknown) => {
      process.stderr.write(`error: ${String(e)}\n`);
      process.exitCode = EXIT.internal;
    },
  );
}

if (require.main === module) runFromProcess();
