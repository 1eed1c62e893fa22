// Only the action kinds in REMEDIATION_ALLOWED_ACTIONS are ever written.
import { actionAllowedFinding } from '../../guardrails';
import type { WriteGuard } from './types';

export const allowedKindGuard: WriteGuard = {
  name: 'allowed-actions',
  check: async (action, _item, ctx) => {
    const finding = actionAllowedFinding(action.kind, ctx.settings);
    return finding ? { finding, attempt: 'blocked' } : undefined;
  },
};
