// "Say only what was seen": on a VM where ARM shows nothing wrong, no finding may state a cause as a
// fact. Every report-only code, planned with the real catalogue, either names a cause that evidence
// read confirms (none here) or labels it as the documented likely cause, not confirmed.
import { CATALOGUE } from '../lib/catalogue';
import { planItem } from '../lib/plan';
import type { Candidate } from '../lib/discover/types';
import type { Diagnosis } from '../lib/diagnose';

const SUB = '11111111-1111-1111-1111-111111111111';
const VM = `/subscriptions/${SUB}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/web1`;
const VAULT = `/subscriptions/${SUB}/resourceGroups/rg-bkp/providers/Microsoft.RecoveryServices/vaults/rsv1`;
const ITEM = `${VAULT}/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainerv2;rg-app;web1/protectedItems/VM;iaasvmcontainerv2;rg-app;web1`;
const candidate: Candidate = { vmId: VM, jobId: `${VAULT}/backupJobs/j`, vaultId: VAULT, protectedItemId: ITEM, job: { status: 'Failed', operation: 'Backup' }, inProgress: false };
const healthy = (over: Partial<Diagnosis['vm']> = {}): Diagnosis => ({
  vm: { id: VM, exists: true, name: 'web1', resourceGroup: 'rg-app', subscriptionId: SUB, tags: {}, rgTags: {}, powerState: 'running', provisioningState: 'Succeeded', os: 'Windows', ...over },
  agent: { status: 'Ready', version: '2.7.41491.1102' },
  snapshotExtension: { id: `${VM}/extensions/VMSnapshot`, name: 'VMSnapshot', type: 'VMSnapshot', publisher: 'Microsoft.Azure.RecoveryServices', provisioningState: 'Succeeded', source: 'extensions-list' },
  collections: [],
  totalPoints: 0,
  protectedItems: [ITEM],
  backupInProgress: false,
  readErrors: [],
});
const opts = { subscriptions: [SUB], resourceGroups: [], allowedActions: [], optInCodes: [], backupRetentionDays: 30, now: new Date('2026-11-20T06:00:00Z') };
const plan = (code: string, d: Diagnosis) => {
  const e = CATALOGUE.find((x) => x.code === code)!;
  return planItem(candidate, { code, signals: [], automation: e.automation, docUrl: e.docUrl }, d, e, opts);
};

describe('finding sentences say only what was seen', () => {
  test.each(CATALOGUE.filter((e) => e.automation === 'report-only').map((e) => [e.code]))('%s on a healthy VM: every cause is labelled not confirmed', (code) => {
    const p = plan(code, healthy());
    expect(p.actions).toEqual([]);
    expect(p.findings.length).toBeGreaterThan(0);
    for (const f of p.findings) expect(f.message).toMatch(/not confirmed/);
    expect(p.findings.find((f) => f.kind === 'report-only-error')!.message).toMatch(/Documented likely cause, not confirmed by anything read: /);
  });

  test('a cause evidence confirms is stated from what was read, and the rest stays labelled', () => {
    const p = plan('UserErrorVmProvisioningStateFailed', healthy({ provisioningState: 'Failed' }));
    const f = p.findings.find((x) => x.kind === 'extension-failed')!;
    expect(f.message).toMatch(/^The VM's provisioning state reads Failed\. Documented likely cause, not confirmed: /);
    expect(f.evidence).toMatchObject({ provisioningState: 'Failed' });
    const net = plan('ExtensionSnapshotFailedNoNetwork', healthy()).findings.find((x) => x.kind === 'no-outbound-connectivity')!;
    expect(net.message).toMatch(/^Inferred, not confirmed: documented likely cause "/);
    expect(net.message).toMatch(/no network path was read/);
  });
});
