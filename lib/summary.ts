// A run report's summary counts, from its items. One home: the engine's reports and the reports
// rebuilt from the ledger for runs that never finished use the same counts.
import type { PlanItem } from './types';

export function summarize(items: PlanItem[]): Record<string, number> {
  const summary: Record<string, number> = { items: items.length, writes: 0, 'actions.proposed': 0 };
  const bump = (key: string): void => {
    summary[key] = (summary[key] ?? 0) + 1;
  };
  for (const item of items) {
    for (const a of item.actions) {
      const status = a.status ?? 'proposed';
      bump(`actions.${status}`);
      if (status === 'proposed') continue;
      if (status === 'applied') {
        summary.writes += 1;
        bump(`writes.${a.kind}`);
      }
    }
    for (const f of item.findings) bump(`findings.${f.kind}`);
    if (item.verification) bump(`verification.${item.verification.outcome}`);
  }
  return summary;
}
