// Entry point the Functions host loads (package.json "main"): registers every trigger.
import './timer';
import './event-grid';
import './alert-webhook';
import './http';
import './approvals';
import './queue';

import { app } from '@azure/functions';
import { redact } from '../lib/redact';
import { getRuntime } from '../lib/runtime';

// Validate app settings and storage once when the worker starts, so a bad deployment shows every
// problem in the log immediately instead of at the first invocation.
app.hook.appStart(async () => {
  try {
    await getRuntime();
  } catch (e) {
    console.error(redact(`backup-remediator cannot start: ${(e as Error).message}`));
  }
});
