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
