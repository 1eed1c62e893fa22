// `--output html`: the markdown report's content as one self-contained page for a browser or a
// ticket attachment: the glance table, each VM's actions, findings and verification, the notes,
// and two bar charts (failures per error code, outcome per failed job) drawn as inline SVG. No
// script, no external asset: the Content-Security-Policy forbids loading anything.

import type { Finding, PlanItem, PlannedAction, RunReport } from '../types';
import { actionStatus, summaryLine, vmLabel } from './facts';
import { itemOutcome } from './outcome';
import { pendingApprovalsHtml } from './pending-approvals';

const esc = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

const code = (text: string): string => `<code>${esc(text)}</code>`;

/** Only http(s) links become anchors: a `javascript:` URL in a report must stay text. */
const link = (url: string): string => (/^https?:\/\//i.test(url) ? `<a href="${esc(url)}">${esc(url)}</a>` : esc(url));

function evidence(ev: Record<string, unknown> | undefined): string {
  const entries = Object.entries(ev ?? {});
  return entries.map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join('; ');
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1b1b1b;background:#fff}
h1{font-size:20px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}h3{font-size:15px;margin:20px 0 6px}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #c8c8c8;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef3f8}.summary{font-weight:600}.charts{display:flex;flex-wrap:wrap;gap:24px}
figure{margin:0}figcaption{font-weight:600;margin-bottom:4px}code{font:12px ui-monospace,monospace;word-break:break-all}
.item{border-top:1px solid #ddd;margin-top:16px}ul{margin:4px 0 4px 20px;padding:0}li,td{overflow-wrap:anywhere}`;

interface Bar { label: string; value: number }

function count<T>(values: T[], key: (v: T) => string): Bar[] {
  const m = new Map<string, number>();
  for (const v of values) m.set(key(v), (m.get(key(v)) ?? 0) + 1);
  return [...m.entries()].map(([label, value]) => ({ label, value })).sort((a, b) => b.value - a.value || a.label.localeCompare(b.label));
}

/** A horizontal bar chart as inline SVG; bar lengths are relative to the largest count. */
export function barChart(title: string, bars: Bar[], colour: string): string {
  const row = 22;
  // Room for the longest label at ~7.5 px per character of the 12 px font.
  const labelW = Math.max(120, Math.ceil(Math.max(0, ...bars.map((b) => b.label.length)) * 7.5) + 12);
  const barW = 240;
  const height = Math.max(1, bars.length) * row + 8;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const rows = bars.map((b, i) => {
    const y = i * row + 4;
    const w = Math.max(2, Math.round((b.value / max) * barW));
    return `<text x="${labelW - 6}" y="${y + 15}" text-anchor="end">${esc(b.label)}</text>` +
      `<rect x="${labelW}" y="${y + 3}" width="${w}" height="${row - 6}" fill="${colour}"><title>${esc(b.label)}: ${b.value}</title></rect>` +
      `<text x="${labelW + w + 6}" y="${y + 15}">${b.value}</text>`;
  });
  const empty = bars.length === 0 ? `<text x="4" y="18">none</text>` : '';
  return `<figure><figcaption>${esc(title)}</figcaption><svg xmlns="http://www.w3.org/2000/svg" width="${labelW + barW + 40}" height="${height}" role="img" aria-label="${esc(title)}" font-size="12" font-family="system-ui,sans-serif">${rows.join('')}${empty}</svg></figure>`;
}

function charts(report: RunReport): string {
  const byCode = count(report.items, (i) => i.failure.code);
  const byOutcome = count(report.items, (i) => itemOutcome(i, report.mode));
  return `<section class="charts">${barChart('Failed jobs by error code', byCode, '#2f6fb0')}${barChart('Outcome per failed job', byOutcome, '#3a8f5c')}</section>`;
}

function glanceRow(item: PlanItem, i: number, report: RunReport): string {
  const actions = item.actions.map((a) => esc(`${a.kind}: ${actionStatus(a)}`)).join('<br>') || '-';
  const findings = [...new Set(item.findings.map((f) => f.kind))].map(esc).join('<br>') || '-';
  const cells = [String(i + 1), esc(vmLabel(item.vmId)), esc(item.failure.code), actions, findings, esc(item.verification?.outcome ?? '-'), esc(itemOutcome(item, report.mode))];
  return `<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
}

function glanceTable(report: RunReport): string {
  const head = ['#', 'VM', 'Error', 'Actions', 'Findings', 'Verification', 'Outcome'].map((h) => `<th>${h}</th>`).join('');
  return `<table id="items"><thead><tr>${head}</tr></thead><tbody>${report.items.map((it, i) => glanceRow(it, i, report)).join('')}</tbody></table>`;
}

function actionHtml(a: PlannedAction): string {
  const parts = [`<li><strong>${esc(a.kind)}</strong> (${esc(actionStatus(a))}): ${esc(a.method)} ${code(a.target)}<ul>`, `<li>Why: ${esc(a.reason)}</li>`];
  if (a.detail) parts.push(`<li>Detail: ${esc(a.detail)}</li>`);
  if (Object.keys(a.evidence).length > 0) parts.push(`<li>Evidence: ${esc(evidence(a.evidence))}</li>`);
  if (a.result) parts.push(`<li>Result: ${esc(evidence(a.result))}</li>`);
  return parts.join('') + '</ul></li>';
}

function findingHtml(f: Finding): string {
  const parts = [`<li><strong>${esc(f.kind)}</strong>: ${esc(f.message)}<ul>`];
  if (f.nextStep) parts.push(`<li>Next step: ${esc(f.nextStep)}</li>`);
  if (f.docUrl) parts.push(`<li>See: ${link(f.docUrl)}</li>`);
  if (Object.keys(f.evidence).length > 0) parts.push(`<li>Evidence: ${esc(evidence(f.evidence))}</li>`);
  return parts.join('') + '</ul></li>';
}

function itemSection(item: PlanItem, n: number): string {
  const facts = [`<li>VM: ${code(item.vmId)}</li>`, `<li>Job: ${code(item.jobId)}</li>`];
  if (item.protectedItemId) facts.push(`<li>Protected item: ${code(item.protectedItemId)}</li>`);
  if (item.failure.automation) facts.push(`<li>Automation: ${esc(item.failure.automation)}</li>`);
  if (item.failure.docUrl) facts.push(`<li>Documentation: ${link(item.failure.docUrl)}</li>`);
  const signals = item.failure.signals.map((s) => `${esc(s.source)} ${code(s.value)}`);
  if (signals.length > 0) facts.push(`<li>Signals: ${signals.join(', ')}</li>`);
  const out = [`<section class="item"><h3>${n}. ${esc(vmLabel(item.vmId))}: ${esc(item.failure.code)}</h3><ul>${facts.join('')}</ul>`];
  if (item.actions.length > 0) out.push(`<h4>Actions</h4><ol>${item.actions.map(actionHtml).join('')}</ol>`);
  if (item.findings.length > 0) out.push(`<h4>Findings</h4><ul>${item.findings.map(findingHtml).join('')}</ul>`);
  const v = item.verification;
  if (v) {
    const extra = [v.status && `job status ${v.status}`, v.jobId && `job ${v.jobId}`, v.failureCode && `failed again with ${v.failureCode}`].filter(Boolean).join(', ');
    out.push(`<p><strong>Verification</strong>: ${esc(v.outcome)}${extra ? ` (${esc(extra)})` : ''}</p>`);
  }
  return out.join('') + '</section>';
}

function notesSection(report: RunReport): string {
  if (!report.notes || report.notes.length === 0) return '';
  const items = report.notes.map((n) => `<li>${n.vmId ? `${esc(vmLabel(n.vmId))}: ` : ''}${esc(n.reason)}</li>`);
  return `<h2>Not acted on</h2><ul id="notes">${items.join('')}</ul>`;
}

export function renderHtml(report: RunReport): string {
  const title = `Backup remediation ${report.mode === 'plan' ? 'plan (dry-run)' : 'run (apply)'}: ${report.runId}`;
  const body =
    report.items.length === 0
      ? '<p>No failed backup jobs in scope.</p>'
      : `${charts(report)}<h2>Failed jobs</h2>${glanceTable(report)}<h2>Details</h2>${report.items.map((it, i) => itemSection(it, i + 1)).join('')}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${esc(title)}</title><style>${STYLE}</style></head>
<body><h1>${esc(title)}</h1><p>Started ${esc(report.startedAt)}, finished ${esc(report.finishedAt)}.</p>
<p class="summary">${esc(summaryLine(report))}</p>
${body}${notesSection(report)}${pendingApprovalsHtml(report, esc)}
</body></html>
`;
}
