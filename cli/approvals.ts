// `backup-remediator approvals list | approve <id> | reject <id>`: the same use cases as the HTTP API
// (lib/approvals/api.ts) over the configured ledger. The approver is --by, else the OS user running
// the command; both the name and how it was established are recorded with the decision.
import { userInfo } from 'node:os';
import { approverOf, decideApproval, listApprovals, parseDecisionBody, parseProposalId, parseStatusFilter, type ApprovalScope } from '../lib/approvals/api';
import type { ProposalStore } from '../lib/approvals/types';
import { InputError } from '../lib/intake/errors';
import { EXIT, UsageError } from './exit-codes';
import type { CliIo } from './io';
import { loadCliSettings } from './run';
import { openConfiguredLedger } from './storage';

export interface ApprovalFlags {
  status?: string;
  by?: string;
  note?: string;
}

type Cleanup = (fn: () => Promise<void>) => void;

/** The configured ledger's proposals and the scope decisions are checked against. */
async function open(io: CliIo, cleanup: Cleanup): Promise<{ store: ProposalStore; scope: ApprovalScope }> {
  const settings = loadCliSettings(io.env, 'plan');
  const handle = await openConfiguredLedger(io.env, { prefix: settings.ledgerPrefix, missing: 'approvals: no ledger configured (set AzureWebJobsStorage): a temporary ledger holds no proposal' });
  cleanup(() => handle.close());
  if (!handle.ledger.approvals) throw new UsageError('approvals: this ledger keeps no proposals');
  return { store: handle.ledger.approvals, scope: settings.subscriptions.length > 0 ? settings : 'any' };
}

/** Input errors of the shared use cases are the user's to fix: a message and exit 2. */
async function asUsage<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof InputError) throw new UsageError(e.message);
    throw e;
  }
}

export async function listCommand(flags: ApprovalFlags, io: CliIo, cleanup: Cleanup): Promise<number> {
  const status = await asUsage(async () => parseStatusFilter(flags.status));
  const { store, scope } = await open(io, cleanup);
  io.stdout.write(`${JSON.stringify({ approvals: await listApprovals(store, scope, status) }, null, 2)}\n`);
  return EXIT.ok;
}

export async function decideCommand(decision: 'approve' | 'reject', idRaw: string, flags: ApprovalFlags, io: CliIo, cleanup: Cleanup): Promise<number> {
  // The same checks as the HTTP body (lib/approvals/api.ts), before the ledger is opened.
  const { id, body } = await asUsage(async () => ({
    id: parseProposalId(idRaw),
    body: parseDecisionBody({ decision, approver: flags.by ?? userInfo().username, ...(flags.note !== undefined ? { note: flags.note } : {}) }),
  }));
  const who = approverOf(body, undefined, flags.by === undefined ? 'cli-user' : 'cli-flag');
  const { store, scope } = await open(io, cleanup);
  const answer = await asUsage(() => decideApproval(store, scope, id, { decision, ...who, ...(body.note ? { note: body.note } : {}) }));
  io.stdout.write(`${JSON.stringify(answer.body, null, 2)}\n`);
  if (answer.status !== 200) {
    io.stderr.write(`error: ${(answer.body.error as { message: string }).message}\n`);
    return EXIT.badInput;
  }
  return EXIT.ok;
}
