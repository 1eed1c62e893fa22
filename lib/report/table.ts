// `--output table`: one row per failed job, for a terminal. Plain characters only (no colour codes)
// so the output survives pipes, logs and tickets.

import Table from 'cli-table3';
import type { RunReport } from '../types';
import { actionStatus, summaryLine, vmLabel } from './facts';

export interface TableOptions {
  /** Terminal width; columns wrap to fit. Defaults to 160 (logs and pipes have no width). */
  width?: number;
}

export function renderTable(report: RunReport, opts: TableOptions = {}): string {
  const header = `Run ${report.runId} (${report.mode === 'plan' ? 'plan, dry-run: nothing was changed' : 'apply'})`;
  if (report.items.length === 0) {
    return `${header}\nNo failed backup jobs in scope.\n${summaryLine(report)}\n`;
  }
  const width = Math.max(80, opts.width ?? 160);
  const rows = report.items.map((item, i) => {
    const actions = item.actions.map((a) => `${a.kind}: ${actionStatus(a)}`).join('\n') || '-';
    const findings = [...new Set(item.findings.map((f) => f.kind))].join('\n') || '-';
    const v = item.verification;
    const verified = v ? [v.outcome, v.status, v.failureCode].filter(Boolean).join('\n') : '-';
    const code = item.failure.code;
    return [String(i + 1), vmLabel(item.vmId), code, actions, findings, verified];
  });
  const head = ['#', 'VM', 'Error', 'Actions', 'Findings', 'Verified'];
  const table = new Table({
    head,
    colWidths: fitColumns([head, ...rows], width, head.indexOf('Actions')),
    wordWrap: true,
    wrapOnWordBoundary: false,
    style: { head: [], border: [] },
  });
  table.push(...rows);
  return `${header}\n${table.toString()}\n${summaryLine(report)}\n`;
}

/**
 * Column widths: each column's natural width (longest line + padding), then the widest columns are
 * narrowed one character at a time until the table (with its borders) fits the terminal.
 */
function fitColumns(rows: string[][], width: number, keep: number): number[] {
  const cols = rows[0].length;
  const natural = Array.from({ length: cols }, (_, c) =>
    Math.max(...rows.map((r) => Math.max(...r[c].split('\n').map((l) => l.length)))) + 2,
  );
  const budget = width - (cols + 1);
  const widths = [...natural];
  let total = widths.reduce((a, b) => a + b, 0);
  // Action lines (`kind: status`) are what an operator scans for, so other columns give way first.
  for (const floor of [12, 8]) {
    while (total > budget) {
      const candidates = widths.map((w, c) => (c === keep && floor > 8 ? 0 : w));
      const widest = candidates.indexOf(Math.max(...candidates));
      if (widths[widest] <= floor) break;
      widths[widest] -= 1;
      total -= 1;
    }
  }
  return widths;
}
