// Action group "Azure Function" receiver: the common-alert-schema payload of a Backup Failure alert.

import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { parseAlert } from '../lib/intake/event';
import { parseJsonBody } from '../lib/intake/http';
import { runtimeFor } from './runtime';
import { handleIntake } from '../lib/service';
import { respond } from './respond';

export async function alertWebhook(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  return respond(context, async () => {
    const intake = parseAlert(parseJsonBody(await request.text(), request.headers.get('content-length')), 'action-group');
    const result = await handleIntake(await runtimeFor(context), intake, 'alert');
    // Ignored and duplicate alerts are acknowledged (2xx) so the action group does not retry them.
    return { status: result.outcome === 'handled' ? 200 : 202, jsonBody: result };
  });
}

app.http('alertWebhook', { route: 'alerts', methods: ['POST'], authLevel: 'function', handler: alertWebhook });
