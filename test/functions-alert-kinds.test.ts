// Every alert kind an operator can point at the app (issue 18), in the common alert schema as
// Azure Monitor sends it (shapes from Microsoft's documented samples: metric alerts with
// alertContext.condition.allOf[].dimensions, Log Alerts V2 with LogQueryCriteria), through the
// webhook, Event Grid and CloudEvents. Each ends in the right VM's plan or a recorded reason.

import { alertWebhook } from '../functions/alert-webhook';
import { eventGridIntake } from '../functions/event-grid';
import { sameId } from '../lib/arm/ids';
import { useAzurite } from './helpers/azurite';
import { context, functionsEnv, post, type FunctionsEnv } from './helpers/functions';
import { failedJob, ids, oneVaultEstate, RG, SUB, VAULT, vmSpec } from './helpers/harness';

const azurite = useAzurite();
const VM = ids.vm(SUB, RG, 'vm-a');
const VAULT_ID = ids.vault(SUB, RG, VAULT);
const WORKSPACE = `/subscriptions/${SUB}/resourcegroups/rg-ops/providers/microsoft.operationalinsights/workspaces/law-ops`;

/** vm-a has a failed backup; vm-dup is protected twice by the same vault (rg-app and rg-two). */
function estate() {
  const e = oneVaultEstate({
    vms: [vmSpec('vm-a'), vmSpec('vm-dup')],
    jobs: [failedJob('00000000-0000-4000-8000-0000000000a1', 'vm-a', 'ExtensionOperationFailedForManagedDisks')],
  });
  const dup2 = ids.vm(SUB, 'rg-two', 'vm-dup');
  (e.subscriptions[0].resourceGroups[0].vaults[0].protectedItems as unknown[]).push({ vmId: dup2, policy: 'DefaultPolicy' });
  e.subscriptions[0].resourceGroups.push({ name: 'rg-two', location: 'westeurope', tags: {}, locks: [], virtualMachines: [vmSpec('vm-dup')], restorePointCollections: [], vaults: [] } as never);
  return e;
}

let seq = 0;
const essentials = (over: Record<string, unknown>) => ({
  alertId: `/subscriptions/${SUB}/providers/Microsoft.AlertsManagement/alerts/00000000-0000-4000-8000-${String(++seq).padStart(12, '0')}`,
  severity: 'Sev2',
  firedDateTime: '2026-11-20T05:00:00.000Z',
  essentialsVersion: '1.0',
  alertContextVersion: '1.0',
  ...over,
});

/** A metric alert rule on the vault's Backup Health Events metric, split by dataSourceURL. */
function healthMetric(condition: 'Fired' | 'Resolved', dataSourceURL = VM.toLowerCase(), healthStatus = 'Persistent Unhealthy') {
  return {
    schemaId: 'azureMonitorCommonAlertSchema',
    data: {
      essentials: essentials({
        alertRule: 'backup-health', signalType: 'Metric', monitorCondition: condition, monitoringService: 'Platform',
        alertTargetIDs: [VAULT_ID.toLowerCase()], configurationItems: [VAULT],
        originAlertId: `${SUB}_rg-app_microsoft.insights_metricAlerts_backup-health_1`,
      }),
      alertContext: {
        properties: null,
        conditionType: 'SingleResourceMultipleMetricCriteria',
        condition: {
          windowSize: 'PT15M',
          allOf: [{
            metricName: 'BackupHealthEvent', metricNamespace: 'Microsoft.RecoveryServices/vaults', operator: 'GreaterThan', threshold: '0',
            timeAggregation: 'Count', metricValue: 1, webTestName: null,
            dimensions: [
              { name: 'dataSourceURL', value: dataSourceURL },
              { name: 'dataSourceType', value: 'Microsoft.Compute/virtualMachines' },
              { name: 'healthStatus', value: healthStatus },
              { name: 'backupInstanceName', value: 'vm-a' },
            ],
          }],
          windowStartTime: '2026-11-20T04:45:00.000Z',
          windowEndTime: '2026-11-20T05:00:00.000Z',
        },
      },
      customProperties: null,
    },
  };
}

/** A Log Alerts V2 rule over the workspace's backup diagnostics, split by item name and vault. */
function logSearch(condition: 'Fired' | 'Resolved', name = 'vm-a', vault: string | null = VAULT_ID.toLowerCase()) {
  const dims = [{ name: 'BackupItemFriendlyName', value: name }, ...(vault ? [{ name: 'ResourceId', value: vault }] : [])];
  return {
    schemaId: 'azureMonitorCommonAlertSchema',
    data: {
      essentials: essentials({
        alertRule: 'backup-jobs-failed', signalType: 'Log', monitorCondition: condition, monitoringService: 'Log Alerts V2',
        alertTargetIDs: [WORKSPACE], configurationItems: [WORKSPACE], originAlertId: 'log-1',
      }),
      alertContext: {
        properties: {},
        conditionType: 'LogQueryCriteria',
        condition: {
          windowSize: 'PT1H',
          allOf: [{
            searchQuery: 'AddonAzureBackupJobs | where JobStatus == "Failed" | join CoreAzureBackup on BackupItemUniqueId',
            metricMeasureColumn: null, targetResourceTypes: "['Microsoft.OperationalInsights/workspaces']",
            operator: 'GreaterThan', threshold: '0', timeAggregation: 'Count', dimensions: dims, metricValue: 1,
            failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 },
          }],
          windowStartTime: '2026-11-20T04:00:00.000Z',
          windowEndTime: '2026-11-20T05:00:00.000Z',
        },
      },
      customProperties: null,
    },
  };
}

/** The built-in alert, with the casing real payloads mix: lower-cased target, mixed-case item. */
function backupFailure(condition: 'Fired' | 'Resolved') {
  return {
    schemaId: 'azureMonitorCommonAlertSchema',
    data: {
      essentials: essentials({ alertRule: 'Backup Failure', signalType: 'Log', monitorCondition: condition, monitoringService: 'Azure Backup', alertTargetIDs: [VAULT_ID.toLowerCase()] }),
      alertContext: { protectedItemId: ids.protectedItem(SUB, 'RG-App', VAULT, 'RG-App', 'vm-a'), linkedResourceId: VM.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/'), sourceType: 'AzureVM' },
    },
  };
}

const activityLog = () => ({
  schemaId: 'azureMonitorCommonAlertSchema',
  data: {
    essentials: essentials({ alertRule: 'vm-deleted', signalType: 'Activity Log', monitorCondition: 'Fired', monitoringService: 'Activity Log - Administrative', alertTargetIDs: [VM.toLowerCase()] }),
    alertContext: { authorization: { action: 'Microsoft.Compute/virtualMachines/delete', scope: VM }, operationName: 'Microsoft.Compute/virtualMachines/delete', status: 'Succeeded' },
  },
});

type Channel = 'webhook' | 'eventgrid' | 'cloudevents';
async function send(channel: Channel, payload: unknown): Promise<any> {
  if (channel === 'webhook') {
    const res = await alertWebhook(post('alerts', JSON.stringify(payload)), context('alertWebhook'));
    expect(res.status).toBeLessThan(300);
    return res.jsonBody;
  }
  const id = `evt-${++seq}`;
  const event = channel === 'eventgrid'
    ? { id, eventType: 'Microsoft.Insights.Alert', subject: 'alert', eventTime: '2026-11-20T05:00:00Z', dataVersion: '1', data: payload }
    : { specversion: '1.0', id, type: 'Microsoft.Insights.Alert', source: '/alerts', data: payload };
  return eventGridIntake(event, context('eventGridIntake'));
}

const CHANNELS: Channel[] = ['webhook', 'eventgrid', 'cloudevents'];

describe('alert kinds', () => {
  let env: FunctionsEnv;
  beforeAll(async () => {
    env = await functionsEnv(estate(), azurite(), { mode: 'dry-run' });
  });
  afterAll(async () => env.stop());

  const plannedVm = (result: any) => {
    expect(result.outcome).toBe('handled');
    expect(result.report.items).toHaveLength(1);
    return result.report.items[0].vmId as string;
  };

  it.each(CHANNELS)('Backup Health metric alert (Fired) via %s: the VM of dataSourceURL is planned, in ARM\'s casing', async (channel) => {
    const vmId = plannedVm(await send(channel, healthMetric('Fired')));
    expect(sameId(vmId, VM)).toBe(true);
    expect(vmId).toBe(VM);
  });

  it.each(CHANNELS)('log search alert (Fired) via %s: the display name is resolved through the named vault', async (channel) => {
    expect(sameId(plannedVm(await send(channel, logSearch('Fired'))), VM)).toBe(true);
  });

  it.each(CHANNELS)('built-in Backup Failure with mixed casing via %s: the same VM', async (channel) => {
    expect(sameId(plannedVm(await send(channel, backupFailure('Fired'))), VM)).toBe(true);
  });

  const ignored: [string, () => unknown, string, RegExp][] = [
    ['Backup Health metric, Resolved', () => healthMetric('Resolved'), 'backup-health-metric', /Resolved/],
    ['Backup Health metric, healthy item', () => healthMetric('Fired', VM, 'Healthy'), 'backup-health-metric', /healthy/],
    ['Backup Health metric for a storage account', () => healthMetric('Fired', `/subscriptions/${SUB}/resourceGroups/rg-app/providers/Microsoft.Storage/storageAccounts/sa1`), 'backup-health-metric', /not an Azure VM/],
    ['log search, Resolved', () => logSearch('Resolved'), 'log-search', /Resolved/],
    ['log search naming a VM protected twice in the vault', () => logSearch('Fired', 'vm-dup'), 'log-search', /ambiguous: 2 VMs named 'vm-dup'/],
    ['log search naming a VM the vault does not protect', () => logSearch('Fired', 'vm-zzz'), 'log-search', /no Azure VM named 'vm-zzz'/],
    ['log search without a vault', () => logSearch('Fired', 'vm-a', null), 'log-search', /does not name a vault/],
    ['built-in Backup Failure, Resolved', () => backupFailure('Resolved'), 'backup-failure', /Resolved/],
    ['activity log alert', activityLog, 'other', /not handled/],
  ];

  it.each(ignored)('%s: acknowledged and recorded in the ledger with its kind and reason', async (_n, payload, kind, reason) => {
    for (const channel of CHANNELS) {
      const before = (await env.rt.ledger.failures('intake-ignored')).length;
      const result = await send(channel, payload());
      expect(result.outcome).toBe('ignored');
      const rows = await env.rt.ledger.failures('intake-ignored');
      expect(rows).toHaveLength(before + 1);
      expect(rows[rows.length - 1].reason).toMatch(reason);
      expect(rows[rows.length - 1].payload).toMatchObject({ alertKind: kind });
    }
  });

  it('nothing above wrote to ARM (dry-run)', () => {
    expect(env.writes()).toEqual([]);
  });
});
