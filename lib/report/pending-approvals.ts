// The report's "Waiting for approval" section: every proposal in the run's scope that a human has not
// decided yet (lib/approvals), whichever run proposed it, with the id to approve or reject it by and
// when it expires. Every format shows it, so nobody learns of a waiting fix only from the ledger.
import type { PendingApproval, RunReport } from '../types';
import { vmLabel } from './facts';

const HOW = 'approve or reject: `backup-remediator approvals approve|reject <id>` or POST /api/approvals/<id>';

function what(p: PendingApproval): string {
  return `${p.action}${p.script ? ` (script ${p.script})` : ''}`;
}

/** Plain-text lines for the table output; empty when nothing waits. */
export function pendingApprovalsLines(report: RunReport): string[] {
  const pending = report.pendingApprovals ?? [];
  if (pending.length === 0) return [];
  // A guest fix targets the VM itself: its label already says where; other targets are named in full.
  const on = (p: PendingApproval) => (p.target.toLowerCase() === p.vmId.toLowerCase() ? '' : ` on ${p.target}`);
  return [`Waiting for approval (${pending.length}); ${HOW}:`, ...pending.map((p) => `- ${p.id} ${vmLabel(p.vmId)}: ${what(p)}${on(p)}, expires ${p.expiresAt}`)];
}

/** The Markdown section; empty when nothing waits. */
export function pendingApprovalsMarkdown(report: RunReport): string[] {
  const pending = report.pendingApprovals ?? [];
  if (pending.length === 0) return [];
  const esc = (t: string) => t.replace(/\|/g, '\\|').replace(/`/g, "'").replace(/\r?\n/g, ' ');
  return [
    '### Waiting for approval',
    '',
    `${HOW}.`,
    '',
    '| Id | VM | Action | Script | Failure | Expires |',
    '|---|---|---|---|---|---|',
    ...pending.map((p) => `| \`${p.id}\` | ${esc(vmLabel(p.vmId))} | ${p.action} | ${esc(p.script ?? '-')} | ${esc(p.failureCode)} | ${p.expiresAt} |`),
    '',
  ];
}

/** The HTML section (text escaped by the caller's `esc`); empty when nothing waits. */
export function pendingApprovalsHtml(report: RunReport, esc: (t: string) => string): string {
  const pending = report.pendingApprovals ?? [];
  if (pending.length === 0) return '';
  const rows = pending.map((p) => `<tr><td><code>${esc(p.id)}</code></td><td>${esc(vmLabel(p.vmId))}</td><td>${esc(p.action)}</td><td>${esc(p.script ?? '-')}</td><td>${esc(p.failureCode)}</td><td>${esc(p.expiresAt)}</td></tr>`);
  return `<h2>Waiting for approval</h2><p>${esc(HOW)}.</p><table id="pending-approvals"><thead><tr><th>Id</th><th>VM</th><th>Action</th><th>Script</th><th>Failure</th><th>Expires</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}
