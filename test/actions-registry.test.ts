// The action registry: every ActionKind has one module registered under its own kind, every
// registered kind is fixed by a catalogue entry and planned by its own rule on facts that call for
// it, and each module's facts are what diagnosis is asked to read. A kind that is registered but
// can never be planned fails here (the registry's mapped type already fails the build when a kind
// has no module).
import { ACTIONS, actionModule } from '../lib/actions';
import { CATALOGUE } from '../lib/catalogue';
import type { Candidate } from '../lib/discover/types';
import type { Diagnosis } from '../lib/diagnose';
import { diagnoseOptionsFor, factsNeeded, planItem, type PlanOptions } from '../lib/plan';
import { ACTION_KINDS, type ActionKind } from '../lib/types';

const SUB = '11111111-1111-1111-1111-111111111111';
const VM = `/subscriptions/${SUB}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/web1`;
const VAULT = `/subscriptions/${SUB}/resourceGroups/rg-bkp/providers/Microsoft.RecoveryServices/vaults/rsv1`;
const ITEM = `${VAULT}/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainerv2;rg-app;web1/protectedItems/VM;iaasvmcontainerv2;rg-app;web1`;
const RPC = `/subscriptions/${SUB}/resourceGroups/AzureBackupRG_westeurope_1/providers/Microsoft.Compute/restorePointCollections/AzureBackup_web1_1`;

const candidate: Candidate = { vmId: VM, jobId: `${VAULT}/backupJobs/j1`, vaultId: VAULT, protectedItemId: ITEM, job: { status: 'Failed', operation: 'Backup' }, inProgress: false };

/** A VM whose every documented fix applies: failed snapshot extension, 18 points in one unlocked Azure Backup collection. */
const everythingBroken: Diagnosis = {
  vm: { id: VM, exists: true, name: 'web1', resourceGroup: 'rg-app', subscriptionId: SUB, tags: {}, rgTags: {}, powerState: 'running', provisioningState: 'Succeeded', os: 'Windows', uniqueId: '0f1e2d3c-0000-4000-8000-000000000001' },
  agent: { status: 'Ready', version: '2.7.41491.1102' },
  snapshotExtension: { id: `${VM}/extensions/VMSnapshot`, name: 'VMSnapshot', type: 'VMSnapshot', publisher: 'Microsoft.Azure.RecoveryServices', provisioningState: 'Failed', source: 'vm-resources', locks: [] },
  collections: [{ id: RPC, name: 'AzureBackup_web1_1', resourceGroup: 'AzureBackupRG_westeurope_1', sourceId: VM, pointCount: 18, locks: [] }],
  totalPoints: 18,
  protectedItems: [ITEM],
  backupInProgress: false,
  readErrors: [],
};

const opts: PlanOptions = { subscriptions: [SUB], resourceGroups: [], allowedActions: [...ACTION_KINDS], optInCodes: [], backupRetentionDays: 30, now: new Date('2026-11-20T06:00:00Z') };

describe('action registry', () => {
  it.each(ACTION_KINDS)('%s is registered under its own kind, with a method, facts, RBAC operations and a follow-up', (kind) => {
    const mod = actionModule(kind);
    expect(mod.kind).toBe(kind);
    expect(['DELETE', 'POST']).toContain(mod.method);
    expect(mod.permissions.writes.length).toBeGreaterThan(0);
    expect(['verify-triggered-backup', 'next-backup']).toContain(mod.followUp);
    expect(Object.keys(ACTIONS).sort()).toEqual([...ACTION_KINDS].sort());
  });

  it.each(ACTION_KINDS)('%s is fixed by a catalogue entry that may act, and its rule plans it when the facts call for it', (kind) => {
    // A report-only entry may act only through a guest fix its code enables (REMEDIATION_GUEST_FIX_CODES).
    const entries = CATALOGUE.filter((e) => (e.automation !== 'report-only' || e.fixes.includes('run-guest-fix')) && e.fixes.includes(kind));
    expect(entries.length).toBeGreaterThan(0);
    const planned = entries.flatMap((e) => {
      const item = planItem(candidate, { code: e.code, signals: [], automation: e.automation }, everythingBroken, e, { ...opts, optInCodes: [e.code], guestFixCodes: [e.code] });
      return item.actions.filter((a) => a.kind === kind);
    });
    expect(planned.length).toBeGreaterThan(0);
    // The dry-run description is the module's own.
    for (const a of planned) expect(a).toEqual(actionModule(kind).describe({ target: a.target, reason: a.reason, evidence: a.evidence }));
  });

  it.each(ACTION_KINDS)('diagnosis reads the facts %s asks for whenever an entry fixes with it', (kind) => {
    const mod = actionModule(kind);
    for (const e of CATALOGUE.filter((x) => x.fixes.includes(kind))) {
      const facts = factsNeeded(e, ACTION_KINDS);
      for (const f of [...mod.facts, ...(mod.writeFacts ?? [])]) expect(facts).toContain(f);
      const reads = diagnoseOptionsFor(e, { allowedActions: ACTION_KINDS });
      if (mod.facts.includes('extensions')) expect(reads.extension).toBe(true);
      if (mod.facts.includes('restore-points')) expect(reads.collections).toBe(true);
      if (mod.writeFacts?.includes('extension-locks')) expect(reads.extensionLocks).toBe(true);
    }
  });

  it('write-time facts are read only when the kind is allowed', () => {
    const e = CATALOGUE.find((x) => x.fixes.includes('remove-snapshot-extension'))!;
    const without: ActionKind[] = ACTION_KINDS.filter((k) => k !== 'remove-snapshot-extension');
    expect(factsNeeded(e, without).has('extension-locks')).toBe(false);
    expect(factsNeeded(e, ACTION_KINDS).has('extension-locks')).toBe(true);
  });
});
