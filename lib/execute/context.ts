// What executing one VM's plan needs from the engine, and the state one VM's execution carries from
// its guards to its writes (passed explicitly, never kept at module level).
import type { Settings } from '../config';
import type { RunBudget } from '../guardrails';
import type { Lease, Ledger } from '../ledger';
import type { Logger } from '../log';
import type { FindingKind, PlanItem, PlannedAction, Verification } from '../types';

/** What execute needs from an action implementation (lib/actions); the engine adapts ACTIONS to it. */
export interface ActionRunner {
  /** Re-reads ARM; returns why the write must not happen now (and the finding kind), or undefined when it may. */
  preconditions(action: PlannedAction, item: PlanItem): Promise<{ reason: string; findingKind?: FindingKind; evidence?: Record<string, unknown> } | undefined>;
  /** Performs the write and waits for its long-running operation; returns what the write produced. */
  apply(action: PlannedAction, item: PlanItem): Promise<Record<string, unknown>>;
}

export interface ExecuteContext {
  runId: string;
  settings: Settings;
  ledger: Ledger;
  budget: RunBudget;
  runner: ActionRunner;
  log: Logger;
  now: () => Date;
  /** Called after a Backup Now succeeded, with what its apply returned. */
  verify?: (action: PlannedAction, item: PlanItem) => Promise<Verification>;
  /** Progress hook: one call per write attempted (tests flip the kill switch from here). */
  onWrite?: (action: PlannedAction, item: PlanItem) => void | Promise<void>;
  /** When the item's failed job started, if known: a failure that began after a fix is a new one. */
  failedAt?: Date;
  /** Called whenever the item changed in a way the ledger should see now (the decision row). */
  onChange?: (item: PlanItem) => Promise<void>;
}

/** One VM's execution: the lease it holds and what its attempt rows already say. */
export interface VmState {
  lease?: Lease;
  /** The `started` attempt row is written (before the first write). */
  attemptStarted: boolean;
  /** The `pending` attempt row is written (right after Backup Now named its job). */
  pendingRecorded: boolean;
  /** Actions whose ledger row exists (write-ahead rows), so the end of the VM does not add another. */
  recorded: Set<PlannedAction>;
}

export function newVmState(): VmState {
  return { attemptStarted: false, pendingRecorded: false, recorded: new Set() };
}

export function describeError(err: unknown): { code?: string; message: string; statusCode?: number } {
  const e = err as { code?: unknown; message?: unknown; statusCode?: unknown };
  return {
    code: typeof e?.code === 'string' ? e.code : undefined,
    statusCode: typeof e?.statusCode === 'number' ? e.statusCode : undefined,
    message: typeof e?.message === 'string' ? e.message : String(err),
  };
}
