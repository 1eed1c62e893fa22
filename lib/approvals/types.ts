// What a proposal is: one approval-required write, stored until a named human approves or rejects it,
// and what a store of them must do. Types only (the ledger's types name ProposalStore without
// importing its implementation).
import type { ActionKind, ApprovalStatus } from '../types';

export type { ApprovalStatus } from '../types';

/** A proposal a run may still act on (or must keep honouring, for a rejection): not closed yet. */
export const LIVE_STATUSES: readonly ApprovalStatus[] = ['pending', 'approved', 'rejected'];

/** How the approver's name was established (recorded with the decision). */
export type IdentitySource = 'app-service-authentication' | 'request-body' | 'cli-flag' | 'cli-user';

export interface Proposal {
  /** Opaque, unguessable, URL-safe (lib/approvals/ids.ts). */
  id: string;
  /** `vmId|kind|target|script@version|failureCode`, lower-cased ids: what one approval is for. */
  key: string;
  status: ApprovalStatus;
  /** The run that proposed it. */
  runId: string;
  vmId: string;
  protectedItemId?: string;
  /** The failed backup job that led to the proposal. */
  jobId: string;
  failureCode: string;
  kind: ActionKind;
  target: string;
  /** `<id>@<version>` of the script (a guest fix's evidence.script), or '' for other actions. */
  script: string;
  reason: string;
  /** The planned action's evidence, redacted and clipped. */
  evidence: Record<string, unknown>;
  /** The VM's unique id (properties.vmId) the proposal saw, when the action's evidence carried one. */
  vmUniqueId?: string;
  proposedAt: Date;
  expiresAt: Date;
  decidedBy?: string;
  /** How decidedBy was established, and the name the request claimed when another identity won. */
  decidedVia?: IdentitySource;
  claimedApprover?: string;
  decidedAt?: Date;
  note?: string;
  executedByRun?: string;
  executedAt?: Date;
  /** What the write answered (`sending` until it did: a run that died meanwhile leaves that). */
  outcome?: string;
  /** Why a proposal was refused or expired (stale, rejected, resolved), and by which run. */
  closedReason?: string;
  closedByRun?: string;
  closedAt?: Date;
}

/** What a run knows when it proposes: the proposal minus what the store assigns. */
export type ProposalInput = Omit<Proposal, 'id' | 'key' | 'status' | 'proposedAt' | 'expiresAt'> & { ttlMs: number };

export interface ProposeResult {
  proposal: Proposal;
  /** A new proposal was stored (false: an existing live one was returned). */
  created: boolean;
  /** An earlier proposal with the same key that had expired unexecuted and was closed now. */
  expired?: Proposal;
}

export interface Decision {
  decision: 'approve' | 'reject';
  approver: string;
  via: IdentitySource;
  /** The body's name when another identity (the App Service principal) was recorded instead. */
  claimedApprover?: string;
  note?: string;
}

export type DecideResult =
  | { ok: true; proposal: Proposal }
  | { ok: false; why: 'not-found' }
  | { ok: false; why: 'already-decided' | 'expired' | 'conflict'; proposal: Proposal };

export interface ProposalStore {
  readonly table: string;
  /** Idempotent by key: a live proposal with the same key is returned, never duplicated. */
  propose(input: ProposalInput): Promise<ProposeResult>;
  get(id: string): Promise<Proposal | undefined>;
  /** Newest first; only those with this status when given. */
  list(filter?: { status?: ApprovalStatus; vmId?: string }): Promise<Proposal[]>;
  /** Pending → approved/rejected, ETag-conditional: a replay or a late second decision is refused. */
  decide(id: string, decision: Decision): Promise<DecideResult>;
  /** Approved → executed (outcome `sending`), ETag-conditional, right before the write. Undefined when it no longer was approved. */
  claim(id: string, runId: string): Promise<Proposal | undefined>;
  /** The write's answer on an executed proposal. */
  recordOutcome(id: string, outcome: string): Promise<void>;
  /** A live proposal closed as refused or expired, with why. Undefined when it was already closed. */
  close(id: string, status: 'refused' | 'expired', reason: string, runId?: string): Promise<Proposal | undefined>;
}
