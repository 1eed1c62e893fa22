// Action group "Azure Function" receiver: a common-alert-schema payload (lib/intake/alerts says which).

import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { parseAlert } from '../lib/intake/event';
import { readJsonRequest } from '../lib/intake/http';
import { runtimeFor } from './runtime';
import { handleIntake } from '../lib/service';
import { respond } from './respond';

export async function alertWebhook(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  return respond(context, async () => {
    const intake = parseAlert(readJsonRequest(await request.text(), request.headers), 'action-group');
    const result = await handleIntake(await runtimeFor(context), intake, 'alert', context.invocationId);
    // Ignored, deferred and duplicate alerts are acknowledged (2xx) so the action group does not retry them.
    return { status: result.outcome === 'handled' ? 200 : 202, jsonBody: result };
  });
}

app.http('alertWebhook', { route: 'alerts', methods: ['POST'], authLevel: 'function', handler: alertWebhook });
