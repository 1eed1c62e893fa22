// Issue 17: the plan must not depend on what a discovery path happens to carry. The same estate is
// planned from Resource Graph rows without error details (the default, conservative shape), from rows
// with them, and over REST (lists without extendedInfo): identical items, and the job is read with
// JobDetails_Get at most once per failing candidate, only when the row lacks what classifying needs.
import { readFileSync } from 'node:fs';
import { generateEstate } from '../emulator/generate';
import { sampleEstatePath } from '../emulator/sample';
import type { RunReport } from '../lib/types';
import { useHarness, type Env } from './helpers/harness';

const env = useHarness();

const JOB_GET = /\/backupJobs\/[^/]+$/i;

/** What a plan proposes and reports, per item, in report order. */
function plan(r: RunReport) {
  return {
    items: r.items.map((i) => ({
      vmId: i.vmId,
      jobId: i.jobId,
      code: i.failure.code,
      actions: i.actions.map((a) => `${a.kind} ${a.target}`),
      findings: i.findings.map((f) => `${f.kind}: ${f.message}`),
    })),
    notes: r.notes ?? [],
  };
}

async function planEachWay(e: Env) {
  const jobGets = () => e.emu.requests.all().filter((r) => r.method === 'GET' && JOB_GET.test(r.path)).length;
  e.emu.requests.reset();
  const conservative = await e.run('plan');
  const conservativeGets = jobGets();
  e.emu.setJobShapes({ graph: 'full' });
  e.emu.requests.reset();
  const full = await e.run('plan');
  const fullGets = jobGets();
  e.emu.setJobShapes({ graph: 'conservative' });
  e.emu.requests.reset();
  const rest = await e.run('plan', { discoveryPath: 'rest' });
  const restGets = jobGets();
  return { conservative, full, rest, gets: { conservative: conservativeGets, full: fullGets, rest: restGets } };
}

describe('the same plan from every discovery shape', () => {
  it('sample estate: Resource Graph without and with error details, and REST', async () => {
    const e = await env(JSON.parse(readFileSync(sampleEstatePath(), 'utf8')));
    const r = await planEachWay(e);
    expect(r.conservative.items.length).toBeGreaterThan(15);
    expect(plan(r.full)).toEqual(plan(r.conservative));
    expect(plan(r.rest)).toEqual(plan(r.conservative));
    // Classified from the job itself, not Unclassified for lack of details.
    expect(r.conservative.items.filter((i) => i.failure.code !== 'Unclassified').length).toBeGreaterThan(10);
    // Rows without details: one job GET per failing candidate, never more.
    expect(r.gets.conservative).toBe(r.conservative.items.length);
    // Rows with details: a GET only where the row does not settle the code.
    expect(r.gets.full).toBeLessThan(r.gets.conservative);
    expect(r.gets.rest).toBeLessThanOrEqual(r.rest.items.length);
  });

  it('generated estate: the same three ways', async () => {
    const estate = generateEstate({ subscriptions: 2, vaultsPerSubscription: 1, vmsPerVault: 40, failureRate: 0.4, seed: 7 });
    const e = await env(estate);
    const r = await planEachWay(e);
    expect(r.conservative.items.length).toBeGreaterThanOrEqual(20);
    expect(plan(r.full)).toEqual(plan(r.conservative));
    expect(plan(r.rest)).toEqual(plan(r.conservative));
    expect(r.conservative.items.some((i) => i.actions.length > 0)).toBe(true);
    expect(r.gets.conservative).toBe(r.conservative.items.length);
    expect(r.gets.full).toBeLessThan(r.gets.conservative);
  });
});
