// The VM lease (ledger, ETag-conditional): one run works on a VM at a time. The lease it takes is
// kept in the VM's state for the executor to release.
import { leaseTtlMs } from '../../guardrails';
import type { VmGuard } from './types';

export const leaseGuard: VmGuard = {
  name: 'lease',
  check: async (item, ctx, state) => {
    state.lease = await ctx.ledger.acquireLease(item.vmId, ctx.runId, leaseTtlMs(ctx.settings));
    if (state.lease) return undefined;
    return {
      finding: {
        kind: 'lease-held',
        message: 'Another run holds the lease on this VM; this run leaves it alone.',
        evidence: { vmId: item.vmId, runId: ctx.runId },
        nextStep: 'Nothing to do: the run holding the lease works on this VM.',
      },
    };
  },
};
