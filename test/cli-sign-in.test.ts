// Sign-in and access problems as an operator meets them: the compiled bin in its own process, with
// no credential at all, or signed in through a managed-identity endpoint against an emulated ARM
// that answers 401 (expired token, wrong tenant) or 403 (no role). Each is one line with the fix,
// exit 2, and no stack unless --verbose. Also --version and the help examples.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { start, type Emulator } from '../emulator';
import { sampleEstatePath } from '../emulator/sample';

const root = join(__dirname, '..');
const bin = join(root, 'bin', 'backup-remediator.js');
const SUB = '11111111-1111-1111-1111-111111111111';
const version = (require('../package.json') as { version: string }).version;

interface Outcome { code: number | null; stdout: string; stderr: string }

/** The bin in a child process with exactly `env` (plus PATH): async, so an in-process emulator can answer. */
function runBin(args: string[], env: Record<string, string>): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let home: string;
let emu: Emulator;
let signedIn: Record<string, string>;

beforeAll(async () => {
  // An empty HOME: no Azure CLI / azd / PowerShell sign-in can be found there.
  home = mkdtempSync(join(tmpdir(), 'sign-in-'));
  emu = await start({ estate: sampleEstatePath(), port: 0 });
  const caFile = join(home, 'ca.pem');
  writeFileSync(caFile, emu.ca);
  const port = new URL(emu.endpoint).port;
  signedIn = {
    HOME: home,
    ARM_ENDPOINT: emu.endpoint,
    NODE_EXTRA_CA_CERTS: caFile,
    // DefaultAzureCredential's managed identity (App Service protocol) served by the emulator.
    IDENTITY_ENDPOINT: `http://127.0.0.1:${port}/msi/token`,
    IDENTITY_HEADER: 'x',
  };
}, 60_000);

afterAll(async () => {
  await emu?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

afterEach(() => emu.faults.clear());

const noStack = (stderr: string): void => {
  expect(stderr.trim().split('\n')).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
};

describe('sign-in errors', () => {
  it('with no credential anywhere: one line saying `az login`, exit 2', async () => {
    const r = await runBin(['plan', '--subscription', SUB, '--quiet'], { HOME: home });
    expect(r.stderr).toMatch(/^error: not signed in to Azure: run `az login`/);
    noStack(r.stderr);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
  }, 60_000);

  it('--verbose adds what each credential tried', async () => {
    const r = await runBin(['plan', '--subscription', SUB, '--quiet', '--verbose'], { HOME: home });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not signed in to Azure/);
    expect(r.stderr).toMatch(/CredentialUnavailableError|AggregateAuthenticationError/);
    expect(r.stderr.trim().split('\n').length).toBeGreaterThan(1);
  }, 60_000);

  it.each([
    [401, 'ExpiredAuthenticationToken', /^error: the Azure sign-in has expired: run `az login` again/],
    [401, 'InvalidAuthenticationTokenTenant', new RegExp(`^error: .*another tenant.*az login --tenant.*az account set --subscription ${SUB}`)],
    [403, 'AuthorizationFailed', new RegExp(`^error: no access to subscription ${SUB}: assign .*Backup Remediator Reader`)],
  ])('ARM answering %i %s: one line with the fix, exit 2, nothing read past the check', async (status, errorCode, expected) => {
    emu.faults.add({ path: `/subscriptions/${SUB}/*`, status, errorCode });
    const before = emu.requests.all().length;
    const r = await runBin(['plan', '--subscription', SUB, '--quiet'], signedIn);
    expect(r.stderr).toMatch(expected);
    noStack(r.stderr);
    expect(r.code).toBe(2);
    // The sign-in was real: the one subscription check reached ARM with a token, and nothing followed it.
    const seen = emu.requests.all().slice(before).filter((q) => !/\/msi\/token/i.test(q.path));
    expect(seen.map((q) => q.status)).toEqual([status]);
    expect(seen[0].principal).toBeDefined();
  }, 60_000);
});

describe('--version and help', () => {
  it('--version prints the package version, exit 0', async () => {
    const r = await runBin(['--version'], { HOME: home });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });

  it.each(['plan', 'apply', 'simulate', 'demo'])('%s --help has two or three examples', async (command) => {
    const r = await runBin([command, '--help'], { HOME: home });
    expect(r.code).toBe(0);
    const examples = r.stdout.split('Examples:\n')[1] ?? '';
    const lines = examples.split('\n').filter((l) => l.startsWith('  $ backup-remediator '));
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.length).toBeLessThanOrEqual(3);
    for (const l of lines) expect(l).toContain(`backup-remediator ${command}`);
  });
});
