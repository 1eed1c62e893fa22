// Scope: the VM must sit inside the configured subscriptions and resource groups. A thin wrapper
// over the one scope check (lib/guardrails, to become lib/scope's Scope) so it can be swapped.
import { scopeFinding } from '../../guardrails';
import type { VmGuard } from './types';

export const scopeGuard: VmGuard = {
  name: 'scope',
  check: async (item, ctx) => {
    const finding = scopeFinding(item.vmId, ctx.settings);
    return finding ? { finding } : undefined;
  },
};
