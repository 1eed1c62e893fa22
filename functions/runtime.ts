// Each invocation logs through its own InvocationContext, so Application Insights ties every line
// to the invocation; the engine adds runId, vmId and jobId to the lines themselves.

import type { InvocationContext } from '@azure/functions';
import { createLogger, functionContextSink } from '../lib/log';
import { getRuntime, type Runtime } from '../lib/runtime';

export async function runtimeFor(context: InvocationContext): Promise<Runtime> {
  const rt = await getRuntime();
  return { ...rt, log: createLogger(functionContextSink(context), { invocationId: context.invocationId, functionName: context.functionName }) };
}
