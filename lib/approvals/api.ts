// The human side of approvals, shared by `GET/POST /api/approvals` and the CLI's `approvals` command:
// list proposals, approve or reject one. Untrusted input is refused before any read (id format, body
// shape), the proposal's VM must be inside the configured scope before its state is looked at, and a
// decision is ETag-conditional in the store, so a replay or a second decision is a 409 with the state.
// Nothing here reaches ARM: an approved proposal is executed by the next run, through the same guards,
// lease, caps and write-ahead ledger as every other write (docs/design.md, "Approvals").
import { z } from 'zod';
import { parseVmId } from '../arm/ids';
import { InputError } from '../intake/errors';
import { Scope, type ScopeLists } from '../scope';
import type { ApprovalStatus } from '../types';
import { isProposalId } from './ids';
import type { Decision, IdentitySource, Proposal, ProposalStore } from './types';

const STATUSES: readonly ApprovalStatus[] = ['pending', 'approved', 'rejected', 'expired', 'executed', 'refused'];
/** Names are for people: letters, digits, spaces and the punctuation of e-mail addresses and UPNs. */
const NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._@'+-]{0,127}$/u;
const NO_CONTROL = /^[^\p{Cc}]*$/u;

const decisionBody = z.strictObject({
  decision: z.enum(['approve', 'reject']),
  approver: z.string().trim().regex(NAME, 'approver must be 1-128 letters, digits, spaces or . _ @ \' + -').optional(),
  note: z.string().max(1000, 'note is longer than 1000 characters').regex(NO_CONTROL, 'note holds control characters').optional(),
});

export interface DecisionRequest {
  decision: 'approve' | 'reject';
  approver?: string;
  note?: string;
}

/** A parsed body, or a 400 naming the first problem (unknown fields included). */
export function parseDecisionBody(body: unknown): DecisionRequest {
  const parsed = decisionBody.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  const message = issue.code === 'unrecognized_keys' ? `unexpected field(s): ${issue.keys.slice(0, 5).map((k) => JSON.stringify(k.slice(0, 40))).join(', ')}` : `${where}${issue.message}`;
  throw new InputError(400, 'InvalidBody', `${message.slice(0, 300)}; expected { "decision": "approve" | "reject", "approver": "<name>", "note"?: "..." }`);
}

export function parseProposalId(v: unknown): string {
  if (!isProposalId(v)) throw new InputError(400, 'InvalidApprovalId', 'approval id must be 24 characters of letters, digits, - and _');
  return v;
}

export function parseStatusFilter(v: unknown): ApprovalStatus | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string' && (STATUSES as readonly string[]).includes(v)) return v as ApprovalStatus;
  throw new InputError(400, 'InvalidStatus', `status must be one of ${STATUSES.join(', ')}`);
}

/**
 * Who decides: the App Service Authentication principal when the platform set one (it overwrites
 * that header on every request it authenticates), else the name the caller gave. Both are recorded.
 */
export function approverOf(req: DecisionRequest, principal: string | null | undefined, fallback: IdentitySource = 'request-body'): Pick<Decision, 'approver' | 'via' | 'claimedApprover'> {
  const p = principal?.trim();
  if (p && NAME.test(p)) return { approver: p, via: 'app-service-authentication', ...(req.approver && req.approver !== p ? { claimedApprover: req.approver } : {}) };
  if (p) throw new InputError(400, 'InvalidPrincipal', 'the x-ms-client-principal-name header is not a usable name');
  if (!req.approver) throw new InputError(400, 'InvalidBody', 'approver is required: the name of the human who decides');
  return { approver: req.approver, via: fallback };
}

/** A proposal as the API and CLI show it: dates as ISO text. */
export function proposalView(p: Proposal): Record<string, unknown> {
  return Object.fromEntries(Object.entries(p).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v]));
}

/** The configured scope, or 'any' (the CLI without REMEDIATION_SUBSCRIPTIONS: whoever holds the ledger's storage decides). */
export type ApprovalScope = ScopeLists | 'any';

function outsideScope(p: Proposal, lists: ApprovalScope): string | undefined {
  try {
    const vm = parseVmId(p.vmId);
    return lists === 'any' ? undefined : Scope.of(lists).outside(vm)?.message;
  } catch {
    return 'the proposal names no valid VM';
  }
}

/** Proposals inside the scope, newest first (those outside it are not shown). */
export async function listApprovals(store: ProposalStore, lists: ApprovalScope, status?: ApprovalStatus): Promise<Record<string, unknown>[]> {
  return (await store.list(status ? { status } : {})).filter((p) => !outsideScope(p, lists)).map(proposalView);
}

export type DecideAnswer = { status: 200 | 409; body: Record<string, unknown> };

const CONFLICT: Record<'already-decided' | 'expired' | 'conflict', string> = {
  'already-decided': 'AlreadyDecided',
  expired: 'ProposalExpired',
  conflict: 'ConcurrentDecision',
};

/** Approve or reject one proposal: 404 unknown, 403 outside the scope, 409 decided/expired, else 200. */
export async function decideApproval(store: ProposalStore, lists: ApprovalScope, id: string, decision: Decision): Promise<DecideAnswer> {
  const found = await store.get(id);
  if (!found) throw new InputError(404, 'ApprovalNotFound', `approval ${id} not found`);
  const outside = outsideScope(found, lists);
  if (outside) throw new InputError(403, 'OutOfScope', outside);
  const result = await store.decide(id, decision);
  if (result.ok) return { status: 200, body: proposalView(result.proposal) };
  if (result.why === 'not-found') throw new InputError(404, 'ApprovalNotFound', `approval ${id} not found`);
  const p = result.proposal;
  const by = p.decidedBy ? ` by ${p.decidedBy}${p.decidedAt ? ` at ${p.decidedAt.toISOString()}` : ''}` : '';
  const message = result.why === 'expired' ? `approval ${id} expired at ${p.expiresAt.toISOString()}: nothing will run` : `approval ${id} is already ${p.status}${by}`;
  return { status: 409, body: { error: { code: CONFLICT[result.why], message }, proposal: proposalView(p) } };
}
