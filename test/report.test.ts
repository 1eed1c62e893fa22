import { renderJson } from '../lib/report/json';
import { renderMarkdown } from '../lib/report/markdown';
import { renderReport } from '../lib/report';
import { validateRunReport } from './helpers/run-report-schema';
import { FINDING_PHRASES, renderTable, wrapCell } from '../lib/report/table';
import { summaryLine } from '../lib/report/facts';
import type { FindingKind } from '../lib/types';
import type { RunReport } from '../lib/types';

const SUB = '0b1f6471-1bf0-4dda-aec3-111122223333';
const VM_WEB = `/subscriptions/${SUB}/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachines/web1`;
const VM_DB = `/subscriptions/${SUB}/resourceGroups/rg-data/providers/Microsoft.Compute/virtualMachines/db7`;
const VAULT = `/subscriptions/${SUB}/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults/vault-a`;
const ITEM = `${VAULT}/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainerv2;rg-web;web1/protectedItems/VM;iaasvmcontainerv2;rg-web;web1`;
const EXT = `${VM_WEB}/extensions/VMSnapshot`;
const DOC = 'https://learn.microsoft.com/azure/backup/backup-azure-troubleshoot-vm-backup-fails-snapshot-timeout';

function planReport(): RunReport {
  return {
    schemaVersion: 1,
    mode: 'plan',
    runId: 'run-plan-1',
    startedAt: '2026-03-01T10:00:00.000Z',
    finishedAt: '2026-03-01T10:00:02.500Z',
    items: [
      {
        vmId: VM_WEB,
        jobId: `${VAULT}/backupJobs/job-1`,
        vaultId: VAULT,
        protectedItemId: ITEM,
        failure: {
          code: 'ExtensionOperationFailed',
          signals: [{ source: 'errorCode', value: 'ExtentionOperationFailed', matched: { by: 'symbolic', code: 'ExtensionOperationFailed' } }],
          automation: 'auto',
          docUrl: DOC,
        },
        actions: [
          { kind: 'remove-snapshot-extension', target: EXT, method: 'DELETE', reason: 'The VMSnapshot extension is in state Failed; reloading it is the documented fix.', evidence: { provisioningState: 'Failed' } },
          { kind: 'trigger-backup', target: ITEM, method: 'POST', reason: 'Prove the fix with a backup | now.', evidence: { retentionDays: 30 } },
        ],
        findings: [],
      },
      {
        vmId: VM_DB,
        jobId: `${VAULT}/backupJobs/job-2`,
        failure: { code: 'UserErrorGuestAgentStatusUnavailable', signals: [{ source: 'errorCode', value: 'UserErrorGuestAgentStatusUnavailable' }], automation: 'report-only', docUrl: DOC },
        actions: [],
        findings: [
          {
            kind: 'agent-not-ready',
            message: 'The VM agent reports NotReady.',
            evidence: { agentStatus: 'NotReady', agentVersion: '2.7.41491.1010' },
            docUrl: DOC,
            nextStep: 'Sign in to db7 and restart the WindowsAzureGuestAgent service.',
          },
        ],
      },
    ],
    summary: { items: 2, 'actions.proposed': 2, 'findings.agent-not-ready': 1 },
  };
}

function applyReport(): RunReport {
  const r = planReport();
  r.mode = 'apply';
  r.runId = 'run-apply-1';
  r.items[0].actions[0].status = 'applied';
  r.items[0].actions[1].status = 'applied';
  r.items[0].actions[1].result = { jobId: 'job-77' };
  r.items[0].verification = { outcome: 'resolved', jobId: 'job-77', status: 'Completed' };
  r.summary = { items: 2, 'writes.remove-snapshot-extension': 1, 'writes.trigger-backup': 1, 'verification.resolved': 1 };
  return r;
}

describe('json renderer', () => {
  it('prints the RunReport exactly, parseable, with the contract keys first', () => {
    const report = applyReport();
    const text = renderJson(report);
    const parsed = JSON.parse(text);
    expect(parsed).toEqual(report);
    expect(Object.keys(parsed).slice(0, 2)).toEqual(['schemaVersion', 'mode']);
    expect(Object.keys(parsed.items[0]).slice(0, 5)).toEqual(['vmId', 'jobId', 'vaultId', 'protectedItemId', 'failure']);
  });

  it.each([['plan', planReport()], ['apply', applyReport()]])('a %s report validates against the schema', (_n, report) => {
    expect(validateRunReport(JSON.parse(renderJson(report)))).toEqual({ valid: true, errors: [] });
  });

  it('an empty run validates', () => {
    const r = planReport();
    r.items = [];
    expect(validateRunReport(JSON.parse(renderJson(r))).valid).toBe(true);
  });

  it.each<[string, (r: any) => void, string]>([
    ['unknown action kind', (r) => (r.items[0].actions[0].kind = 'delete-lock'), '/items/0/actions/0/kind'],
    ['unknown finding kind', (r) => (r.items[1].findings[0].kind = 'mystery'), '/items/1/findings/0/kind'],
    ['wrong schemaVersion', (r) => (r.schemaVersion = 2), '/schemaVersion'],
    ['wrong mode', (r) => (r.mode = 'dry-run'), '/mode'],
    ['missing failure code', (r) => delete r.items[0].failure.code, '/items/0/failure'],
    ['unexpected property', (r) => (r.items[0].extra = true), '/items/0'],
    ['bad status', (r) => (r.items[0].actions[0].status = 'done'), '/items/0/actions/0/status'],
    ['negative summary count', (r) => (r.summary.items = -1), '/summary/items'],
    ['non-ARM target', (r) => (r.items[0].actions[0].target = 'web1'), '/items/0/actions/0/target'],
    ['bad timestamp', (r) => (r.startedAt = 'yesterday'), '/startedAt'],
  ])('rejects a report with %s', (_n, mutate, path) => {
    const r: any = JSON.parse(renderJson(applyReport()));
    mutate(r);
    const result = validateRunReport(r);
    expect(result.valid).toBe(false);
    expect(result.errors.some((e) => e.startsWith(path))).toBe(true);
  });
});

describe('table renderer', () => {
  it('shows one row per item with VM, code, actions with status, findings and verification, then a summary', () => {
    const text = renderTable(applyReport(), { width: 160 });
    expect(text).not.toMatch(/\u001b\[/); // no colour codes
    const lines = text.split('\n');
    expect(lines[0]).toBe('Run run-apply-1 (apply)');
    const web = lines.findIndex((l) => l.includes('rg-web/web1'));
    const db = lines.findIndex((l) => l.includes('rg-data/db7'));
    expect(web).toBeGreaterThan(0);
    expect(db).toBeGreaterThan(web);
    const webRows = lines.slice(web, db).join('\n');
    expect(webRows).toContain('ExtensionOperationFailed');
    expect(webRows).toContain('remove-snapshot-extension: applied');
    expect(webRows).toContain('trigger-backup: applied');
    expect(webRows).toContain('resolved');
    const dbRows = lines.slice(db).join('\n');
    expect(dbRows).toContain('agent-not-ready');
    expect(dbRows).toContain('UserErrorGuestAgentStatusUnavailable');
    expect(lines.filter(Boolean).pop()).toBe(
      'apply: 2 items · actions 2 applied · findings 1 agent-not-ready · verification 1 resolved',
    );
  });

  it('says plainly that a plan changed nothing and marks actions proposed', () => {
    const text = renderTable(planReport(), { width: 120 });
    expect(text.split('\n')[0]).toBe('Run run-plan-1 (plan, dry-run: nothing was changed)');
    expect(text).toContain('remove-snapshot-extension: proposed');
    // Every line fits the requested width.
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(120);
  });

  it('fits a 100-column terminal: no line wider, VM names whole, codes broken between their words', () => {
    const text = renderTable(planReport(), { width: 100 });
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
    expect(text).toContain(' rg-data/db7 ');
    expect(text).toMatch(/│ UserErrorGuestAgent *│/);
    expect(text).toMatch(/│ StatusUnavailable *│/);
    expect(text).toContain('remove-snapshot-extension: proposed');
  });

  it('shows a short phrase with each finding when it fits: beside the kind, else under it, else the kind alone', () => {
    const wide = renderTable(planReport(), { width: 200 });
    expect(wide).toContain('agent-not-ready: fix agent in the guest');
    const medium = renderTable(planReport(), { width: 130 }).split('\n');
    const at = medium.findIndex((l) => l.includes('│ agent-not-ready '));
    expect(medium[at + 1]).toMatch(/│ {3}fix agent in the guest *│/);
    for (const line of medium) expect(line.length).toBeLessThanOrEqual(130);
    const narrow = renderTable(planReport(), { width: 100 });
    expect(narrow).toContain('agent-not-ready');
    expect(narrow).not.toContain('fix agent');
  });

  it('uses the evidence for the phrase where it has the number or the state', () => {
    const r = planReport();
    r.items[1].findings.push(
      { kind: 'restore-point-limit', message: 'The VM holds 18 instant restore points.', evidence: { totalPoints: 18 } },
      { kind: 'extension-failed', message: 'The VMSnapshot extension is in state Failed.', evidence: { extension: { type: 'VMSnapshot', provisioningState: 'Failed' } } },
    );
    const text = renderTable(r, { width: 200 });
    expect(text).toContain('restore-point-limit: 18 of 18 restore points');
    expect(text).toContain('extension-failed: VMSnapshot Failed');
  });

  it('has a phrase of at most 24 characters for every finding kind', () => {
    for (const [kind, phrase] of Object.entries(FINDING_PHRASES)) {
      expect([kind, phrase.length <= 24 && phrase.length > 0]).toEqual([kind, true]);
    }
  });

  it('shows the Verified column only when some item has a verification', () => {
    expect(renderTable(planReport(), { width: 160 }).split('\n')[2]).not.toContain('Verified');
    expect(renderTable(applyReport(), { width: 160 }).split('\n')[2]).toContain('Verified');
  });

  it('wraps a long summary line at its separators to the width', () => {
    const r = planReport();
    const kinds = Object.keys(FINDING_PHRASES) as FindingKind[];
    // Every kind once, two per item (cli-table3 is slow on cells of many lines).
    const base = r.items[1];
    r.items = [];
    for (let i = 0; i < kinds.length; i += 2) {
      r.items.push({ ...base, findings: kinds.slice(i, i + 2).map((kind) => ({ kind, message: kind, evidence: {} })) });
    }
    const text = renderTable(r, { width: 80 });
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    const tail = text.slice(text.indexOf(`plan: ${r.items.length} items`)).trimEnd();
    expect(tail.replace(/\n +/g, ' ')).toBe(summaryLine(r));
  });

  it('wrapCell breaks after / and -, between CamelCase words, and cuts only what cannot break', () => {
    expect(wrapCell('rg-app/vm-agent-down', 12)).toBe('rg-app/vm-\nagent-down');
    expect(wrapCell('UserErrorGuestAgentStatusUnavailable', 20)).toBe('UserErrorGuestAgent\nStatusUnavailable');
    expect(wrapCell('trigger-backup: proposed', 16)).toBe('trigger-backup:\nproposed');
    expect(wrapCell('abcdefghij', 4)).toBe('abcd\nefgh\nij');
    expect(wrapCell('short\nlines', 10)).toBe('short\nlines');
  });

  it('handles an empty run', () => {
    const r = planReport();
    r.items = [];
    expect(renderTable(r)).toBe(
      'Run run-plan-1 (plan, dry-run: nothing was changed)\nNo failed backup jobs in scope.\nplan: 0 items · actions none · findings none\n',
    );
  });
});

describe('markdown renderer', () => {
  it('writes a ticket: glance table, actions with reasons, findings with next steps, verification', () => {
    const md = renderMarkdown(applyReport());
    expect(md).toContain('## Backup remediation run (apply): run-apply-1');
    expect(md).toContain('| 1 | rg-web/web1 | ExtensionOperationFailed | remove-snapshot-extension: applied<br>trigger-backup: applied | - | resolved |');
    expect(md).toContain('| 2 | rg-data/db7 | UserErrorGuestAgentStatusUnavailable | - | agent-not-ready | - |');
    expect(md).toContain(`1. **remove-snapshot-extension** (applied): DELETE \`${EXT}\``);
    // A pipe in free text cannot break the Markdown.
    expect(md).toContain('Why: Prove the fix with a backup \\| now.');
    expect(md).toContain('Next step: Sign in to db7 and restart the WindowsAzureGuestAgent service.');
    expect(md).toContain(`See: ${DOC}`);
    expect(md).toContain('**Verification**: resolved (job status Completed, job `job-77`)');
  });

  it('is reachable through renderReport with each format', () => {
    const r = planReport();
    expect(renderReport(r, 'markdown')).toBe(renderMarkdown(r));
    expect(renderReport(r, 'json')).toBe(renderJson(r));
    expect(renderReport(r, 'table', { width: 100 })).toBe(renderTable(r, { width: 100 }));
  });
});
