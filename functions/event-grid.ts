// Event Grid (Event Grid schema or CloudEvents 1.0): an alert or a minimal hint about one VM. The host
// hands the event already parsed, so its Content-Type is Event Grid's business; depth, shape and ids
// are checked in lib/intake. A bad event is recorded and acknowledged; Azure trouble is rethrown so
// Event Grid retries it and, past its retries, dead-letters it (infra/modules/events.bicep).

import { app, type InvocationContext } from '@azure/functions';
import { runtimeFor } from './runtime';
import { receiveEvent, type IntakeOutcome } from '../lib/service';

export async function eventGridIntake(event: unknown, context: InvocationContext): Promise<IntakeOutcome | undefined> {
  return receiveEvent(await runtimeFor(context), event, context.invocationId);
}

app.eventGrid('eventGridIntake', { handler: eventGridIntake });
