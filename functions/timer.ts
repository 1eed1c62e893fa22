// The reconciling safety net: every REMEDIATION_SCHEDULE, everything in the configured scope.

import { app, type InvocationContext, type Timer } from '@azure/functions';
import { runtimeFor } from './runtime';
import { reconcile, type ReconcileResult } from '../lib/service';

export async function reconcileTimer(_timer: Timer, context: InvocationContext): Promise<ReconcileResult> {
  const result = await reconcile(await runtimeFor(context));
  context.log(JSON.stringify({ msg: 'timer run done', runId: result.runId, enqueued: result.enqueued, deferred: result.deferred, summary: result.report?.summary }));
  return result;
}

app.timer('reconcile', { schedule: '%REMEDIATION_SCHEDULE%', runOnStartup: false, handler: reconcileTimer });
