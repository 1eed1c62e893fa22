// `backup-remediator simulate` as docs/emulator.md documents it, in-process: port 0, --ca-out, one
// `listening https://127.0.0.1:<port>` line, then a real SDK call trusted only through the written CA,
// then a clean stop (AbortSignal instead of SIGTERM). test/bin.test.ts runs the compiled command as
// a child process; this one needs no build and also checks that the port is released.

import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { ComputeManagementClient } from '@azure/arm-compute';
import { main } from '../cli/main';
import type { CliIo } from '../cli/io';
import { staticTokenCredential } from '../emulator/credential';
import { runStandalone } from '../emulator/standalone';

const SUB = '11111111-1111-1111-1111-111111111111';
const LISTENING = /^listening (https:\/\/127\.0\.0\.1:(\d+))\n$/;

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'simulate-test-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Resolves with everything written once the first full line has arrived. */
function lineSink(): { out: { write(s: string): boolean }; firstLine: Promise<string>; text(): string } {
  let text = '';
  let resolveLine!: (l: string) => void;
  const firstLine = new Promise<string>((resolve) => (resolveLine = resolve));
  return {
    out: {
      write(s: string) {
        text += s;
        if (text.includes('\n')) resolveLine(text);
        return true;
      },
    },
    firstLine,
    text: () => text,
  };
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

/** The documented SDK setup: only the endpoint and the CA change; TLS verification stays on. */
async function getVm(endpoint: string, caFile: string, name: string): Promise<string | undefined> {
  const compute = new ComputeManagementClient(staticTokenCredential(), SUB, {
    endpoint,
    tlsOptions: { ca: fs.readFileSync(caFile, 'utf8') },
    retryOptions: { maxRetries: 0 },
  } as ConstructorParameters<typeof ComputeManagementClient>[2]);
  const vm = await compute.virtualMachines.get('rg-app', name, { expand: 'instanceView' });
  return vm.name;
}

/** A plain TLS request on a fresh connection, trusted through the CA, that reports how it ended. */
function probe(endpoint: string, caFile: string): Promise<string> {
  return new Promise((resolve) => {
    const req = https.get(`${endpoint}/subscriptions?api-version=2022-12-01`, { ca: fs.readFileSync(caFile, 'utf8'), agent: false }, (res) => {
      res.resume();
      resolve(`status ${res.statusCode}`);
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

describe('simulate (standalone emulator) in-process', () => {
  it('runStandalone: one listening line, an SDK call through the written CA, then stops on abort and frees the port', async () => {
    const caOut = path.join(tmp, 'ca-standalone.pem');
    const sink = lineSink();
    const controller = new AbortController();
    const served = runStandalone({ port: 0, caOut, out: sink.out, signal: controller.signal });
    const line = await within(sink.firstLine, 30_000, 'a "listening" line');
    const [, endpoint, port] = LISTENING.exec(line) ?? [];
    expect(line).toMatch(LISTENING);
    expect(Number(port)).toBeGreaterThan(0);
    expect(fs.readFileSync(caOut, 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----/);

    expect(await getVm(endpoint!, caOut, 'vm-ext-stuck')).toBe('vm-ext-stuck');
    // Without a bearer token the server answers as ARM does.
    expect(await probe(endpoint!, caOut)).toBe('status 401');

    controller.abort();
    await within(served, 10_000, 'stop after abort');
    expect(sink.text()).toBe(line); // nothing but the one line
    expect(await probe(endpoint!, caOut)).toBe('ECONNREFUSED');
  }, 60_000);

  it('the CLI command: `simulate --estate <file> --port 0 --ca-out <file>` serves that estate and exits 0 when stopped', async () => {
    const caOut = path.join(tmp, 'ca-cli.pem');
    const estate = path.join(tmp, 'one-vm.json');
    const sample = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'emulator', 'sample-estate.json'), 'utf8'));
    // A one-VM estate: proves --estate is the file served, not the built-in sample.
    const rg = sample.subscriptions[0].resourceGroups.find((g: { name: string }) => g.name === 'rg-app');
    rg.virtualMachines = rg.virtualMachines.filter((v: { name: string }) => v.name === 'vm-healthy');
    sample.subscriptions[0].resourceGroups = [rg];
    sample.subscriptions = [sample.subscriptions[0]];
    rg.vaults = [];
    rg.restorePointCollections = [];
    fs.writeFileSync(estate, JSON.stringify(sample));

    const sink = lineSink();
    let stderr = '';
    const controller = new AbortController();
    const io: CliIo = {
      stdout: sink.out,
      stderr: { write: (s: string) => (stderr += s) },
      stdin: new PassThrough(),
      env: {},
      signal: controller.signal,
    };
    const exited = main(['simulate', '--estate', estate, '--port', '0', '--ca-out', caOut], io);
    const line = await within(sink.firstLine, 30_000, 'a "listening" line');
    expect(line).toMatch(LISTENING);
    const endpoint = LISTENING.exec(line)![1]!;

    expect(await getVm(endpoint, caOut, 'vm-healthy')).toBe('vm-healthy');
    await expect(getVm(endpoint, caOut, 'vm-ext-stuck')).rejects.toMatchObject({ statusCode: 404 });

    controller.abort();
    expect(await within(exited, 10_000, 'exit after abort')).toBe(0);
    expect(stderr).toBe('');
    expect(sink.text()).toBe(line);
  }, 60_000);

  it('an unreadable or invalid estate, or a bad port, is exit 2 with a clear message and no listening line', async () => {
    const run = async (args: string[]) => {
      let stdout = '';
      let stderr = '';
      const io: CliIo = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, stdin: new PassThrough(), env: {} };
      return { code: await main(args, io), stdout, stderr };
    };
    const missing = path.join(tmp, 'missing.json');
    const r1 = await run(['simulate', '--estate', missing, '--port', '0']);
    expect(r1).toEqual({ code: 2, stdout: '', stderr: `error: cannot read estate file ${missing}: no such file\n` });

    const invalid = path.join(tmp, 'invalid.json');
    fs.writeFileSync(invalid, JSON.stringify({ subscriptions: [{ id: 'nope', resourceGroups: [] }] }));
    const r2 = await run(['simulate', '--estate', invalid, '--port', '0']);
    expect(r2.code).toBe(2);
    expect(r2.stdout).toBe('');
    expect(r2.stderr).toMatch(new RegExp(`^error: estate file ${invalid.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is invalid: .*subscriptions\\[0\\]`));

    const r3 = await run(['simulate', '--port', '70000']);
    expect(r3.code).toBe(2);
    expect(r3.stderr).toContain('--port "70000": expected 0-65535');
  });
});
