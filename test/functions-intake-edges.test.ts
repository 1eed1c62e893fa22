// Intake edges found in review: a job in another subscription named next to an in-scope VM, and
// VM-only hints when REMEDIATION_COOLDOWN is 0 (a valid setting).

import { alertWebhook } from '../functions/alert-webhook';
import { eventGridIntake } from '../functions/event-grid';
import { useAzurite } from './helpers/azurite';
import { context, functionsEnv, post, type FunctionsEnv } from './helpers/functions';
import { failedJob, ids, oneVaultEstate, RG, SUB, VAULT, vmSpec } from './helpers/harness';

const azurite = useAzurite();
const OTHER_SUB = '99999999-9999-4999-8999-999999999999';
const VM = ids.vm(SUB, RG, 'vm-a');
const JOB = '00000000-0000-4000-8000-0000000000a1';
const stuck = { name: 'VMSnapshot', publisher: 'Microsoft.Azure.RecoveryServices', type: 'VMSnapshot', provisioningState: 'Failed' };
const estate = () =>
  oneVaultEstate({ vms: [vmSpec('vm-a', { extensions: [stuck] })], jobs: [failedJob(JOB, 'vm-a', 'ExtensionOperationFailedForManagedDisks')] });

const eg = (id: string, data: unknown) => ({ id, eventType: 'Contoso.Backup.Failed', subject: 'vm-a', eventTime: '2026-11-20T05:00:00Z', dataVersion: '1', data });

describe('intake edges', () => {
  let env: FunctionsEnv | undefined;
  afterEach(async () => {
    await env?.stop();
    env = undefined;
  });

  it('a hint naming an in-scope VM and a job in another subscription is refused before any ARM request', async () => {
    env = await functionsEnv(estate(), azurite(), { mode: 'apply' });
    env.emu.requests.reset();
    const otherVault = ids.vault(OTHER_SUB, RG, VAULT);
    const result = await eventGridIntake(eg('e-x1', { vmId: VM, jobId: JOB, vaultId: otherVault }), context('eventGridIntake'));
    expect(result).toBeUndefined();
    const rejected = await env.rt.ledger.failures('event-rejected');
    expect(rejected).toHaveLength(1);
    expect(rejected[0].reason).toContain(OTHER_SUB);
    const full = await eventGridIntake(eg('e-x2', { vmId: VM, jobId: `${otherVault}/backupJobs/${JOB}` }), context('eventGridIntake'));
    expect(full).toBeUndefined();
    expect(await env.rt.ledger.failures('event-rejected')).toHaveLength(2);
    expect(env.armRequests()).toEqual([]);
  });

  it('with REMEDIATION_COOLDOWN=0 a VM-only hint is handled (not a 5xx) and its duplicates still act once', async () => {
    env = await functionsEnv(estate(), azurite(), { mode: 'apply', cooldownMs: 0 });
    const first = await eventGridIntake(eg('e-1', { vmId: VM }), context('eventGridIntake'));
    expect(first).toEqual(expect.objectContaining({ outcome: 'handled' }));
    const again = await eventGridIntake(eg('e-1', { vmId: VM }), context('eventGridIntake'));
    expect(again).toEqual(expect.objectContaining({ outcome: 'duplicate' }));
    const backups = env.writes().filter((w) => w.method === 'POST' && /\/backup$/i.test(w.path) && w.status === 202);
    expect(backups).toHaveLength(1);
    // The webhook path: a 2xx, never a 502.
    const res = await alertWebhook(post('alerts', JSON.stringify({
      schemaId: 'azureMonitorCommonAlertSchema',
      data: {
        essentials: { alertId: 'a-1', monitoringService: 'Azure Backup', monitorCondition: 'Fired' },
        alertContext: { protectedItemId: ids.protectedItem(SUB, RG, VAULT, RG, 'vm-a'), sourceType: 'AzureVM' },
      },
    })), context('alertWebhook'));
    expect(res.status).toBeLessThan(300);
  });
});
