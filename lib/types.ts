// Shared vocabulary of the engine. The names in ActionKind and the shape of RunReport are the
// output contract (`--output json`, HTTP API, ledger): change them only with schemaVersion.

/**
 * Write actions the engine may perform. Nothing else is ever written. Each has one module in the
 * registry (lib/actions/index.ts), which does not compile until it does.
 */
export const ACTION_KINDS = [
  'remove-snapshot-extension',
  'delete-restore-point-collection',
  // A catalogue script run in the guest through Run Command (lib/guest); approval required, off unless
  // REMEDIATION_GUEST_FIX_CODES lists the failure code. Before trigger-backup: fixes come first.
  'run-guest-fix',
  'trigger-backup',
] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

/** How far the engine may go on its own for a catalogue entry. */
export type AutomationClass = 'auto' | 'opt-in' | 'report-only';

export type RunMode = 'plan' | 'apply';

/** One piece of evidence a classification rests on: where it came from and what it said. */
export interface Signal {
  source: 'errorCode' | 'errorTitle' | 'errorString' | 'dynamicErrorMessage' | 'recommendation' | 'alert' | 'tasksList' | 'propertyBag';
  value: string;
  /** What the signal matched: a symbolic code, a numeric code or a message pattern (with its language). */
  matched?: { by: 'symbolic' | 'numeric' | 'message'; code: string; language?: string };
}

export interface Classification {
  /** Canonical symbolic code (e.g. `ExtensionOperationFailed`), or `Unclassified`. */
  code: string;
  signals: Signal[];
  /** Automation class of the catalogue entry; `report-only` for Unclassified. */
  automation: AutomationClass;
  docUrl?: string;
  /** When signals pointed at more than one code. */
  conflicting?: string[];
}

export type ActionStatus = 'proposed' | 'applied' | 'skipped' | 'blocked' | 'failed';

/** An action nothing has been done about yet: proposed, or without a status (a plan before execution). */
export function isOpenStatus(status: ActionStatus | string | undefined): boolean {
  return status === undefined || status === 'proposed';
}

export interface PlannedAction {
  kind: ActionKind;
  /** ARM resource id the write targets (for trigger-backup: the protected item id; for run-guest-fix: the VM id). */
  target: string;
  method: 'DELETE' | 'POST';
  /** Human sentence: why this write fixes the failure. */
  reason: string;
  evidence: Record<string, unknown>;
  status?: ActionStatus;
  /** Why an action was skipped/blocked/failed, when it was. */
  detail?: string;
  /** Set after apply: ARM job id for trigger-backup, operation result for deletes. */
  result?: Record<string, unknown>;
  /**
   * Set on an action that waits for a human (lib/approvals): the stored proposal it matches, that
   * proposal's status as this run last read it, and when it expires. Absent for every other action.
   */
  approval?: ActionApproval;
}

/** Status of a proposal (lib/approvals/types.ts). */
export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired' | 'executed' | 'refused';

export interface ActionApproval {
  id: string;
  status: ApprovalStatus;
  expiresAt: string;
}

export type FindingKind =
  | 'agent-not-ready'
  | 'agent-outdated'
  | 'vm-not-running'
  | 'no-outbound-connectivity'
  | 'lock-blocks-cleanup'
  | 'restore-point-limit'
  | 'backup-in-progress'
  | 'already-recovered'
  | 'unclassified-error'
  | 'conflicting-signals'
  | 'report-only-error'
  | 'out-of-scope'
  | 'opted-out'
  | 'extension-missing'
  | 'extension-failed'
  | 'vm-not-found'
  | 'ambiguous-target'
  | 'guardrail'
  | 'cooldown'
  | 'kill-switch'
  | 'lease-held'
  | 'precondition-changed'
  | 'action-failed'
  | 'verification'
  | 'read-failed'
  /** The action waits for a human's approval (lib/approvals); nothing of the VM's plan runs meanwhile. */
  | 'awaiting-approval'
  /** The action's proposal was rejected, expired or went stale: it is never executed. */
  | 'approval-refused';

export interface Finding {
  kind: FindingKind;
  message: string;
  evidence: Record<string, unknown>;
  docUrl?: string;
  /** The exact next step for a human, when the engine will not act. */
  nextStep?: string;
}

/** `expired`: the backup did not end (or could not be read) within the verification window. */
export type VerificationOutcome = 'resolved' | 'escalated' | 'pending' | 'expired';

export interface Verification {
  outcome: VerificationOutcome;
  jobId?: string;
  status?: string;
  failureCode?: string;
}

export interface PlanItem {
  vmId: string;
  jobId: string;
  vaultId?: string;
  protectedItemId?: string;
  failure: { code: string; signals: Signal[]; automation?: AutomationClass; docUrl?: string };
  actions: PlannedAction[];
  findings: Finding[];
  verification?: Verification;
}

/** Why discovery left something out of the run: nothing to act on, with the reason. */
export interface RunNote {
  vmId?: string;
  jobId?: string;
  reason: string;
}

export interface RunReport {
  schemaVersion: 1;
  mode: RunMode;
  runId: string;
  startedAt: string;
  finishedAt: string;
  items: PlanItem[];
  /** Counts for a glance: items, writes by kind, findings by kind, verification outcomes. */
  summary: Record<string, number>;
  /**
   * What discovery looked at and left out, with why (VM not protected, job not failed, a later backup
   * succeeded or is running, ambiguous target). Present only when there is something to say.
   */
  notes?: RunNote[];
  /**
   * Numeric error codes the run's failed jobs carried, with what each job was read as (see
   * lib/ledger/observed-codes.ts). Present only when there is one.
   */
  observedCodes?: ObservedCodeSummary[];
  /**
   * Proposals in the run's scope still waiting for a human's decision (lib/approvals), whichever
   * run proposed them. Present only when there is one.
   */
  pendingApprovals?: PendingApproval[];
}

/** One proposal waiting for a human: approve or reject it by its id (HTTP or CLI). */
export interface PendingApproval {
  id: string;
  vmId: string;
  action: ActionKind;
  target: string;
  /** `<id>@<version>` of the script a guest fix would run; absent for other actions. */
  script?: string;
  failureCode: string;
  proposedAt: string;
  expiresAt: string;
  /** The run that proposed it. */
  runId: string;
}

/** A numeric errorCode seen in a run and the catalogue code (or Unclassified) its jobs were read as. */
export interface ObservedCodeSummary {
  code: number;
  classification: string;
  /** The number itself is documented (the catalogue may act on it alone). */
  documented: boolean;
  /** Failed jobs in the run that carried it. */
  count: number;
  /** One message it came with, clipped. */
  message?: string;
}
