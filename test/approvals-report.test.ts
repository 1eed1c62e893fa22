// Every report format shows the proposals waiting for a human (RunReport.pendingApprovals), the JSON
// keeps them under the schema, and an item waiting for an approval counts as `approval-pending`.

import { itemOutcome, renderHtml, renderJson, renderMarkdown, renderTable } from '../lib/report';
import type { PlanItem, RunReport } from '../lib/types';
import { validateRunReport } from './helpers/run-report-schema';

const SUB = '11111111-1111-4111-8111-111111111111';
const VM = `/subscriptions/${SUB}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/web1`;
const ID = 'Q2xhdWRlV2FzSGVyZTAxMjM0';

const waiting: PlanItem = {
  vmId: VM,
  jobId: `${VM}/job`,
  failure: { code: 'ExtensionFailedVssServiceInBadState', signals: [] },
  actions: [{ kind: 'delete-restore-point-collection', target: `${VM}/x`, method: 'DELETE', reason: 'r', evidence: {}, status: 'skipped', detail: 'not run: waits', approval: { id: ID, status: 'pending', expiresAt: '2026-11-21T06:00:00.000Z' } }],
  findings: [{ kind: 'awaiting-approval', message: `waits for proposal ${ID}`, evidence: { proposalId: ID } }],
};

const report: RunReport = {
  schemaVersion: 1,
  mode: 'apply',
  runId: 'run-1',
  startedAt: '2026-11-20T06:00:00.000Z',
  finishedAt: '2026-11-20T06:01:00.000Z',
  items: [waiting],
  summary: { items: 1 },
  pendingApprovals: [{ id: ID, vmId: VM, action: 'delete-restore-point-collection', target: `${VM}/x`, script: 'vss-restart-service@1', failureCode: 'ExtensionFailedVssServiceInBadState', proposedAt: '2026-11-20T05:00:00.000Z', expiresAt: '2026-11-21T05:00:00.000Z', runId: 'run-0' }],
};

test('JSON keeps pendingApprovals and validates; table, Markdown and HTML list the id, script and expiry', () => {
  const json = JSON.parse(renderJson(report)) as RunReport;
  expect(json.pendingApprovals).toEqual(report.pendingApprovals);
  expect(validateRunReport(json)).toEqual({ valid: true, errors: [] });
  for (const text of [renderTable(report, { width: 200 }), renderMarkdown(report), renderHtml(report)]) {
    expect(text).toContain(ID);
    expect(text).toContain('vss-restart-service@1');
    expect(text).toContain('2026-11-21T05:00:00.000Z');
    expect(text).toMatch(/Waiting for approval/);
  }
  expect(renderHtml(report)).toContain('id="pending-approvals"');
});

test('nothing pending: no section', () => {
  const none = { ...report, pendingApprovals: undefined };
  for (const text of [renderTable(none, { width: 200 }), renderMarkdown(none), renderHtml(none), renderJson(none)]) expect(text).not.toMatch(/Waiting for approval|pendingApprovals/);
});

test('an item waiting for a human is approval-pending, in apply mode too', () => {
  expect(itemOutcome(waiting, 'apply')).toBe('approval-pending');
});
