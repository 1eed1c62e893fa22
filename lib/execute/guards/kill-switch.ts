// The kill switch, read last before every write: it may have been flipped while ARM was re-read.
import { killSwitchFinding } from '../../guardrails';
import type { WriteGuard } from './types';

export const killSwitchGuard: WriteGuard = {
  name: 'kill-switch',
  check: async (_action, _item, ctx) => {
    const finding = await killSwitchFinding(ctx.settings, ctx.ledger);
    return finding ? { finding, attempt: 'kill-switch' } : undefined;
  },
};
