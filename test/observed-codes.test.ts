// Numeric error codes: an undocumented integer never blocks classification by message, a documented one
// classifies alone, and every (number, message, classification) a run sees lands in its report and in
// the ledger (emulated ARM over HTTPS, Azurite for the ledger).
import { failedJob, oneVaultEstate, useHarness, vmSpec } from './helpers/harness';
import { observedCodes, summarizeObservedCodes } from '../lib/ledger/observed-codes';
import { renderReport } from '../lib/report';
import { validateRunReport } from './helpers/run-report-schema';
import type { PlanItem } from '../lib/types';

const env = useHarness();

const estate = () =>
  oneVaultEstate({
    vms: [vmSpec('web1'), vmSpec('web2'), vmSpec('web3')],
    jobs: [
      failedJob('job-1', 'web1', 400236, { errorDetails: [{ errorCode: 400236, errorTitle: '', errorString: 'VM is in Failed Provisioning State', recommendations: [] }] }),
      failedJob('job-2', 'web2', 380008),
      failedJob('job-3', 'web3', 555001, { errorDetails: [{ errorCode: 555001, errorTitle: '', errorString: 'Something nobody documented went wrong', recommendations: [] }] }),
    ],
  });

describe('observed numeric error codes', () => {
  test('a plan run reads each job right, reports every number it saw and records it in the ledger', async () => {
    const e = await env(estate());
    const report = await e.run('plan');
    const byVm = Object.fromEntries(report.items.map((i) => [i.vmId.split('/').pop(), i.failure.code]));
    // The undocumented 400236 did not block the message; 380008 is documented and classifies alone;
    // 555001 with an unknown message stays Unclassified.
    expect(byVm).toEqual({ web1: 'UserErrorVmProvisioningStateFailed', web2: 'AzureVmOffline', web3: 'Unclassified' });
    expect(report.observedCodes).toEqual([
      { code: 380008, classification: 'AzureVmOffline', documented: true, count: 1 },
      { code: 400236, classification: 'UserErrorVmProvisioningStateFailed', documented: false, count: 1, message: 'VM is in Failed Provisioning State' },
      { code: 555001, classification: 'Unclassified', documented: false, count: 1, message: 'Something nobody documented went wrong' },
    ]);
    expect(validateRunReport(report)).toEqual({ valid: true, errors: [] });
    expect(e.writes()).toEqual([]);

    await e.run('plan');
    const rows = await e.ledger.observedCodes!();
    expect(rows.map((r) => [r.code, r.classification, r.documented, r.count])).toEqual([
      [380008, 'AzureVmOffline', true, 2],
      [400236, 'UserErrorVmProvisioningStateFailed', false, 2],
      [555001, 'Unclassified', false, 2],
    ]);
    expect(rows[1].message).toBe('VM is in Failed Provisioning State');
    expect(rows.every((r) => r.lastSeen.getTime() >= r.firstSeen.getTime() && r.lastRunId.length > 0)).toBe(true);
  }, 120000);

  test('the table and Markdown reports show the summary; a run without numbers shows none', async () => {
    const e = await env(estate());
    const report = await e.run('plan');
    const table = renderReport(report, 'table', { width: 200 });
    expect(table).toContain('Observed error codes (3):');
    expect(table).toContain('400236 -> UserErrorVmProvisioningStateFailed (not documented: read from its message), 1 job(s)');
    expect(table).toContain('380008 -> AzureVmOffline (documented), 1 job(s)');
    const md = renderReport(report, 'markdown');
    expect(md).toContain('### Observed error codes');
    expect(md).toContain('| 555001 | Unclassified | no | 1 | Something nobody documented went wrong |');
    expect(renderReport({ ...report, observedCodes: undefined }, 'table')).not.toContain('Observed error codes');
  }, 120000);

  test('summaries count jobs per (number, classification) and never invent a number', () => {
    const item = (code: string, signals: PlanItem['failure']['signals']): PlanItem =>
      ({ vmId: 'v', jobId: 'j', vaultId: 'x', failure: { code, signals, automation: 'report-only' }, actions: [], findings: [] }) as PlanItem;
    const items = [
      item('BackUpOperationFailed', [{ source: 'errorString', value: 'Backup failed with an internal error - Please retry the operation in a few minutes' }, { source: 'errorCode', value: '400001' }]),
      item('BackUpOperationFailed', [{ source: 'errorCode', value: '400001' }]),
      item('ExtensionOperationFailed', [{ source: 'errorCode', value: 'ExtensionOperationFailed', matched: { by: 'symbolic', code: 'ExtensionOperationFailed' } }]),
    ];
    expect(observedCodes(items)).toHaveLength(2);
    expect(summarizeObservedCodes(observedCodes(items))).toEqual([
      { code: 400001, classification: 'BackUpOperationFailed', documented: false, count: 2, message: 'Backup failed with an internal error - Please retry the operation in a few minutes' },
    ]);
  });
});
