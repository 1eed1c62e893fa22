// A guard is one rule checked before a VM is acted on (VmGuard) or before one write (WriteGuard).
// It returns why not (a finding) or nothing; the executor stops at the first guard that answers.
import type { Finding, PlanItem, PlannedAction } from '../../types';
import type { ExecuteContext, VmState } from '../context';

export interface VmStop {
  finding: Finding;
  /** Automation gave up on this VM: the item's verification becomes `escalated`. */
  escalate?: boolean;
}

export interface VmGuard {
  name: string;
  check(item: PlanItem, ctx: ExecuteContext, state: VmState): Promise<VmStop | undefined>;
}

export interface WriteStop {
  finding: Finding;
  /** The attempt outcome this stop records. */
  attempt: 'blocked' | 'kill-switch';
}

export interface WriteGuard {
  name: string;
  check(action: PlannedAction, item: PlanItem, ctx: ExecuteContext): Promise<WriteStop | undefined>;
}
