// Small facts every renderer shows the same way: a VM's short name, an action's status, the tally line.

import { parseVmId } from '../arm/ids';
import type { PlanItem, PlannedAction, RunReport } from '../types';

/** `rg/vm` from a VM id; the raw id's last segment when it does not parse (it may be what the job named). */
export function vmLabel(vmId: string): string {
  try {
    const vm = parseVmId(vmId);
    return `${vm.resourceGroup}/${vm.name}`;
  } catch {
    const parts = vmId.split('/').filter(Boolean);
    return parts[parts.length - 1] ?? vmId;
  }
}

/** Plans never carry a status; an action without one is a proposal. */
export function actionStatus(a: PlannedAction): string {
  return a.status ?? 'proposed';
}

function bump(m: Map<string, number>, k: string): void {
  m.set(k, (m.get(k) ?? 0) + 1);
}

function phrase(m: Map<string, number>): string {
  return [...m.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
}

export interface Tally {
  items: number;
  actionsByStatus: Map<string, number>;
  actionsByKind: Map<string, number>;
  findingsByKind: Map<string, number>;
  verification: Map<string, number>;
}

export function tally(items: PlanItem[]): Tally {
  const t: Tally = {
    items: items.length,
    actionsByStatus: new Map(),
    actionsByKind: new Map(),
    findingsByKind: new Map(),
    verification: new Map(),
  };
  for (const item of items) {
    for (const a of item.actions) {
      bump(t.actionsByStatus, actionStatus(a));
      bump(t.actionsByKind, a.kind);
    }
    for (const f of item.findings) bump(t.findingsByKind, f.kind);
    if (item.verification) bump(t.verification, item.verification.outcome);
  }
  return t;
}

/** One line for a glance: `plan: 4 items · actions 3 proposed · findings 2 agent-not-ready · ...`. */
export function summaryLine(report: RunReport): string {
  const t = tally(report.items);
  const parts = [`${report.mode}: ${t.items} item${t.items === 1 ? '' : 's'}`];
  parts.push(`actions ${phrase(t.actionsByStatus) || 'none'}`);
  parts.push(`findings ${phrase(t.findingsByKind) || 'none'}`);
  if (t.verification.size > 0) parts.push(`verification ${phrase(t.verification)}`);
  return parts.join(' · ');
}
