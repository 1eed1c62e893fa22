// Per-run VM cap. Before the lease it only looks (a VM another run holds takes no slot); under the
// lease it claims the slot, synchronously after the last await so two VMs cannot take the last one.
import type { VmGuard } from './types';

export const vmCapCheckGuard: VmGuard = {
  name: 'max-vms-per-run',
  check: async (item, ctx) => {
    const finding = ctx.budget.vmCapFinding(item.vmId);
    return finding ? { finding } : undefined;
  },
};

export const vmCapClaimGuard: VmGuard = {
  name: 'max-vms-per-run (claim)',
  check: async (item, ctx) => {
    const finding = ctx.budget.claimVm(item.vmId);
    return finding ? { finding } : undefined;
  },
};
