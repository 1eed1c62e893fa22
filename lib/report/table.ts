// `--output table`: one row per failed job, for a terminal. Plain characters only (no colour codes)
// so the output survives pipes, logs and tickets.

import Table from 'cli-table3';
import type { Finding, FindingKind, RunReport } from '../types';
import { actionStatus, summaryLine, vmLabel } from './facts';
import { observedCodesLines } from './observed-codes';
import { pendingApprovalsLines } from './pending-approvals';

export interface TableOptions {
  /** Terminal width; columns wrap to fit. Defaults to 160 (logs and pipes have no width). */
  width?: number;
}

/**
 * A few words per finding kind for the table's glance: what it means or where the fix lies. The full
 * sentence and the next step are in `--output markdown` and `--output json`. At most 24 characters
 * (the longest kind), so a phrase under its kind never widens the column. A Record, so a new kind
 * does not compile without its phrase.
 */
export const FINDING_PHRASES: Record<FindingKind, string> = {
  'agent-not-ready': 'fix agent in the guest',
  'agent-outdated': 'update the VM agent',
  'vm-not-running': 'VM is not running',
  // The finding says which: a named NSG rule or route (read), or an open path (the guest).
  'no-outbound-connectivity': 'NSG, route or the guest',
  'lock-blocks-cleanup': 'a lock keeps the points',
  'restore-point-limit': 'collection is full',
  'backup-in-progress': 'a backup is running',
  'already-recovered': 'a later backup succeeded',
  'unclassified-error': 'not in the catalogue',
  'conflicting-signals': 'signals disagree',
  'report-only-error': 'fix is outside ARM',
  'out-of-scope': 'outside the allow-list',
  'opted-out': 'opted out by tag',
  'extension-missing': 'only a backup is needed',
  'extension-failed': 'snapshot extension fails',
  'vm-not-found': 'the VM is gone',
  'ambiguous-target': 'target is ambiguous',
  guardrail: 'a guardrail stopped it',
  cooldown: 'cooling down after a try',
  'kill-switch': 'kill switch is on',
  'lease-held': 'another run holds the VM',
  'precondition-changed': 'changed since the plan',
  'action-failed': 'a write failed',
  verification: 'earlier backup checked',
  'read-failed': 'an ARM read failed',
  'awaiting-approval': 'waits for a human',
  'approval-refused': 'approval refused/stale',
};

/** The phrase for one finding, with the number or state from its evidence when there is one. */
export function findingPhrase(f: Finding): string {
  const e = f.evidence ?? {};
  if (f.kind === 'restore-point-limit' && typeof e.totalPoints === 'number') return `${e.totalPoints} of 18 restore points`;
  const ext = e.extension as { type?: unknown; provisioningState?: unknown } | undefined;
  if (f.kind === 'extension-failed' && typeof ext?.type === 'string' && typeof ext.provisioningState === 'string') {
    return `${ext.type} ${ext.provisioningState}`;
  }
  return FINDING_PHRASES[f.kind] ?? f.kind;
}

/** `kind: phrase` on one line, the phrase indented under its kind, or the kind alone. */
type FindingStyle = 'inline' | 'stacked' | 'kind';

function findingsCell(findings: Finding[], style: FindingStyle): string {
  const lines = findings.map((f) =>
    style === 'inline' ? `${f.kind}: ${findingPhrase(f)}` : style === 'stacked' ? `${f.kind}\n  ${findingPhrase(f)}` : f.kind,
  );
  return [...new Set(lines)].join('\n') || '-';
}

export function renderTable(report: RunReport, opts: TableOptions = {}): string {
  const header = `Run ${report.runId} (${report.mode === 'plan' ? 'plan, dry-run: nothing was changed' : 'apply'})`;
  const width = Math.max(80, opts.width ?? 160);
  if (report.items.length === 0) {
    return `${header}\nNo failed backup jobs in scope.\n${wrapSummary(summaryLine(report), width)}\n${notesText(report, width)}${observedText(report, width)}${approvalsText(report, width)}`;
  }
  // A column of dashes says nothing: Verified appears only when some item has a verification.
  const verifiedColumn = report.items.some((i) => i.verification);
  const head = ['#', 'VM', 'Error', 'Actions', 'Findings', ...(verifiedColumn ? ['Verified'] : [])];
  const rowsFor = (style: FindingStyle): string[][] =>
    report.items.map((item, i) => {
      const actions = item.actions.map((a) => `${a.kind}: ${actionStatus(a)}`).join('\n') || '-';
      const v = item.verification;
      const verified = v ? [v.outcome, v.status, v.failureCode].filter(Boolean).join('\n') : '-';
      const row = [String(i + 1), vmLabel(item.vmId), item.failure.code, actions, findingsCell(item.findings, style)];
      return verifiedColumn ? [...row, verified] : row;
    });
  // Findings with their phrase when the whole table then fits unwrapped (beside the kind, else under
  // it); the bare kinds otherwise, which a narrow terminal wraps.
  const budget = width - (head.length + 1);
  const fits = (rows: string[][]): boolean => naturalWidths([head, ...rows]).reduce((a, b) => a + b, 0) <= budget;
  const rows = [rowsFor('inline'), rowsFor('stacked')].find(fits) ?? rowsFor('kind');
  return `${header}\n${fittedTable(head, rows, width)}\n${wrapSummary(summaryLine(report), width)}\n${notesText(report, width)}${observedText(report, width)}${approvalsText(report, width)}`;
}

/**
 * A plain-character table no wider than `width` (at least 80): columns narrow as `fitColumns` says,
 * with the `Actions` and `VM` columns (when present) giving way last, and cells wrapped at readable
 * places (`rg-app/` | `vm-name`, `UserError` | `GuestAgent`...). Also used by the CLI's demo.
 */
export function fittedTable(head: string[], rows: string[][], width: number): string {
  const widths = fitColumns([head, ...rows], Math.max(80, width), head.indexOf('Actions'), head.indexOf('VM'));
  const table = new Table({ head, colWidths: widths, wordWrap: false, style: { head: [], border: [] } });
  table.push(...rows.map((r) => r.map((cell, c) => wrapCell(cell, widths[c]! - 2))));
  return table.toString();
}

function naturalWidths(rows: string[][]): number[] {
  return rows[0]!.map((_, c) => Math.max(...rows.map((r) => Math.max(...r[c]!.split('\n').map((l) => l.length)))) + 2);
}

/** Where a cell line may break: after a space, `-`, `/`, `:`, `;` or `,`, or between CamelCase words. */
const BREAK = /(?<=[ \-/:;,])|(?<=[a-z0-9])(?=[A-Z])/;

/**
 * Column widths: each column's natural width (longest line + padding); while the table (with its
 * borders) is wider than the terminal, the widest column gives up one character. Columns stop at
 * their longest unbreakable piece (no word is cut), in turn: first all but VM and Actions, then
 * Actions, then VM; only then does any column go below that, down to 8.
 */
function fitColumns(rows: string[][], width: number, keep: number, vm: number): number[] {
  const cols = rows[0]!.length;
  const budget = width - (cols + 1);
  const widths = naturalWidths(rows);
  const pieceFloor = widths.map((w, c) =>
    Math.min(w, 2 + Math.max(...rows.flatMap((r) => r[c]!.split('\n').flatMap((l) => l.split(BREAK).map((p) => p.trim().length))))),
  );
  let total = widths.reduce((a, b) => a + b, 0);
  const shrink = (floor: (c: number) => number): void => {
    while (total > budget) {
      const candidates = widths.map((w, c) => (w > floor(c) ? w : 0));
      const widest = candidates.indexOf(Math.max(...candidates));
      if (candidates[widest] === 0) return;
      widths[widest]! -= 1;
      total -= 1;
    }
  };
  // The VM name identifies the row and action lines (`kind: status`) are what an operator scans for,
  // so the other columns give way first, then the actions, then the VM.
  shrink((c) => (c === keep || c === vm ? Infinity : pieceFloor[c]!));
  shrink((c) => (c === vm ? Infinity : pieceFloor[c]!));
  shrink((c) => pieceFloor[c]!);
  shrink(() => 8);
  return widths;
}

/**
 * Wraps each line of a cell to `width` characters, breaking after a space, `-`, `/`, `:` or `;`, or
 * between the words of a CamelCase code; a piece longer than the width is cut where it must be.
 */
export function wrapCell(text: string, width: number): string {
  if (width < 1) return text;
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (line.length <= width) {
      out.push(line);
      continue;
    }
    const pieces = line.split(BREAK);
    let current = '';
    for (let piece of pieces) {
      if ((current + piece).trimEnd().length <= width) {
        current += piece;
        continue;
      }
      if (current.trim()) out.push(current.trimEnd());
      current = '';
      while (piece.trimEnd().length > width) {
        out.push(piece.slice(0, width));
        piece = piece.slice(width);
      }
      current = piece.trimStart();
    }
    if (current.trim()) out.push(current.trimEnd());
  }
  return out.join('\n');
}

/** The tally line, broken after its ` · ` separators (then after `, `) so no line is wider than the terminal. */
function wrapSummary(line: string, width: number): string {
  if (line.length <= width) return line;
  const out: string[] = [];
  let current = '';
  for (const token of line.split(/(?<= · )|(?<=, )/)) {
    if (!current.trim() || (current + token).trimEnd().length <= width) {
      current += token;
      continue;
    }
    const group = current.endsWith(' · ');
    out.push(group ? current.slice(0, -3) : current.trimEnd());
    // A new group starts indented by two; a group continued after a comma by four.
    current = (group ? '  ' : '    ') + token;
  }
  out.push(current.trimEnd());
  return out.join('\n');
}

/** Proposals waiting for a human, last; nothing when none waits. */
function approvalsText(report: RunReport, width: number): string {
  const lines = pendingApprovalsLines(report);
  return lines.length === 0 ? '' : `${lines.map((l) => wrapWords(l, width)).join('\n')}\n`;
}

/** Observed numeric error codes under the notes; nothing when the run saw none. */
function observedText(report: RunReport, width: number): string {
  const lines = observedCodesLines(report);
  return lines.length === 0 ? '' : `${lines.map((l) => wrapWords(l, width)).join('\n')}\n`;
}

/** Discovery's notes (left out, and why) under the table; nothing when there are none. */
function notesText(report: RunReport, width: number): string {
  if (!report.notes || report.notes.length === 0) return '';
  const lines = report.notes.map((n) => wrapWords(`- ${n.vmId ? `${vmLabel(n.vmId)}: ` : ''}${n.reason}`, width));
  return `Not acted on (${report.notes.length}):\n${lines.join('\n')}\n`;
}

/** Word wrap at spaces; continuation lines are indented two spaces under the bullet. */
function wrapWords(line: string, width: number): string {
  const out: string[] = [];
  let current = '';
  for (const word of line.split(' ')) {
    if (current && (current + ' ' + word).length > width) {
      out.push(current);
      current = `  ${word}`;
    } else current = current ? `${current} ${word}` : word;
  }
  out.push(current);
  return out.join('\n');
}
