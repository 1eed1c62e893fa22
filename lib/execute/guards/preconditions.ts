// The action's own write-time preconditions, re-read from ARM just before the write (target still
// there and still the VM's, no backup running, opt-out tag not set since planning). A throttled read
// propagates (the VM stops, "retry later"); any other read failure blocks the write.
import { isThrottled } from '../../guardrails';
import { describeError } from '../context';
import type { FindingKind } from '../../types';
import type { WriteGuard } from './types';

export const preconditionsGuard: WriteGuard = {
  name: 'preconditions (fresh re-read, opt-out)',
  check: async (action, item, ctx) => {
    const refused: { reason: string; findingKind?: FindingKind; evidence?: Record<string, unknown> } | undefined = await ctx.runner.preconditions(action, item).catch((err: unknown) => {
      if (isThrottled(err)) throw err;
      return { reason: `could not re-read the preconditions: ${describeError(err).message}`, findingKind: 'read-failed' as const };
    });
    if (refused === undefined) return undefined;
    return {
      attempt: 'blocked',
      finding: {
        kind: refused.findingKind ?? 'precondition-changed',
        message: `${action.kind} not run: ${refused.reason}`,
        evidence: { ...refused.evidence, action: action.kind, target: action.target, recheckedBeforeWrite: true },
      },
    };
  },
};
