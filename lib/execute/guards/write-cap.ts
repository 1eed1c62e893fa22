// Per-run cap per write kind. Claimed last (synchronously, nothing awaited between it and the write
// but the ledger rows), so a write the kill switch blocked leaves its slot to the next one.
import type { WriteGuard } from './types';

export const writeCapGuard: WriteGuard = {
  name: 'max-writes-per-kind',
  check: async (action, _item, ctx) => {
    const finding = ctx.budget.claimWrite(action.kind);
    return finding ? { finding, attempt: 'blocked' } : undefined;
  },
};

/**
 * The cap checked (not claimed) before the preconditions: some preconditions act in the guest (the
 * run-guest-fix diagnostic is a Run Command), and none of that may happen for a write the cap stops.
 */
export const writeCapCheckGuard: WriteGuard = {
  name: 'max-writes-per-kind-check',
  check: async (action, _item, ctx) => {
    const finding = ctx.budget.writeCapFinding(action.kind);
    return finding ? { finding, attempt: 'blocked' } : undefined;
  },
};
