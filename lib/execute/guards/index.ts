// The guard chain, in the order the executor runs it. Pacing is not a guard: it lives in the SDK
// pipeline (lib/arm/pacing), and a write it gives up on surfaces as a throttled outcome.
import { allowedKindGuard } from './allowed-kind';
import { approvalClaimGuard, approvalVmGuard, approvalWriteGuard } from './approval';
import { attemptsGuard } from './attempts';
import { fixHeldGuard } from './fix-held';
import { killSwitchGuard } from './kill-switch';
import { leaseGuard } from './lease';
import { preconditionsGuard } from './preconditions';
import { scopeGuard } from './scope';
import type { VmGuard, VmStop, WriteGuard, WriteStop } from './types';
import { vmCapCheckGuard, vmCapClaimGuard } from './vm-cap';
import { writeCapCheckGuard, writeCapGuard } from './write-cap';
import type { ExecuteContext, VmState } from '../context';
import type { PlanItem, PlannedAction } from '../../types';

export type { VmGuard, VmStop, WriteGuard, WriteStop } from './types';

/**
 * Before the VM's lease: cheap checks first, the lease last (it is the one that takes something). A VM
 * waiting for a human's approval stops here, before any write of its plan and without taking a slot.
 */
export const BEFORE_LEASE: readonly VmGuard[] = [scopeGuard, fixHeldGuard, attemptsGuard, approvalVmGuard, vmCapCheckGuard, leaseGuard];
/** Under the lease: judged again (another run may have just finished here), then the VM slot claimed. */
export const UNDER_LEASE: readonly VmGuard[] = [attemptsGuard, vmCapClaimGuard];
/**
 * Before each write, in order; the cap is claimed late so only a write that proceeds takes a slot, and
 * an approved proposal is claimed (marked executed) last of all, only for a write that is then sent.
 * The kill switch and the cap are also checked before the preconditions, because a precondition may
 * itself act in the guest (run-guest-fix's read-only diagnostic is a Run Command): a stopped write
 * sends nothing at all. The kill switch is read again after them (it may flip while ARM is re-read).
 */
export const BEFORE_WRITE: readonly WriteGuard[] = [
  allowedKindGuard, approvalWriteGuard, killSwitchGuard, writeCapCheckGuard, preconditionsGuard, killSwitchGuard, writeCapGuard, approvalClaimGuard,
];

/** The first VM guard that stops, or undefined. */
export async function firstVmStop(guards: readonly VmGuard[], item: PlanItem, ctx: ExecuteContext, state: VmState): Promise<VmStop | undefined> {
  for (const g of guards) {
    const stop = await g.check(item, ctx, state);
    if (stop) return stop;
  }
  return undefined;
}

/** The first write guard that stops, or undefined. */
export async function firstWriteStop(guards: readonly WriteGuard[], action: PlannedAction, item: PlanItem, ctx: ExecuteContext): Promise<WriteStop | undefined> {
  for (const g of guards) {
    const stop = await g.check(action, item, ctx);
    if (stop) return stop;
  }
  return undefined;
}
