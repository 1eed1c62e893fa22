// A corpus of bad inputs sent to every externally reachable trigger, the way the host delivers them.
// Each gets the right 4xx (HTTP) or a recorded rejection / logged ignore (events, queue), and the
// whole corpus causes zero ARM calls of any kind, let alone writes.

import { readFileSync } from 'node:fs';
import { alertWebhook } from '../functions/alert-webhook';
import { eventGridIntake } from '../functions/event-grid';
import { getRun, remediate } from '../functions/http';
import { remediateVm, remediateVmPoison } from '../functions/queue';
import { useAzurite } from './helpers/azurite';
import { context, functionsEnv, get, post, type FunctionsEnv } from './helpers/functions';
import { failedJob, ids, oneVaultEstate, RG, SUB, VAULT, vmSpec } from './helpers/harness';

const azurite = useAzurite();
const OTHER_SUB = '99999999-9999-4999-8999-999999999999';
const VM = ids.vm(SUB, RG, 'vm-a');
const ITEM = ids.protectedItem(SUB, RG, VAULT, RG, 'vm-a');
const VAULT_ID = ids.vault(SUB, RG, VAULT);

const estate = oneVaultEstate({
  vms: [vmSpec('vm-a', { extensions: [{ name: 'VMSnapshot', publisher: 'Microsoft.Azure.RecoveryServices', type: 'VMSnapshot', provisioningState: 'Failed' }] })],
  jobs: [failedJob('00000000-0000-4000-8000-0000000000a1', 'vm-a', 'ExtensionOperationFailedForManagedDisks')],
});

/** A valid Azure Backup alert for vm-a, to be broken one field at a time. */
function alert(mutate: (a: any) => void = () => undefined): any {
  const a = {
    schemaId: 'azureMonitorCommonAlertSchema',
    data: {
      essentials: {
        alertId: `/subscriptions/${SUB}/providers/Microsoft.AlertsManagement/alerts/11111111-0000-4000-8000-000000000001`,
        alertRule: 'Backup Failure',
        monitoringService: 'Azure Backup',
        monitorCondition: 'Fired',
        alertTargetIDs: [VAULT_ID.toLowerCase()],
      },
      alertContext: {
        protectedItemId: ITEM,
        linkedResourceId: VM,
        sourceType: 'AzureVM',
        extendedInfo: { jobId: '00000000-0000-4000-8000-0000000000a1' },
      },
    },
  };
  mutate(a);
  return a;
}

const eg = (data: unknown, extra: Record<string, unknown> = {}) => ({
  id: 'evt-1', eventType: 'Contoso.Backup.Failed', subject: 'vm-a', eventTime: '2026-11-20T05:00:00Z', dataVersion: '1', data, ...extra,
});

interface HttpCase { name: string; body: string; status: number; headers?: Record<string, string> }

const vmIdCases: [string, unknown, number][] = [
  ['path traversal', `${VM}/../../virtualMachines/vm-b`, 400],
  ['encoded slash', `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachines/vm-a%2F..%2Fvm-b`, 400],
  ['query string', `${VM}?api-version=2024-01-01`, 400],
  ['fragment', `${VM}#x`, 400],
  ['other resource type', `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Storage/storageAccounts/sa1`, 400],
  ['child resource', `${VM}/extensions/VMSnapshot`, 400],
  ['vault instead of VM', VAULT_ID, 400],
  ['non-GUID subscription', `/subscriptions/prod/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachines/vm-a`, 400],
  ['no leading slash', VM.slice(1), 400],
  ['embedded newline', `${VM}\n`, 400],
  ['number', 42, 400],
  ['null', null, 400],
  ['other subscription', ids.vm(OTHER_SUB, RG, 'vm-a'), 403],
];

const httpCases: HttpCase[] = [
  { name: 'malformed JSON', body: '{"vmId":', status: 400 },
  { name: 'empty body', body: '', status: 400 },
  { name: 'JSON array', body: '[]', status: 400 },
  { name: 'JSON string', body: '"vm-a"', status: 400 },
  { name: 'missing vmId', body: '{}', status: 400 },
  { name: 'unknown mode', body: JSON.stringify({ vmId: VM, mode: 'delete' }), status: 400 },
  { name: 'mode null', body: JSON.stringify({ vmId: VM, mode: null }), status: 400 },
  { name: 'unexpected field', body: JSON.stringify({ vmId: VM, force: true }), status: 400 },
  { name: 'apply while the app is dry-run', body: JSON.stringify({ vmId: VM, mode: 'apply' }), status: 403 },
  { name: 'huge body', body: JSON.stringify({ vmId: VM, pad: 'x'.repeat(100_000) }), status: 413 },
  { name: 'huge declared length', body: JSON.stringify({ vmId: VM }), status: 413, headers: { 'content-length': String(10 * 1024 * 1024) } },
  ...vmIdCases.map(([name, vmId, status]) => ({ name: `vmId: ${name}`, body: JSON.stringify({ vmId }), status })),
];

const alertCases: [string, unknown, number][] = [
  ['not an alert', { foo: 1 }, 400],
  ['other alert schema', { schemaId: 'Microsoft.Insights/activityLogs', data: {} }, 400],
  ['no essentials', { schemaId: 'azureMonitorCommonAlertSchema', data: {} }, 400],
  ['protected item with path tricks', alert((a) => (a.data.alertContext.protectedItemId = `${ITEM}/../../x`)), 400],
  ['linked VM differs from the item', alert((a) => (a.data.alertContext.linkedResourceId = ids.vm(SUB, RG, 'vm-b'))), 400],
  ['job id that is not a GUID', alert((a) => (a.data.alertContext.extendedInfo.jobId = '../../etc')), 400],
  ['out-of-scope subscription', alert((a) => {
    a.data.alertContext.protectedItemId = ITEM.replace(SUB, OTHER_SUB);
    a.data.alertContext.linkedResourceId = VM.replace(SUB, OTHER_SUB);
  }), 403],
  // Acknowledged and ignored (202), never acted on:
  ['resolved alert', alert((a) => (a.data.essentials.monitorCondition = 'Resolved')), 202],
  ['not Azure Backup', alert((a) => (a.data.essentials.monitoringService = 'Platform')), 202],
  ['SQL workload in a VM', JSON.parse(readFileSync(`${__dirname}/fixtures/alerts/sql-workload-alert.json`, 'utf8')), 202],
];

const eventCases: [string, unknown, 'rejected' | 'ignored'][] = [
  ['a bare string', 'vm-a', 'rejected'],
  ['Event Grid event without eventType', { id: 'e', subject: 's', data: { vmId: VM } }, 'rejected'],
  ['CloudEvents 0.3', { specversion: '0.3', id: 'e', type: 't', source: 's', data: { vmId: VM } }, 'rejected'],
  ['CloudEvent without source', { specversion: '1.0', id: 'e', type: 't', data: { vmId: VM } }, 'rejected'],
  ['data null', eg(null), 'rejected'],
  ['data with an unexpected field', eg({ vmId: VM, extra: 1 }), 'rejected'],
  ['vmId naming a vault', eg({ vmId: VAULT_ID }), 'rejected'],
  ['jobId without its vault', eg({ jobId: '00000000-0000-4000-8000-0000000000a1' }), 'rejected'],
  ['empty data', eg({}), 'rejected'],
  ['subscription validation', eg({ validationCode: 'x' }, { eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent' }), 'ignored'],
  ['alert for another service (CloudEvent)', { specversion: '1.0', id: 'e2', type: 'alert', source: 's', data: alert((a) => (a.data.essentials.monitoringService = 'Log Analytics')) }, 'ignored'],
];

describe('bad input never reaches ARM', () => {
  let env: FunctionsEnv;
  beforeAll(async () => {
    env = await functionsEnv(estate, azurite(), { mode: 'dry-run' });
    env.emu.requests.reset();
  });
  afterAll(async () => {
    // The corpus as a whole: not one ARM request, not one write.
    expect(env.armRequests()).toEqual([]);
    expect(env.writes()).toEqual([]);
    await env.stop();
  });

  it('has at least 30 cases', () => {
    expect(httpCases.length + alertCases.length + eventCases.length + 2 + 1).toBeGreaterThanOrEqual(30);
  });

  it.each(httpCases.map((c) => [c.name, c] as const))('POST /api/remediate: %s', async (_name, c) => {
    const res = await remediate(post('remediate', c.body, c.headers), context('remediate'));
    expect(res.status).toBe(c.status);
    expect((res.jsonBody as any).error.message).toEqual(expect.any(String));
    expect(env.armRequests()).toEqual([]);
  });

  it.each(alertCases)('POST /api/alerts: %s', async (_name, body, status) => {
    const res = await alertWebhook(post('alerts', JSON.stringify(body)), context('alertWebhook'));
    expect(res.status).toBe(status);
    if (status === 202) expect((res.jsonBody as any).outcome).toBe('ignored');
    expect(env.armRequests()).toEqual([]);
  });

  it.each([
    ['path traversal', '../../etc/passwd', 400],
    ['unknown run', '2b0c2d9e-0000-4000-8000-000000000000', 404],
  ] as const)('GET /api/runs/{runId}: %s', async (_name, runId, status) => {
    const res = await getRun(get('runs', { runId }), context('getRun'));
    expect(res.status).toBe(status);
  });

  it.each(eventCases)('Event Grid: %s', async (_name, event, outcome) => {
    const before = (await env.rt.ledger.failures('event-rejected')).length;
    const result = await eventGridIntake(event, context('eventGridIntake'));
    const after = (await env.rt.ledger.failures('event-rejected')).length;
    if (outcome === 'rejected') {
      expect(result).toBeUndefined();
      expect(after).toBe(before + 1);
    } else {
      expect(result).toEqual(expect.objectContaining({ outcome: 'ignored' }));
      expect(after).toBe(before);
    }
    expect(env.armRequests()).toEqual([]);
  });

  it('queue: a malformed message is recorded and parked in the poison queue, not retried', async () => {
    const result = await remediateVm({ vmId: `${VM}/../x` }, context('remediateVm', { dequeueCount: 1 }));
    expect(result).toBeUndefined();
    const failures = await env.rt.ledger.failures('queue-rejected');
    expect(failures).toHaveLength(1);
    expect(failures[0].reason).toMatch(/vmId/);
    expect(await env.rt.queue.poison.count()).toBe(1);
  });

  it('queue: an out-of-scope VM is rejected at once (no retries), and the parked message is recorded only once', async () => {
    const result = await remediateVm({ vmId: ids.vm(OTHER_SUB, RG, 'vm-a') }, context('remediateVm', { dequeueCount: 1 }));
    expect(result).toBeUndefined();
    const rejected = await env.rt.ledger.failures('queue-rejected');
    expect(rejected.map((f) => f.reason)).toEqual([expect.stringMatching(/vmId/), expect.stringMatching(/not in REMEDIATION_SUBSCRIPTIONS/)]);
    // The host's poison trigger then sees both parked messages: nothing new is recorded for them.
    for (const m of await env.rt.queue.poison.receive(10)) await remediateVmPoison(m.body, context('remediateVmPoison'));
    expect(await env.rt.ledger.failures('poison')).toEqual([]);
  });
});
