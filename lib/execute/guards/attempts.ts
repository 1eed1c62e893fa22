// Attempt limit and cooldown, from the ledger's attempt rows. Checked before the lease and again
// under it: another run may have made its attempt between the two.
import { attemptsFinding } from '../../guardrails';
import type { VmGuard } from './types';

export const attemptsGuard: VmGuard = {
  name: 'attempts',
  check: (item, ctx) => attemptsFinding(ctx.ledger, item.vmId, ctx.now(), ctx.settings),
};
