// Every shell example in README.md and docs/emulator.md, run as written: the fenced ```bash / ```sh
// blocks are read from the files themselves, each command runs in bash from the repository root
// (the compiled CLI through `npx backup-remediator`, as a user types it), and what the text says a
// block shows is asserted. Commands a test cannot run (real Azure, azd, Functions Core Tools, the
// Azure CLI, the suite itself) are listed in EXCLUDED with why; a command that is neither run nor
// listed fails the test, and so does a runnable block without its check in CHECKS.
//
// Two visible substitutions, so parallel runs never collide: the server command's `--port 8443`
// runs as `--port 0` and every later `8443` becomes the port it printed; `/tmp/` becomes a scratch
// folder. A line `# → text` after a command is its expected output (`…` matches anything).
//
// TRACE_README=1 prints each step with its time on stderr (where a slow machine spends it).
//
// "A year from now": test/helpers/shift-clock.cjs, preloaded through NODE_OPTIONS into every
// process of the block (emulator, CLI, their Azurite), moves Date a year ahead.

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../cli/main';
import type { CliIo } from '../cli/io';
import { sampleEstatePath } from '../emulator/sample';
import type { RunReport } from '../lib/types';

const root = path.join(__dirname, '..');
const DOCS = ['README.md', 'docs/emulator.md'];
const SUB = '11111111-1111-1111-1111-111111111111';
const YEAR_MS = 365 * 24 * 3600_000;
const COMMAND_TIMEOUT_MS = 240_000;

/** Commands the test does not run, and why. Matched against the command without comments. */
const EXCLUDED: { pattern: RegExp; why: string }[] = [
  { pattern: /^npm ci && npm start$/, why: 'npm ci reinstalls node_modules under the running suite; npm start (= backup-remediator demo) is test/demo.test.ts' },
  { pattern: /^npm test$/, why: 'the suite itself' },
  { pattern: /^npm run build$/, why: "npm test's pretest has built dist/; rebuilding here would rewrite files other suites are loading" },
  { pattern: /^npx backup-remediator (plan|apply) --subscription <subscription-id>$/, why: 'real Azure: needs az login and a subscription' },
  { pattern: /^npx backup-remediator (plan --subscription <id> --out plan\.json --output html > plan\.html|apply --plan plan\.json --yes)$/, why: 'real Azure (a subscription placeholder); test/plan-file.test.ts runs the saved-plan round trip and test/report-html.test.ts the HTML report' },
  { pattern: /^cp local\.settings\.json\.example local\.settings\.json$/, why: 'Functions Core Tools session (func is not a test dependency); test/functions-host.test.ts hosts the functions' },
  { pattern: /^npx azurite --silent --location \.azurite &$/, why: 'part of the Functions Core Tools session above' },
  { pattern: /^npm run build && func start$/, why: 'needs Azure Functions Core Tools (func)' },
  { pattern: /^curl -X POST "http:\/\/localhost:7071\/api\/remediate"/, why: 'talks to `func start` above' },
  { pattern: /^azd /, why: 'azd provisions real Azure resources; test/infra*.test.ts check the Bicep' },
  { pattern: /^npm run bench(:emulator)?$/, why: 'minutes of CPU; test/bench-accounting.test.ts checks what the benchmark counts' },
  { pattern: /^(EP=|export (AZURE_CONFIG_DIR|MSI_ENDPOINT)=)/, why: 'Azure CLI session setup for the az commands below' },
  { pattern: /^az /, why: "needs Debian's azure-cli (installed by .ci/run, optional here) and names resources with `...`; test/emulator-azcli.test.ts drives these commands" },
];

interface Command {
  /** As written (continuation lines joined with their backslashes, comments kept: bash ignores them). */
  text: string;
  /** Without comments and continuations: what EXCLUDED and CHECKS match. */
  bare: string;
  /** `# → ...` lines that follow it. */
  expect: string[];
  line: number;
}

interface Block {
  file: string;
  line: number;
  commands: Command[];
}

function bareOf(text: string): string {
  return text
    .split('\n')
    .map((l) => l.replace(/\s+#\s.*$/, '').replace(/\\$/, ''))
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function commandsOf(lines: { text: string; line: number }[]): Command[] {
  const out: Command[] = [];
  let pending: { text: string[]; line: number } | undefined;
  for (const { text, line } of lines) {
    const expectLine = /^#\s*→\s?(.*)$/.exec(text.trim());
    if (expectLine) {
      out[out.length - 1]?.expect.push(expectLine[1]!);
      continue;
    }
    if (!pending && (text.trim() === '' || text.trim().startsWith('#'))) continue;
    pending = pending ?? { text: [], line };
    pending.text.push(text);
    if (!/\\\s*$/.test(text.replace(/\s+#\s.*$/, ''))) {
      const joined = pending.text.join('\n');
      out.push({ text: joined, bare: bareOf(joined), expect: [], line: pending.line });
      pending = undefined;
    }
  }
  return out;
}

function shellBlocks(file: string): Block[] {
  const lines = fs.readFileSync(path.join(root, file), 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(bash|sh|shell)\s*$/.test(lines[i]!)) continue;
    const start = i + 1;
    const body: { text: string; line: number }[] = [];
    for (i = start; i < lines.length && !lines[i]!.startsWith('```'); i++) body.push({ text: lines[i]!, line: i + 1 });
    blocks.push({ file, line: start, commands: commandsOf(body) });
  }
  return blocks;
}

const exclusionOf = (c: Command) => EXCLUDED.find((e) => e.pattern.test(c.bare));
const runnable = (b: Block) => b.commands.filter((c) => !exclusionOf(c));
const blockKey = (b: Block) => `${b.file}: ${runnable(b)[0]?.bare ?? ''}`;
const isServer = (c: Command) => c.expect.some((e) => e.startsWith('listening '));

// ---------------------------------------------------------------------------------------------
// Running a block

interface Ran {
  command: Command;
  code: number | null;
  stdout: string;
  stderr: string;
}

interface Session {
  ran: Ran[];
  server: { endpoint: string; port: number; stderr(): string };
  tmp: string;
  /** Runs one of the block's commands again (server still up), with extra arguments appended. */
  again(command: Command, extraArgs: string): Promise<Ran>;
}

interface RunOptions {
  env?: Record<string, string>;
  /** Arguments appended to the server command (e.g. `--as-written`). */
  serverArgs?: string;
}

/** A clean environment: nothing from the developer's shell or another suite points the CLI elsewhere. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(ARM_|IDENTITY_|MSI_|NODE_EXTRA_CA_CERTS|NODE_OPTIONS|AzureWebJobsStorage|REMEDIATION_|AZURE_)/i.test(k)) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

function substitute(text: string, tmp: string, port?: number): string {
  const t = text.replace(/\/tmp\//g, `${tmp}/`);
  return port === undefined ? t.replace(/--port 8443\b/, '--port 0') : t.replace(/\b8443\b/g, String(port));
}

function withExtraArgs(text: string, extra: string): string {
  if (!extra) return text;
  // Before a trailing comment or redirect of the last line, so the arguments reach the command.
  const lines = text.split('\n');
  const last = lines.pop()!;
  const m = /^(.*?)(\s+(?:#\s.*|>\s*\S+))?$/.exec(last)!;
  return [...lines, `${m[1]} ${extra}${m[2] ?? ''}`].join('\n');
}

function runShell(text: string, env: NodeJS.ProcessEnv): Promise<Omit<Ran, 'command'>> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', text], { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      process.kill(-child.pid!, 'SIGKILL');
      reject(new Error(`not done within ${COMMAND_TIMEOUT_MS} ms: ${text}\n${stderr}`));
    }, COMMAND_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

interface Server {
  endpoint: string;
  port: number;
  line: string;
  stderr(): string;
  stop(): Promise<void>;
}

/** Starts the block's server command in its own process group; resolves on its `listening` line. */
function startServer(text: string, env: NodeJS.ProcessEnv): Promise<Server> {
  const child = spawn('bash', ['-c', `exec ${text}`], { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      return; // already gone
    }
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  };
  let up = false;
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      if (up) return;
      clearTimeout(timer);
      void stop().then(() => reject(new Error(`${why}: ${text}\nstdout: ${stdout}\nstderr: ${stderr}`)));
    };
    const timer = setTimeout(() => fail(`no "listening" line within ${COMMAND_TIMEOUT_MS} ms`), COMMAND_TIMEOUT_MS);
    child.once('exit', (code) => fail(`the server exited with ${code}`));
    child.stdout.on('data', (d) => {
      stdout += d;
      const m = /^listening (https:\/\/127\.0\.0\.1:(\d+))$/m.exec(stdout);
      if (!m) return;
      if (up) return;
      up = true;
      clearTimeout(timer);
      resolve({ endpoint: m[1]!, port: Number(m[2]), line: m[0], stderr: () => stderr, stop });
    });
  });
}

/** `…` matches anything; the rest of the line literally. */
function expectLine(pattern: string): RegExp {
  const parts = pattern.split('…').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.*')}$`);
}

async function runBlock(block: Block, opts: RunOptions, check: (s: Session) => Promise<unknown>): Promise<void> {
  const trace = (s: string) => process.env.TRACE_README && process.stderr.write(`[readme] ${new Date().toISOString()} ${s}\n`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'readme-examples-'));
  const env = cleanEnv(opts.env);
  const commands = runnable(block);
  const serverCommand = commands.find(isServer);
  if (!serverCommand) throw new Error(`${blockKey(block)}: runnable blocks start a server (a command followed by "# → listening ...")`);
  trace(`start server: ${serverCommand.bare}`);
  const server = await startServer(withExtraArgs(substitute(serverCommand.text, tmp), opts.serverArgs ?? ''), env);
  trace(`server up: ${server.line}`);
  try {
    for (const e of serverCommand.expect) expect(server.line).toMatch(expectLine(substitute(e, tmp, server.port)));
    const ran: Ran[] = [];
    const run = async (command: Command, extra = ''): Promise<Ran> => ({ command, ...(await runShell(withExtraArgs(substitute(command.text, tmp, server.port), extra), env)) });
    for (const command of commands.slice(commands.indexOf(serverCommand) + 1)) {
      trace(`run: ${command.bare}`);
      const r = await run(command);
      trace(`done ${r.code}`);
      expect({ command: command.bare, code: r.code, stderr: r.code === 0 ? '' : r.stderr }).toEqual({ command: command.bare, code: 0, stderr: '' });
      for (const e of command.expect) expect(r.stdout.split('\n')).toContainEqual(expect.stringMatching(expectLine(substitute(e, tmp, server.port))));
      ran.push(r);
    }
    await check({ ran, server, tmp, again: run });
  } finally {
    await server.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// What each runnable block says it shows

type Shape = { jobId: string; actions: string[]; findings: string[] }[];

function shape(report: RunReport): Shape {
  return report.items
    .map((i) => ({ jobId: i.jobId.toLowerCase(), actions: i.actions.map((a) => a.kind), findings: i.findings.map((f) => f.kind).sort() }))
    .sort((a, b) => a.jobId.localeCompare(b.jobId));
}

let expectedPlan: Shape | undefined;

/** The sample's plan on its own simulated clock (in-process `--estate`), as the standalone run must show it. */
async function samplePlan(): Promise<Shape> {
  if (expectedPlan) return expectedPlan;
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, stdin: new PassThrough(), env: {} };
  const code = await main(['plan', '--estate', sampleEstatePath(), '--subscription', SUB, '--since', '7d', '--output', 'json', '--quiet'], io);
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  expectedPlan = shape(JSON.parse(stdout) as RunReport);
  return expectedPlan;
}

const lastPlan = (s: Session) => s.ran.filter((r) => /\bnpx backup-remediator plan /.test(r.command.bare)).pop()!;

/** The sample's failed jobs, as the comment says: the table names them, the JSON is the sample's plan. */
async function showsSampleFailedJobs(s: Session): Promise<RunReport> {
  const table = lastPlan(s);
  expect(table.stdout).not.toContain('No failed backup jobs in scope.');
  for (const vm of ['rg-app/vm-ext-stuck', 'rg-app/vm-rp-limit', 'rg-web/web1']) expect(table.stdout).toContain(vm);
  const json = await s.again(table.command, '--output json');
  expect(json.code).toBe(0);
  const report = JSON.parse(json.stdout) as RunReport;
  const got = shape(report);
  expect(got.length).toBeGreaterThan(10);
  expect(got).toEqual(await samplePlan());
  // A line of its own (npx may print its warnings around it on a fresh cache).
  expect(s.server.stderr()).toMatch(/^estate times re-based [+-][\dhdm ]+: 2026-11-20T06:00:00\.000Z is now \S+ \(--as-written serves them unchanged\)$/m);
  return report;
}

interface LogLine { seq: number; method: string; path: string; query: string; status: number; category: string; at: string }

/** docs/emulator.md: the plan's requests read from outside, through the file and the endpoint alike. */
async function requestLogReadable(s: Session): Promise<void> {
  const file = fs.readFileSync(path.join(s.tmp, 'emu-requests.jsonl'), 'utf8');
  expect(file).not.toMatch(/eyJ|access_token|Bearer/);
  const lines = file.trim().split('\n').map((l) => JSON.parse(l) as LogLine);
  expect(lines.map((l) => l.seq)).toEqual(lines.map((_, i) => i + 1));
  const reads = lines.filter((l) => l.category === 'read');
  expect(reads.length).toBeGreaterThan(10);
  expect(lines.filter((l) => l.category === 'write' || l.category === 'delete')).toEqual([]); // plan is read-only
  expect(lines[0]).toMatchObject({ method: 'GET', path: '/msi/token', status: 200, category: 'token' });
  const count = s.ran.find((r) => r.command.bare.startsWith('grep -c'))!;
  expect(Number(count.stdout.trim())).toBe(reads.length);
  const endpoint = s.ran.find((r) => r.command.bare.startsWith('curl'))!;
  expect(endpoint.stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual(lines.slice(0, 2).map((l) => JSON.parse(JSON.stringify(l))));
  const report = JSON.parse(fs.readFileSync(path.join(s.tmp, 'plan.json'), 'utf8')) as RunReport;
  expect(shape(report)).toEqual(await samplePlan());
}

const CHECKS: Record<string, (s: Session) => Promise<unknown>> = {
  'README.md: npx backup-remediator simulate --port 8443 --ca-out /tmp/emu-ca.pem': showsSampleFailedJobs,
  'docs/emulator.md: npx backup-remediator simulate --port 8443 --ca-out /tmp/emu-ca.pem --log-out /tmp/emu-requests.jsonl --log-endpoint': requestLogReadable,
};

// ---------------------------------------------------------------------------------------------

const blocks = DOCS.flatMap(shellBlocks);
const readmeBlock = () => blocks.find((b) => blockKey(b).startsWith('README.md: npx backup-remediator simulate'))!;

describe('shell examples in README.md and docs/emulator.md', () => {
  it('every command is either run below or excluded with a reason; every runnable block has its check', () => {
    expect(blocks.length).toBeGreaterThan(5);
    const runnableBlocks = blocks.filter((b) => runnable(b).length > 0);
    expect(runnableBlocks.map(blockKey).sort()).toEqual(Object.keys(CHECKS).sort());
    // Every exclusion still names something in the docs: a stale entry would hide nothing but mislead.
    const all = blocks.flatMap((b) => b.commands);
    for (const e of EXCLUDED) expect({ pattern: String(e.pattern), used: all.some((c) => e.pattern.test(c.bare)) }).toEqual({ pattern: String(e.pattern), used: true });
  });

  it('parses continuation lines, trailing comments and expected-output lines', () => {
    const cmds = commandsOf(
      ['a --x 1   # note', '# → out …', 'B=1 \\', '  c --y   # said', '', '# a plain comment'].map((text, i) => ({ text, line: i + 1 })),
    );
    expect(cmds.map((c) => [c.bare, c.expect, c.line])).toEqual([
      ['a --x 1', ['out …'], 1],
      ['B=1 c --y', [], 3],
    ]);
    expect(withExtraArgs('x \\\n  plan --since 7d   # c', '--output json')).toBe('x \\\n  plan --since 7d --output json   # c');
    expect(withExtraArgs('plan --q > /tmp/p.json', '--as-written')).toBe('plan --q --as-written > /tmp/p.json');
    expect(expectLine('listening https://127.0.0.1:…').test('listening https://127.0.0.1:1234')).toBe(true);
  });

  for (const [key, check] of Object.entries(CHECKS)) {
    it(`runs as written and shows what the text says: ${key}`, async () => {
      const block = blocks.find((b) => blockKey(b) === key);
      expect(block).toBeDefined();
      await runBlock(block!, {}, check);
    }, 600_000);
  }

  it('the README example a year from now still shows the sample failed jobs (every process on a clock a year ahead)', async () => {
    const later = { NODE_OPTIONS: `--require ${path.join(__dirname, 'helpers', 'shift-clock.cjs')}`, SHIFT_CLOCK_MS: String(YEAR_MS) };
    await runBlock(readmeBlock(), { env: later }, async (s) => {
      const report = await showsSampleFailedJobs(s);
      // The clock really was ahead in the CLI: its report is dated a year from now.
      expect(Date.parse(report.startedAt) - Date.now()).toBeGreaterThan(YEAR_MS - 24 * 3600_000);
    });
  }, 600_000);

  it('control: a year from now with --as-written (dates as in the file), the same example shows no failed jobs: the re-basing is what keeps it working', async () => {
    const later = { NODE_OPTIONS: `--require ${path.join(__dirname, 'helpers', 'shift-clock.cjs')}`, SHIFT_CLOCK_MS: String(YEAR_MS) };
    await runBlock(readmeBlock(), { env: later, serverArgs: '--as-written' }, async (s) => {
      expect(lastPlan(s).stdout).toContain('No failed backup jobs in scope.');
      expect(s.server.stderr()).not.toContain('re-based');
    });
  }, 600_000);
});
