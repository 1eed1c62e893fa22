// `--output markdown`: a run written up for a ticket: the glance table first, then per VM what was
// (or would be) done, why, and what a human must do next.

import type { PlanItem, RunReport } from '../types';
import { actionStatus, summaryLine, vmLabel } from './facts';
import { observedCodesMarkdown } from './observed-codes';
import { pendingApprovalsMarkdown } from './pending-approvals';

/** Escapes text for a Markdown table cell or inline use: pipes, backticks and line breaks. */
function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/`/g, "'").replace(/\r?\n/g, ' ');
}

function code(text: string): string {
  return '`' + text.replace(/`/g, "'") + '`';
}

function evidenceLine(evidence: Record<string, unknown>): string | undefined {
  const entries = Object.entries(evidence);
  if (entries.length === 0) return undefined;
  return entries.map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join('; ');
}

function section(item: PlanItem, index: number): string[] {
  const out: string[] = [];
  out.push(`### ${index}. ${cell(vmLabel(item.vmId))}: ${cell(item.failure.code)}`);
  out.push('');
  out.push(`- VM: ${code(item.vmId)}`);
  out.push(`- Job: ${code(item.jobId)}`);
  if (item.protectedItemId) out.push(`- Protected item: ${code(item.protectedItemId)}`);
  if (item.failure.automation) out.push(`- Automation: ${item.failure.automation}`);
  if (item.failure.docUrl) out.push(`- Documentation: ${item.failure.docUrl}`);
  const signals = item.failure.signals.map((s) => `${s.source} ${code(s.value)}`);
  if (signals.length > 0) out.push(`- Signals: ${signals.join(', ')}`);
  out.push('');
  if (item.actions.length > 0) {
    out.push('**Actions**');
    out.push('');
    item.actions.forEach((a, i) => {
      out.push(`${i + 1}. **${a.kind}** (${actionStatus(a)}): ${a.method} ${code(a.target)}`);
      out.push(`   - Why: ${cell(a.reason)}`);
      if (a.detail) out.push(`   - Detail: ${cell(a.detail)}`);
      const ev = evidenceLine(a.evidence);
      if (ev) out.push(`   - Evidence: ${cell(ev)}`);
      if (a.result) out.push(`   - Result: ${cell(evidenceLine(a.result) ?? '')}`);
    });
    out.push('');
  }
  if (item.findings.length > 0) {
    out.push('**Findings**');
    out.push('');
    for (const f of item.findings) {
      out.push(`- **${f.kind}**: ${cell(f.message)}`);
      if (f.nextStep) out.push(`  - Next step: ${cell(f.nextStep)}`);
      if (f.docUrl) out.push(`  - See: ${f.docUrl}`);
      const ev = evidenceLine(f.evidence);
      if (ev) out.push(`  - Evidence: ${cell(ev)}`);
    }
    out.push('');
  }
  if (item.verification) {
    const v = item.verification;
    const extra = [v.status && `job status ${v.status}`, v.jobId && `job ${code(v.jobId)}`, v.failureCode && `failed again with ${v.failureCode}`]
      .filter(Boolean)
      .join(', ');
    out.push(`**Verification**: ${v.outcome}${extra ? ` (${extra})` : ''}`);
    out.push('');
  }
  return out;
}

export function renderMarkdown(report: RunReport): string {
  const out: string[] = [];
  out.push(`## Backup remediation ${report.mode === 'plan' ? 'plan (dry-run)' : 'run (apply)'}: ${cell(report.runId)}`);
  out.push('');
  out.push(`Started ${report.startedAt}, finished ${report.finishedAt}.`);
  out.push('');
  out.push(summaryLine(report));
  out.push('');
  if (report.items.length === 0) {
    out.push('No failed backup jobs in scope.');
    out.push('');
    out.push(...notesSection(report), ...observedCodesMarkdown(report), ...pendingApprovalsMarkdown(report));
    return out.join('\n');
  }
  out.push('| # | VM | Error | Actions | Findings | Verification |');
  out.push('|---|---|---|---|---|---|');
  report.items.forEach((item, i) => {
    const actions = item.actions.map((a) => `${a.kind}: ${actionStatus(a)}`).join('<br>') || '-';
    const findings = [...new Set(item.findings.map((f) => f.kind))].join('<br>') || '-';
    const verified = item.verification?.outcome ?? '-';
    out.push(`| ${i + 1} | ${cell(vmLabel(item.vmId))} | ${cell(item.failure.code)} | ${actions} | ${findings} | ${verified} |`);
  });
  out.push('');
  report.items.forEach((item, i) => out.push(...section(item, i + 1)));
  out.push(...notesSection(report), ...observedCodesMarkdown(report), ...pendingApprovalsMarkdown(report));
  return out.join('\n');
}

function notesSection(report: RunReport): string[] {
  if (!report.notes || report.notes.length === 0) return [];
  return ['### Not acted on', '', ...report.notes.map((n) => `- ${n.vmId ? `${cell(vmLabel(n.vmId))}: ` : ''}${cell(n.reason)}`), ''];
}
