// Event Grid (Event Grid schema or CloudEvents 1.0): an alert or a minimal hint about one VM.
// A bad event is recorded and acknowledged: Event Grid would only redeliver the same bad bytes.

import { app, type InvocationContext } from '@azure/functions';
import { isInputError } from '../lib/intake/errors';
import { parseEvent } from '../lib/intake/event';
import { runtimeFor } from './runtime';
import { handleIntake, type IntakeOutcome } from '../lib/service';

export async function eventGridIntake(event: unknown, context: InvocationContext): Promise<IntakeOutcome | undefined> {
  const rt = await runtimeFor(context);
  try {
    return await handleIntake(rt, parseEvent(event), 'eventgrid');
  } catch (e) {
    if (!isInputError(e)) throw e; // Azure or storage trouble: let Event Grid retry.
    const id = (event as { id?: unknown } | null)?.id;
    await rt.ledger.recordFailure('event-rejected', typeof id === 'string' ? id : context.invocationId, `${e.code}: ${e.message}`, event);
    context.warn(JSON.stringify({ msg: 'event rejected', status: e.status, code: e.code, reason: e.message }));
    return undefined;
  }
}

app.eventGrid('eventGridIntake', { handler: eventGridIntake });
