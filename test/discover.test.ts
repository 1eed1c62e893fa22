// Discovery against the emulator over real HTTPS with the real SDK clients: both paths agree, only the
// latest job per protected item counts, paging is followed, scoped discovery (vault, VM, job) works.
import type { Emulator } from '../emulator';
import { startWithArm } from './helpers/emulator';
import { staticTokenCredential } from '../emulator/credential';
import { createArmContext, type ArmContext } from '../lib/arm/clients';
import { createPacer } from '../lib/arm/pacing';
import { discoverFailures, formatJobFilterTime } from '../lib/discover';

const S1 = '11111111-1111-1111-1111-111111111111';
const S2 = '22222222-2222-2222-2222-222222222222';
const NOW = new Date('2026-11-20T06:00:00Z');
const SINCE = new Date('2026-11-19T06:00:00Z');
const vmId = (sub: string, rg: string, name: string) => `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/${name}`;
const vaultId = (sub: string, rg: string, name: string) => `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.RecoveryServices/vaults/${name}`;

const vm = (name: string) => ({ name, os: 'Windows', powerState: 'running', agent: { status: 'Ready', version: '2.7.41491.1102' }, tags: {}, locks: [], extensions: [] });
const failed = { errorCode: 400236, errorTitle: '', errorString: 'VM agent unable to communicate', recommendations: [] };
let n = 0;
const job = (sub: string, rg: string, name: string, status: string, start: string, extra: Record<string, unknown> = {}) => ({
  name: `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
  vmId: vmId(sub, rg, name), operation: 'Backup', status, startTime: start,
  ...(status === 'InProgress' ? {} : { endTime: start.replace(/T(\d\d)/, (_m, h) => `T${h}`).replace(':00:00Z', ':20:00Z') }),
  ...(status === 'Failed' ? { errorDetails: [failed] } : {}),
  ...extra,
});

function estate() {
  n = 0;
  return {
    now: NOW.toISOString(),
    subscriptions: [
      {
        id: S1, displayName: 'one', locks: [],
        resourceGroups: [{
          name: 'rg-app', location: 'westeurope', tags: {}, locks: [],
          virtualMachines: ['web1', 'web10', 'app1', 'db1', 'old1', 'ok1'].map(vm),
          restorePointCollections: [],
          vaults: [
            {
              name: 'rsv-a',
              protectedItems: ['web1', 'web10', 'app1'].map((v) => ({ vmId: vmId(S1, 'rg-app', v), policy: 'DefaultPolicy' })),
              jobs: [
                job(S1, 'rg-app', 'web1', 'Failed', '2026-11-20T01:00:00Z'),
                job(S1, 'rg-app', 'web10', 'Failed', '2026-11-20T01:00:00Z'),
                job(S1, 'rg-app', 'web10', 'Completed', '2026-11-20T02:00:00Z'),
                job(S1, 'rg-app', 'app1', 'Failed', '2026-11-20T01:00:00Z'),
                job(S1, 'rg-app', 'app1', 'InProgress', '2026-11-20T05:30:00Z'),
              ],
            },
            {
              name: 'rsv-b',
              protectedItems: ['db1', 'old1', 'ok1'].map((v) => ({ vmId: vmId(S1, 'rg-app', v), policy: 'DefaultPolicy' })),
              jobs: [
                job(S1, 'rg-app', 'db1', 'Failed', '2026-11-20T01:00:00Z'),
                job(S1, 'rg-app', 'db1', 'Failed', '2026-11-20T03:00:00Z'),
                job(S1, 'rg-app', 'old1', 'Failed', '2026-11-17T01:00:00Z'),
                job(S1, 'rg-app', 'ok1', 'Completed', '2026-11-20T01:00:00Z'),
                job(S1, 'rg-app', 'ok1', 'Failed', '2026-11-20T01:00:00Z', { operation: 'Restore' }),
              ],
            },
          ],
        }],
      },
      {
        id: S2, displayName: 'two', locks: [],
        resourceGroups: [{
          name: 'rg-two', location: 'westeurope', tags: {}, locks: [],
          virtualMachines: ['pm1', 'unprotected1'].map(vm),
          restorePointCollections: [],
          vaults: [{
            name: 'rsv-c',
            protectedItems: [{ vmId: vmId(S2, 'rg-two', 'pm1'), policy: 'DefaultPolicy' }],
            // 14:30 is 02:30 PM: the 12-hour filter format must not lose it.
            jobs: [job(S2, 'rg-two', 'pm1', 'Failed', '2026-11-19T14:30:00Z')],
          }],
        }],
      },
    ],
    simulation: { latencyMs: 0, throttling: 'off', backupDurationSeconds: 0, faults: [] },
  };
}

let emu: Emulator;
let arm: ArmContext;

beforeAll(async () => {
  ({ emu, arm } = await startWithArm(estate()));
});
afterAll(() => emu?.stop());

const brief = (r: Awaited<ReturnType<typeof discoverFailures>>) => ({
  candidates: r.candidates.map((c) => ({ vmId: c.vmId, jobId: c.jobId, vaultId: c.vaultId, protectedItemId: c.protectedItemId, status: c.job.status, start: c.job.startTime })),
  skipped: r.skipped.map((s) => ({ vmId: s.vmId, reason: s.reason })),
});

describe('discoverFailures', () => {
  it('formats job filter times on a 12-hour clock', () => {
    expect(formatJobFilterTime(new Date('2026-11-19T14:30:05Z'))).toBe('2026-11-19 02:30:05 PM');
    expect(formatJobFilterTime(new Date('2026-11-19T00:05:00Z'))).toBe('2026-11-19 12:05:00 AM');
    expect(formatJobFilterTime(new Date('2026-11-19T12:00:00Z'))).toBe('2026-11-19 12:00:00 PM');
  });

  it('REST path: latest job per protected item, recovered and running items skipped', async () => {
    const r = await discoverFailures(arm, { subscriptions: [S1, S2] }, { since: SINCE, now: NOW, path: 'rest' });
    expect(r.path).toBe('rest');
    const b = brief(r);
    expect(b.candidates.map((c) => [c.vmId, c.start])).toEqual([
      [vmId(S1, 'rg-app', 'db1'), '2026-11-20T03:00:00.000Z'],
      [vmId(S1, 'rg-app', 'web1'), '2026-11-20T01:00:00.000Z'],
      [vmId(S2, 'rg-two', 'pm1'), '2026-11-19T14:30:00.000Z'],
    ]);
    expect(b.candidates[1]).toMatchObject({
      vaultId: vaultId(S1, 'rg-app', 'rsv-a'),
      protectedItemId: `${vaultId(S1, 'rg-app', 'rsv-a')}/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainerv2;rg-app;web1/protectedItems/VM;iaasvmcontainerv2;rg-app;web1`,
      status: 'Failed',
    });
    expect(b.candidates[1].jobId).toMatch(new RegExp(`^${vaultId(S1, 'rg-app', 'rsv-a')}/backupJobs/[0-9a-f-]{36}$`));
    expect(b.skipped).toEqual([
      { vmId: vmId(S1, 'rg-app', 'app1'), reason: 'backup-in-progress' },
      { vmId: vmId(S1, 'rg-app', 'web10'), reason: 'already-recovered' },
    ]);
    const web1 = r.candidates.find((c) => c.vmId.endsWith('/web1'))!;
    expect(web1.job.errorDetails).toEqual([failed]);
  });

  it('Resource Graph path gives the same candidates and skips as REST', async () => {
    const rest = await discoverFailures(arm, { subscriptions: [S1, S2] }, { since: SINCE, now: NOW, path: 'rest' });
    const graph = await discoverFailures(arm, { subscriptions: [S1, S2] }, { since: SINCE, now: NOW });
    expect(graph.path).toBe('graph');
    expect(brief(graph)).toEqual(brief(rest));
    // The job bodies agree too, field for field, once normalised, except what each shape leaves out:
    // REST lists carry no extendedInfo, conservative Resource Graph rows no errorDetails either.
    const bare = (j: Record<string, unknown>) => Object.fromEntries(Object.entries(j).filter(([k]) => k !== 'errorDetails' && k !== 'extendedInfo'));
    expect(graph.candidates.map((c) => bare(c.job))).toEqual(rest.candidates.map((c) => bare(c.job)));
    expect(rest.candidates.every((c) => c.job.extendedInfo === undefined && c.job.errorDetails !== undefined)).toBe(true);
    expect(graph.candidates.every((c) => c.job.errorDetails === undefined)).toBe(true);
  });

  it('follows paging on both paths (page size 2 / $top 2)', async () => {
    const baseline = brief(await discoverFailures(arm, { subscriptions: [S1, S2] }, { since: SINCE, now: NOW, path: 'rest' }));
    emu.setPageSize(2);
    try {
      emu.requests.reset();
      const rest = await discoverFailures(arm, { subscriptions: [S1, S2] }, { since: SINCE, now: NOW, path: 'rest' });
      const jobPages = emu.requests.all().filter((r) => /\/backupJobs$/i.test(r.path));
      expect(jobPages.length).toBeGreaterThan(3); // 3 vaults, at least one needed a second page
      expect(brief(rest)).toEqual(baseline);
      emu.requests.reset();
      const graph = await discoverFailures(arm, { subscriptions: [S1, S2] }, { since: SINCE, now: NOW, graphPageSize: 2 });
      const graphCalls = emu.requests.all().filter((r) => r.category === 'graph');
      expect(graphCalls.length).toBeGreaterThan(1);
      expect(brief(graph)).toEqual(baseline);
    } finally {
      emu.setPageSize(200);
    }
  });

  it('vault scope reads only that vault', async () => {
    emu.requests.reset();
    const r = await discoverFailures(arm, { vaultId: vaultId(S1, 'rg-app', 'rsv-b') }, { since: SINCE, now: NOW });
    expect(r.path).toBe('rest');
    expect(r.candidates.map((c) => c.vmId)).toEqual([vmId(S1, 'rg-app', 'db1')]);
    expect(emu.requests.all().map((x) => `${x.method} ${x.path}`)).toEqual([`GET ${vaultId(S1, 'rg-app', 'rsv-b')}/backupJobs`]);
  });

  it('VM scope finds the vault through protected items; an unprotected VM yields a note, not an error', async () => {
    const r = await discoverFailures(arm, { vmId: vmId(S1, 'rg-app', 'db1') }, { since: SINCE, now: NOW });
    expect(r.candidates.map((c) => [c.vmId, c.job.startTime])).toEqual([[vmId(S1, 'rg-app', 'db1'), '2026-11-20T03:00:00.000Z']]);
    const none = await discoverFailures(arm, { vmId: vmId(S2, 'rg-two', 'unprotected1') }, { since: SINCE, now: NOW });
    expect(none.candidates).toEqual([]);
    expect(none.notes[0].reason).toMatch(/not protected/);
  });

  it('job scope re-reads the job and checks for a later job of the item', async () => {
    const all = await discoverFailures(arm, { subscriptions: [S1] }, { since: SINCE, now: NOW, path: 'rest' });
    const web1 = all.candidates.find((c) => c.vmId.endsWith('/web1'))!;
    const one = await discoverFailures(arm, { jobId: web1.jobId }, { since: SINCE, now: NOW });
    expect(brief(one).candidates).toEqual(brief({ ...all, candidates: [web1] }).candidates);

    const web10Failed = emu.state.estate.subscriptions[0].resourceGroups[0].vaults[0].jobs.find((j) => j.vmId.endsWith('/web10') && j.status === 'Failed')!;
    const recovered = await discoverFailures(arm, { jobId: `${vaultId(S1, 'rg-app', 'rsv-a')}/backupJobs/${web10Failed.name}` }, { since: SINCE, now: NOW });
    expect(recovered.candidates).toEqual([]);
    expect(recovered.skipped.map((s) => s.reason)).toEqual(['already-recovered']);

    const missing = await discoverFailures(arm, { jobId: `${vaultId(S1, 'rg-app', 'rsv-a')}/backupJobs/99999999-0000-4000-8000-000000000000` }, { since: SINCE, now: NOW });
    expect(missing.candidates).toEqual([]);
    expect(missing.notes[0].reason).toMatch(/does not exist/);
  });

  it('a 429 storm ends in success: the pacer retries throttled reads itself', async () => {
    const pacer = createPacer({ maxRetryAfterMs: 5000 });
    const paced = createArmContext({ endpoint: emu.endpoint, credential: staticTokenCredential(), ca: emu.ca, retry: { maxRetries: 1, retryDelayInMs: 10 }, pacing: pacer });
    emu.faults.add({ method: 'GET', path: '*/backupJobs', status: 429, retryAfterSeconds: 0, times: 6 });
    try {
      const r = await discoverFailures(paced, { vaultId: vaultId(S1, 'rg-app', 'rsv-b') }, { since: SINCE, now: NOW });
      expect(r.candidates.map((c) => c.vmId)).toEqual([vmId(S1, 'rg-app', 'db1')]);
      expect(pacer.stats().throttled).toBe(6);
    } finally {
      emu.faults.clear();
    }
  });

  it('a Retry-After beyond the maximum surfaces as ThrottledError instead of blocking', async () => {
    const pacer = createPacer({ maxRetryAfterMs: 1000 });
    const paced = createArmContext({ endpoint: emu.endpoint, credential: staticTokenCredential(), ca: emu.ca, pacing: pacer });
    emu.faults.add({ method: 'GET', path: '*/backupJobs', status: 429, retryAfterSeconds: 120, times: 1 });
    try {
      const t0 = Date.now();
      await expect(discoverFailures(paced, { vaultId: vaultId(S1, 'rg-app', 'rsv-b') }, { since: SINCE, now: NOW })).rejects.toMatchObject({ name: 'ThrottledError', retryAfterMs: 120000 });
      expect(Date.now() - t0).toBeLessThan(5000);
    } finally {
      emu.faults.clear();
    }
  });

  it('pacing: a 320-read burst with ARM throttling on slows to the refill rate and meets no 429', async () => {
    const pacer = createPacer();
    const paced = createArmContext({ endpoint: emu.endpoint, credential: staticTokenCredential(), ca: emu.ca, pacing: pacer });
    emu.setThrottling('arm');
    try {
      const compute = paced.compute(S1);
      let next = 0;
      const worker = async () => {
        while (next < 320) {
          next++;
          await compute.virtualMachines.get('rg-app', 'web1');
        }
      };
      const t0 = Date.now();
      await Promise.all([worker(), worker(), worker(), worker()]);
      const s = pacer.stats();
      expect(s.requests.read).toBe(320);
      expect(s.throttled).toBe(0);
      expect(s.pacedRequests).toBeGreaterThan(0);
      // 250 in the bucket, the rest at 25/s: at least ~2 s of pacing.
      expect(Date.now() - t0).toBeGreaterThan(2000);
    } finally {
      emu.setThrottling('off');
    }
  }, 30000);
});
