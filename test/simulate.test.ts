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
import { makeJwt } from '../emulator/jwt';
import { describeOffset, rebaseEstate } from '../emulator/rebase';
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
    const served = runStandalone({ port: 0, caOut, out: sink.out, err: { write: () => true }, signal: controller.signal });
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
    // The one line on stderr says what moved (the file's `now` became the start time).
    expect(stderr).toMatch(/^estate times re-based \+[\dhdm ]+: 2026-11-20T06:00:00\.000Z is now \S+ \(--as-written serves them unchanged\)\n$/);
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

const SAMPLE = path.join(__dirname, '..', 'emulator', 'sample-estate.json');
type RawJob = { name: string; startTime: string; endTime?: string };
type RawEstate = { now?: string; subscriptions: { resourceGroups: { vaults: { jobs: RawJob[] }[]; restorePointCollections: { restorePoints: number | { timeCreated: string }[] }[] }[] }[] };
const jobsOf = (e: RawEstate) => e.subscriptions.flatMap((s) => s.resourceGroups.flatMap((g) => g.vaults.flatMap((v) => v.jobs)));
const pointsOf = (e: RawEstate) =>
  e.subscriptions.flatMap((s) => s.resourceGroups.flatMap((g) => g.restorePointCollections.flatMap((c) => (Array.isArray(c.restorePoints) ? c.restorePoints : []))));

describe('rebaseEstate: the estate`s now becomes the start time, every time moves by the same offset', () => {
  const raw = JSON.parse(fs.readFileSync(SAMPLE, 'utf8')) as RawEstate;
  const to = new Date('2031-05-06T07:08:09.000Z');

  it('moves now, every job start and end time, and every listed restore point by now → to; the input is untouched', () => {
    const before = JSON.stringify(raw);
    const r = rebaseEstate(raw, to);
    const out = r.estate as RawEstate;
    const offset = to.getTime() - Date.parse('2026-11-20T06:00:00Z');
    expect(r.from?.toISOString()).toBe('2026-11-20T06:00:00.000Z');
    expect(r.offsetMs).toBe(offset);
    expect(out.now).toBe(to.toISOString());
    const [a, b] = [jobsOf(raw), jobsOf(out)];
    expect(b.length).toBe(a.length);
    expect(a.length).toBeGreaterThan(20);
    a.forEach((j, i) => {
      expect(Date.parse(b[i]!.startTime) - Date.parse(j.startTime)).toBe(offset);
      if (j.endTime) expect(Date.parse(b[i]!.endTime!) - Date.parse(j.endTime)).toBe(offset);
      else expect(b[i]!.endTime).toBeUndefined();
    });
    expect(JSON.stringify(raw)).toBe(before);
  });

  it('without `now`, the latest time is the reference; listed restore points move, counts are left to expand from the new `now`', () => {
    const estate = {
      subscriptions: [{ resourceGroups: [{
        vaults: [{ jobs: [{ startTime: '2025-01-01T00:00:00Z', endTime: '2025-01-01T01:00:00Z' }, { startTime: 'not a date' }] }],
        restorePointCollections: [{ restorePoints: [{ timeCreated: '2024-12-31T00:00:00Z' }] }, { restorePoints: 18 }],
      }] }],
    };
    const r = rebaseEstate(estate, to);
    const out = r.estate as typeof estate;
    expect(r.from?.toISOString()).toBe('2025-01-01T01:00:00.000Z');
    const vault = out.subscriptions[0]!.resourceGroups[0]!.vaults[0]!;
    expect(vault.jobs[0]).toEqual({ startTime: '2031-05-06T06:08:09.000Z', endTime: to.toISOString() });
    expect(vault.jobs[1]).toEqual({ startTime: 'not a date' }); // for the validator to name
    expect(out.subscriptions[0]!.resourceGroups[0]!.restorePointCollections).toEqual([{ restorePoints: [{ timeCreated: '2031-05-05T06:08:09.000Z' }] }, { restorePoints: 18 }]);
    expect((out as { now?: string }).now).toBe(to.toISOString());
  });

  it('an estate with no time at all, or not an object, is served as it is', () => {
    expect(rebaseEstate({ subscriptions: [] }, to)).toEqual({ estate: { subscriptions: [] }, to, offsetMs: 0 });
    expect(rebaseEstate(42, to)).toEqual({ estate: 42, to, offsetMs: 0 });
    expect([describeOffset(0), describeOffset(-3 * 3600_000 - 5 * 60_000), describeOffset(12 * 86_400_000 + 6 * 3600_000 + 50 * 60_000)]).toEqual(['0m', '-3h 5m', '+12d 6h 50m']);
  });
});

/** GET over TLS with the emulator's token; the answer's status and text. */
function armGet(url: string, caFile: string, token = makeJwt({ lifetimeSeconds: 3600 })): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca: fs.readFileSync(caFile, 'utf8'), agent: false, headers: { authorization: `Bearer ${token}` } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
  });
}

describe('simulate: times re-based to the start, the request log readable from outside', () => {
  const job = `/subscriptions/${SUB}/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults/rsv-prod/backupJobs/5f1c3e8a-0000-4000-8000-000000000008`;

  async function serve(extra: Partial<Parameters<typeof runStandalone>[0]>, body: (endpoint: string, caOut: string, err: string) => Promise<void>) {
    const caOut = path.join(tmp, `ca-${Math.random().toString(36).slice(2)}.pem`);
    const sink = lineSink();
    let err = '';
    const controller = new AbortController();
    const served = runStandalone({ port: 0, caOut, out: sink.out, err: { write: (s: string) => (err += s) }, signal: controller.signal, ...extra });
    const line = await within(sink.firstLine, 30_000, 'a "listening" line');
    try {
      await body(LISTENING.exec(line)![1]!, caOut, err);
    } finally {
      controller.abort();
      await within(served, 10_000, 'stop after abort');
    }
  }

  it('by default a sample job started 5.5 h before the estate`s now is served as started 5.5 h before the server started; --as-written serves it as written', async () => {
    const sample = JSON.parse(fs.readFileSync(SAMPLE, 'utf8')) as RawEstate;
    const written = jobsOf(sample).find((j) => j.name === '5f1c3e8a-0000-4000-8000-000000000008')!;
    const ageMs = Date.parse(sample.now!) - Date.parse(written.startTime);
    const before = Date.now();
    await serve({}, async (endpoint, caOut, err) => {
      const r = await armGet(`${endpoint}${job}?api-version=2025-02-01`, caOut);
      expect(r.status).toBe(200);
      const started = Date.parse(JSON.parse(r.text).properties.startTime);
      expect(started).toBeGreaterThanOrEqual(before - ageMs);
      expect(started).toBeLessThanOrEqual(Date.now() - ageMs);
      expect(err).toMatch(/^estate times re-based \+/);
    });
    await serve({ asWritten: true }, async (endpoint, caOut, err) => {
      const r = await armGet(`${endpoint}${job}?api-version=2025-02-01`, caOut);
      expect(Date.parse(JSON.parse(r.text).properties.startTime)).toBe(Date.parse(written.startTime));
      expect(err).toBe('');
    });
  }, 60_000);

  it('--log-out writes one JSON line per request, bodies only when asked and never a token; --log-endpoint serves the same lines', async () => {
    const logOut = path.join(tmp, 'requests.jsonl');
    await serve({ logOut, logBodies: true, logEndpoint: true }, async (endpoint, caOut) => {
      const port = new URL(endpoint).port;
      // A token from the emulator's own endpoint, as @azure/identity asks for it (plain HTTP).
      const tokenAnswer = await fetch(`http://127.0.0.1:${port}/msi/token?api-version=2019-08-01&resource=${encodeURIComponent(endpoint)}`, { headers: { 'x-identity-header': 'x' } });
      const token = ((await tokenAnswer.json()) as { access_token: string }).access_token;
      expect(token).toMatch(/^eyJ/);
      expect((await armGet(`${endpoint}${job}?api-version=2025-02-01`, caOut, token)).status).toBe(200);
      expect((await armGet(`${endpoint}/subscriptions/${SUB}/resourceGroups/nope?api-version=2021-04-01`, caOut, token)).status).toBe(404);

      const lines = fs.readFileSync(logOut, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(lines).toEqual([
        { seq: 1, at: expect.any(String), method: 'GET', path: '/msi/token', query: expect.stringContaining('api-version=2019-08-01'), status: 200, category: 'token', durationMs: expect.any(Number), throttled: false, faulted: false },
        expect.objectContaining({ seq: 2, method: 'GET', path: job, query: 'api-version=2025-02-01', status: 200, category: 'read', responseBody: expect.objectContaining({ name: '5f1c3e8a-0000-4000-8000-000000000008' }) }),
        expect.objectContaining({ seq: 3, path: `/subscriptions/${SUB}/resourceGroups/nope`, status: 404, responseBody: { error: expect.objectContaining({ code: 'ResourceGroupNotFound' }) } }),
      ]);
      const text = fs.readFileSync(logOut, 'utf8');
      expect(text).not.toContain(token);
      expect(text).not.toMatch(/eyJ|access_token/);

      // The endpoint: same lines without bodies, `after` skips what was read; reading is not logged.
      const all = await armGet(`${endpoint}/_emulator/requests`, caOut, '');
      expect(all.status).toBe(200);
      const served = all.text.trim().split('\n').map((l) => JSON.parse(l));
      expect(served).toEqual(lines.map(({ requestBody: _q, responseBody: _r, ...rest }) => rest));
      const later = await armGet(`${endpoint}/_emulator/requests?after=2`, caOut, '');
      expect(later.text.trim().split('\n').map((l) => JSON.parse(l).seq)).toEqual([3]);
      expect(fs.readFileSync(logOut, 'utf8').trim().split('\n')).toHaveLength(3);
    });
  }, 60_000);

  it('without --log-endpoint there is no such path; --log-bodies without --log-out and an unwritable --log-out are exit 2', async () => {
    await serve({}, async (endpoint, caOut) => {
      expect((await armGet(`${endpoint}/_emulator/requests?api-version=1`, caOut)).status).toBe(404);
    });
    const run = async (args: string[]) => {
      let stdout = '';
      let stderr = '';
      const io: CliIo = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, stdin: new PassThrough(), env: {} };
      return { code: await main(args, io), stdout, stderr };
    };
    expect(await run(['simulate', '--port', '0', '--log-bodies'])).toEqual({ code: 2, stdout: '', stderr: 'error: --log-bodies needs --log-out <file>\n' });
    const bad = path.join(tmp, 'no-such-dir', 'log.jsonl');
    expect(await run(['simulate', '--port', '0', '--log-out', bad])).toEqual({ code: 2, stdout: '', stderr: `error: cannot write --log-out ${bad}: ENOENT\n` });
  }, 60_000);
});
