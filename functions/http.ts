// HTTP API (function keys): POST /api/remediate { vmId, mode } and GET /api/runs/{runId}.

import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { parseRemediateRequest, readJsonRequest } from '../lib/intake/http';
import { runtimeFor } from './runtime';
import { getRunReport, remediateTarget } from '../lib/service';
import { respond } from './respond';
import { describeRun } from '../lib/ledger/liveness';

export async function remediate(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  return respond(context, async () => {
    const body = parseRemediateRequest(readJsonRequest(await request.text(), request.headers));
    const { report, leaseHeld } = await remediateTarget(await runtimeFor(context), { vm: body.vm }, 'http', body.mode);
    if (leaseHeld) {
      return { status: 409, jsonBody: { error: { code: 'LeaseHeld', message: `another run is working on ${body.vm.id}; retry later` }, report } };
    }
    return { status: 200, headers: { 'x-remediation-run-id': report.runId }, jsonBody: report };
  });
}

export async function getRun(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  return respond(context, async () => {
    const rt = await runtimeFor(context);
    const run = await getRunReport(rt, request.params.runId);
    // A run that did not finish (still running, or killed and closed as abandoned): its status and
    // every write it sent, with the report rebuilt from the ledger.
    if (run.status !== 'finished') return { status: 200, jsonBody: await describeRun(rt.ledger, run) };
    return { status: 200, jsonBody: run.report ?? { runId: run.runId, status: run.status } };
  });
}

app.http('remediate', { route: 'remediate', methods: ['POST'], authLevel: 'function', handler: remediate });
app.http('getRun', { route: 'runs/{runId}', methods: ['GET'], authLevel: 'function', handler: getRun });
