// HTTP API for human approvals (function keys): GET /api/approvals[?status=] and
// POST /api/approvals/{id} { "decision": "approve" | "reject", "approver": "<name>", "note"?: "..." }.
// A thin adapter over lib/approvals/api.ts; nothing here reaches ARM.

import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { approverOf, decideApproval, listApprovals, parseDecisionBody, parseProposalId, parseStatusFilter } from '../lib/approvals/api';
import { InputError } from '../lib/intake/errors';
import { readJsonRequest } from '../lib/intake/http';
import type { Runtime } from '../lib/runtime';
import { respond } from './respond';
import { runtimeFor } from './runtime';

function storeOf(rt: Runtime) {
  if (!rt.ledger.approvals) throw new InputError(404, 'ApprovalsUnavailable', 'this ledger keeps no approvals');
  return rt.ledger.approvals;
}

export async function listApprovalsHttp(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  return respond(context, async () => {
    const status = parseStatusFilter(request.query.get('status'));
    const rt = await runtimeFor(context);
    return { status: 200, jsonBody: { approvals: await listApprovals(storeOf(rt), rt.settings, status) } };
  });
}

export async function decideApprovalHttp(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  return respond(context, async () => {
    // Everything the caller sent is checked before the first read.
    const id = parseProposalId(request.params.id);
    const body = parseDecisionBody(readJsonRequest(await request.text(), request.headers));
    const who = approverOf(body, request.headers.get('x-ms-client-principal-name'));
    const rt = await runtimeFor(context);
    const answer = await decideApproval(storeOf(rt), rt.settings, id, { decision: body.decision, ...who, ...(body.note ? { note: body.note } : {}) });
    return { status: answer.status, jsonBody: answer.body };
  });
}

app.http('listApprovals', { route: 'approvals', methods: ['GET'], authLevel: 'function', handler: listApprovalsHttp });
app.http('decideApproval', { route: 'approvals/{id}', methods: ['POST'], authLevel: 'function', handler: decideApprovalHttp });
