// One VM per message, fanned out by the timer. Failures end in the poison queue and the ledger.

import { app, type InvocationContext } from '@azure/functions';
import { runtimeFor } from './runtime';
import { processWorkMessage, recordPoison, type OneVmResult } from '../lib/service';

const QUEUE = '%REMEDIATION_QUEUE%';

export async function remediateVm(message: unknown, context: InvocationContext): Promise<OneVmResult | undefined> {
  const dequeueCount = Number(context.triggerMetadata?.dequeueCount ?? 1);
  return processWorkMessage(await runtimeFor(context), message, dequeueCount);
}

export async function remediateVmPoison(message: unknown, context: InvocationContext): Promise<void> {
  await recordPoison(await runtimeFor(context), message);
}

app.storageQueue('remediateVm', { queueName: QUEUE, connection: 'AzureWebJobsStorage', handler: remediateVm });
app.storageQueue('remediateVmPoison', { queueName: `${QUEUE}-poison`, connection: 'AzureWebJobsStorage', handler: remediateVmPoison });
