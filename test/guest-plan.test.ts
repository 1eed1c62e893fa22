// The run-guest-fix planning rule. Off by default: the guest codes plan exactly today's report-only
// findings. Enabled per code (REMEDIATION_GUEST_FIX_CODES): the fix script for the code and the VM's
// OS, then Backup Now; a VM agent that is not Ready, or an OS without a script, is a finding and no write.
import type { ActionKind } from '../lib/types';
import { catalogueEntry, type CatalogueEntry } from '../lib/catalogue';
import { GUEST_FIXABLE_CODES } from '../lib/catalogue/guest';
import type { Candidate } from '../lib/discover/types';
import type { Diagnosis } from '../lib/diagnose';
import { planItem, type PlanOptions } from '../lib/plan';
import { ACTION_KINDS } from '../lib/types';

const SUB = '11111111-1111-1111-1111-111111111111';
const VM = `/subscriptions/${SUB}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/sql1`;
const VAULT = `/subscriptions/${SUB}/resourceGroups/rg-bkp/providers/Microsoft.RecoveryServices/vaults/rsv1`;
const ITEM = `${VAULT}/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainerv2;rg-app;sql1/protectedItems/VM;iaasvmcontainerv2;rg-app;sql1`;
const UNIQUE = '6a1f0c55-0000-4000-8000-0000000000aa';

const candidate: Candidate = { vmId: VM, jobId: `${VAULT}/backupJobs/j1`, vaultId: VAULT, protectedItemId: ITEM, job: { status: 'Failed', operation: 'Backup' }, inProgress: false };

function diagnosis(over: { os?: 'Windows' | 'Linux'; agent?: Diagnosis['agent']; powerState?: string; uniqueId?: string } = {}): Diagnosis {
  return {
    vm: { id: VM, exists: true, name: 'sql1', resourceGroup: 'rg-app', subscriptionId: SUB, tags: {}, rgTags: {}, powerState: over.powerState ?? 'running', provisioningState: 'Succeeded', os: 'os' in over ? over.os : 'Windows', uniqueId: 'uniqueId' in over ? over.uniqueId : UNIQUE },
    agent: over.agent ?? { status: 'Ready', version: '2.7.41491.1102' },
    collections: [],
    totalPoints: 0,
    protectedItems: [ITEM],
    backupInProgress: false,
    readErrors: [],
  };
}

const opts: PlanOptions = { subscriptions: [SUB], resourceGroups: [], allowedActions: [...ACTION_KINDS], optInCodes: [], backupRetentionDays: 30, now: new Date('2026-11-20T06:00:00Z') };

const entry = (code: string) => catalogueEntry(code)!;
const plan = (code: string, d: Diagnosis, o: Partial<PlanOptions> = {}) => planItem(candidate, { code, signals: [], automation: entry(code).automation }, d, entry(code), { ...opts, ...o });
/** The entry as it was before guest fixes existed: report-only, no fixes. */
const asBefore = (code: string): CatalogueEntry => ({ ...entry(code), fixes: [] });

describe('guest fixes are off by default', () => {
  test.each(GUEST_FIXABLE_CODES.map((c) => [c]))('%s: exactly the report-only findings of before, no write', (code) => {
    const before = planItem(candidate, { code, signals: [], automation: 'report-only' }, diagnosis(), asBefore(code), opts);
    for (const o of [{}, { guestFixCodes: [] }, { guestFixCodes: GUEST_FIXABLE_CODES.filter((c) => c !== code) }]) {
      const now = plan(code, diagnosis(), o);
      expect(now).toEqual(before);
      expect(now.actions).toEqual([]);
      expect(now.failure.automation).toBe('report-only');
      expect(now.findings.map((f) => f.kind)).toContain('report-only-error');
    }
  });

  it('REMEDIATION_OPT_IN_CODES does not enable a guest fix', () => {
    expect(plan('ExtensionFailedVssWriterInBadState', diagnosis(), { optInCodes: ['ExtensionFailedVssWriterInBadState'] }).actions).toEqual([]);
  });
});

describe('a code enabled for guest fixes', () => {
  const expected: Record<string, string> = {
    ExtensionFailedVssWriterInBadState: 'vss-restart-writer-services',
    ExtensionFailedVssServiceInBadState: 'vss-restart-service',
    ExtensionSnapshotFailedCOM: 'complus-restart',
    ExtensionInstallationFailedCOM: 'complus-restart',
    ExtensionInstallationFailedMDTC: 'complus-restart',
    ExtensionFailedTimeoutVMNetworkUnresponsive: 'snapshot-registry-set',
  };

  test.each(Object.entries(expected))('%s proposes %s@1 on the VM, then Backup Now', (code, script) => {
    const item = plan(code, diagnosis(), { guestFixCodes: [code] });
    expect(item.actions.map((a) => a.kind)).toEqual(['run-guest-fix', 'trigger-backup']);
    const fix = item.actions[0];
    expect(fix).toMatchObject({ kind: 'run-guest-fix', target: VM, method: 'POST', status: 'proposed' });
    expect(fix.evidence).toMatchObject({
      script: { id: script, version: 1, os: 'Windows', purpose: 'fix' },
      diagnostic: { id: 'windows-guest-diagnose', version: 1 },
      vmUniqueId: UNIQUE,
      code,
    });
    expect(fix.reason).toContain(`${script}@1`);
    expect(item.failure.automation).toBe('opt-in');
    expect(item.findings.map((f) => f.kind)).not.toContain('report-only-error');
  });

  it('the code is matched case-insensitively', () => {
    expect(plan('ExtensionFailedVssServiceInBadState', diagnosis(), { guestFixCodes: ['extensionfailedvssserviceinbadstate'] }).actions).toHaveLength(2);
  });

  it('agent not Ready: a finding that Run Command cannot run and why, no write at all', () => {
    const item = plan('ExtensionFailedVssWriterInBadState', diagnosis({ agent: { status: 'NotReady', message: 'VM agent is unresponsive.' } }), { guestFixCodes: ['ExtensionFailedVssWriterInBadState'] });
    expect(item.actions).toEqual([]);
    const f = item.findings.find((x) => /Run Command cannot run/.test(x.message));
    expect(f).toMatchObject({ kind: 'agent-not-ready', evidence: { script: 'vss-restart-writer-services@1', agent: { status: 'NotReady' } } });
    expect(f!.message).toContain('NotReady (VM agent is unresponsive.)');
  });

  it('a Linux VM (no Linux fix) or an unknown OS: a finding, no write', () => {
    const linux = plan('ExtensionFailedVssWriterInBadState', diagnosis({ os: 'Linux' }), { guestFixCodes: ['ExtensionFailedVssWriterInBadState'] });
    expect(linux.actions).toEqual([]);
    expect(linux.findings.some((f) => /no Linux fix/.test(f.message))).toBe(true);
    const unknown = plan('ExtensionFailedVssWriterInBadState', diagnosis({ os: undefined }), { guestFixCodes: ['ExtensionFailedVssWriterInBadState'] });
    expect(unknown.actions).toEqual([]);
    expect(unknown.findings.some((f) => /does not say its OS type/.test(f.message))).toBe(true);
  });

  it('a VM read without properties.vmId: no write (the fix could not tell a re-created VM)', () => {
    const item = plan('ExtensionFailedVssWriterInBadState', diagnosis({ uniqueId: undefined }), { guestFixCodes: ['ExtensionFailedVssWriterInBadState'] });
    expect(item.actions).toEqual([]);
    expect(item.findings.some((f) => f.kind === 'read-failed' && /properties\.vmId/.test(f.message))).toBe(true);
  });

  it('a stopped VM: no write', () => {
    const item = plan('ExtensionFailedVssWriterInBadState', diagnosis({ powerState: 'deallocated' }), { guestFixCodes: ['ExtensionFailedVssWriterInBadState'] });
    expect(item.actions).toEqual([]);
    expect(item.findings.map((f) => f.kind)).toContain('vm-not-running');
  });

  it('run-guest-fix not in the allowed actions: withheld, and Backup Now with it', () => {
    const allowed: ActionKind[] = ACTION_KINDS.filter((k) => k !== 'run-guest-fix');
    const item = plan('ExtensionFailedVssWriterInBadState', diagnosis(), { guestFixCodes: ['ExtensionFailedVssWriterInBadState'], allowedActions: allowed });
    expect(item.actions).toEqual([]);
    expect(item.findings.filter((f) => f.kind === 'guardrail').map((f) => f.evidence.withheld).sort()).toEqual(['run-guest-fix', 'trigger-backup']);
  });

  it('a backup already running: no write', () => {
    const d = { ...diagnosis(), backupInProgress: true };
    const item = plan('ExtensionFailedVssWriterInBadState', d, { guestFixCodes: ['ExtensionFailedVssWriterInBadState'] });
    expect(item.actions).toEqual([]);
    expect(item.findings.map((f) => f.kind)).toContain('backup-in-progress');
  });
});
