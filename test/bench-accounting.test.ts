// bench/run.ts ties every write request the emulator served to the report action that made it;
// bench/bounds.ts counts the request lower bound and fingerprints what a run proposed or did.
import { digest, planFingerprint, requestLowerBound } from '../bench/bounds';
import { accountWrites, writeOf } from '../bench/run';
import type { RunReport, PlannedAction, PlanItem } from '../lib/types';

const VM = '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1';
const EXT = `${VM}/extensions/VMSnapshot`;
const RPC = '/subscriptions/s1/resourceGroups/AzureBackupRG_1/providers/Microsoft.Compute/restorePointCollections/AzureBackup_vm1';
const ITEM = '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainerv2;rg;vm1/protectedItems/VM;iaasvmcontainerv2;rg;vm1';

const rec = (method: string, path: string, category: 'read' | 'write' | 'delete', status = 200) =>
  ({ method, path, query: '', status, durationMs: 1, category, throttled: false, faulted: false, at: '' });
const act = (kind: PlannedAction['kind'], target: string, status: PlannedAction['status']): PlannedAction =>
  ({ kind, target, method: kind === 'trigger-backup' ? 'POST' : 'DELETE', reason: '', evidence: {}, status });
const report = (actions: PlannedAction[]): RunReport =>
  ({ schemaVersion: 1, mode: 'apply', runId: 'r', startedAt: '', finishedAt: '', summary: {}, items: [{ vmId: VM, jobId: 'j', failure: { code: 'x', signals: [] }, actions, findings: [] }] });

test('writeOf maps write requests to the action kind and target', () => {
  expect(writeOf({ method: 'DELETE', path: EXT })).toEqual({ kind: 'remove-snapshot-extension', target: EXT.toLowerCase() });
  expect(writeOf({ method: 'DELETE', path: RPC })).toEqual({ kind: 'delete-restore-point-collection', target: RPC.toLowerCase() });
  expect(writeOf({ method: 'POST', path: `${ITEM}/backup` })).toEqual({ kind: 'trigger-backup', target: ITEM.toLowerCase() });
  expect(writeOf({ method: 'PUT', path: VM }).kind).toBe('other PUT');
});

test('applied and ARM-refused writes are accounted for; retries count once; the rest is flagged', () => {
  const records = [rec('DELETE', EXT, 'delete', 409), rec('DELETE', RPC, 'delete', 503), rec('DELETE', RPC, 'delete', 202), rec('GET', VM, 'read'), rec('PUT', VM, 'write')];
  const a = accountWrites(report([act('delete-restore-point-collection', RPC, 'applied'), act('remove-snapshot-extension', EXT, 'failed'), act('trigger-backup', ITEM, 'applied')]), records);
  expect(a.issued).toEqual({ 'remove-snapshot-extension': 1, 'delete-restore-point-collection': 1, 'other PUT': 1 });
  expect(a.reported).toEqual({ 'delete-restore-point-collection applied': 1, 'remove-snapshot-extension failed': 1, 'trigger-backup applied': 1 });
  expect(a.unaccounted).toEqual([`other PUT ${VM.toLowerCase()}`]);
  expect(a.unseen).toEqual([`trigger-backup ${ITEM.toLowerCase()}`]);
});

test('the request lower bound counts what no client can skip, and apply adds each write it made', () => {
  const vm2 = VM.replace('vm1', 'vm2').replace('/s1/', '/s2/');
  const r = report([act('delete-restore-point-collection', RPC, 'applied'), act('trigger-backup', ITEM, 'applied')]);
  r.items[0]!.failure.code = 'UserErrorRpCollectionLimitReached';
  r.items[0]!.vaultId = '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v';
  r.items.push({ vmId: vm2, jobId: 'j2', failure: { code: 'Unclassified', signals: [] }, actions: [], findings: [] });
  const allowedActions = ['remove-snapshot-extension', 'delete-restore-point-collection', 'trigger-backup'];
  const plan = requestLowerBound({ ...r, mode: 'plan' }, { rowsLackDetails: true, allowedActions });
  expect(plan.parts).toEqual({
    'Resource Graph pages (failed items)': 1,
    'job details (rows without errorDetails)': 2,
    'VM reads': 2,
    'resource-group lists + lock lists (per subscription)': 4,
    'collection query': 1,
    'restore points of VMs at the limit': 1,
    'effective security rules + routes (VMs whose network check needs them)': 0,
    'running backups (one Resource Graph query, if a write is proposed)': 1,
  });
  // The network check's two effective-* reads are counted when the report shows the check ran: its
  // finding, or a write planned without a finding saying it could not apply; never on a guess.
  const vm3 = VM.replace('vm1', 'vm3');
  const NET = 'effective security rules + routes (VMs whose network check needs them)';
  const f = (kind: string) => ({ kind, message: '', evidence: {} }) as PlanItem['findings'][number];
  const net = (code: string, findings: PlanItem['findings'], actions: PlannedAction[] = []): number =>
    requestLowerBound({ ...r, mode: 'plan', items: [...r.items, { vmId: vm3, jobId: 'j3', failure: { code, signals: [] }, actions, findings }] }, { rowsLackDetails: true, allowedActions }).parts[NET]!;
  expect(net('ExtensionSnapshotFailedNoNetwork', [f('no-outbound-connectivity')])).toBe(2);
  expect(net('ExtensionSnapshotFailedNoNetwork', [f('report-only-error')])).toBe(0);
  expect(net('BackUpOperationFailed', [], [act('trigger-backup', ITEM, 'proposed')])).toBe(2);
  expect(net('BackUpOperationFailed', [f('agent-not-ready')], [act('trigger-backup', ITEM, 'proposed')])).toBe(0);
  expect(net('BackUpOperationFailed', [], [act('remove-snapshot-extension', EXT, 'proposed'), act('trigger-backup', ITEM, 'proposed')])).toBe(0);
  expect(net('UserErrorRpCollectionLimitReached', [], [act('trigger-backup', ITEM, 'proposed')])).toBe(0);
  const apply = requestLowerBound(r, { rowsLackDetails: false, allowedActions });
  // Without job details; with the two writes and the vault's fresh running-backup read before them.
  expect(apply.total).toBe(plan.total - 2 + 3 + 4 + 1);
  expect(apply.parts['running backups read fresh at the first write (per vault with one)']).toBe(1);
  // A write refused before it reached ARM needs no fresh read in the bound; nothing proposed, no Graph query either.
  const refused = { ...r, items: [{ ...r.items[0]!, actions: r.items[0]!.actions.map((a) => ({ ...a, status: 'blocked' as const })) }] };
  expect(requestLowerBound(refused, { rowsLackDetails: false, allowedActions }).parts['running backups read fresh at the first write (per vault with one)']).toBe(0);
  expect(requestLowerBound({ ...r, mode: 'plan', items: [r.items[1]!] }, { rowsLackDetails: false, allowedActions }).parts['running backups (one Resource Graph query, if a write is proposed)']).toBe(0);
  // The fingerprint does not depend on report order; a changed action changes the digest.
  const fp = planFingerprint(r);
  expect(planFingerprint({ ...r, items: [...r.items].reverse() })).toEqual(fp);
  r.items[0]!.actions[1]!.status = 'failed';
  expect(digest(planFingerprint(r))).not.toBe(digest(fp));
});
