// `backup-remediator run <runId>`: what the ledger holds about one run, as JSON. A finished run prints
// its report; a run still running, or killed and closed as abandoned, prints its status, every write
// it sent (answered or not) and its report rebuilt from the ledger, like GET /api/runs/{runId}.
import { describeRun } from '../lib/ledger/liveness';
import { EXIT, UsageError } from './exit-codes';
import type { CliIo } from './io';
import { loadCliSettings } from './run';
import { openConfiguredLedger } from './storage';

export async function showRun(runId: string, io: CliIo, cleanup: (fn: () => Promise<void>) => void): Promise<number> {
  if (!/^[A-Za-z0-9._:-]{1,200}$/.test(runId)) throw new UsageError(`run id ${JSON.stringify(runId.slice(0, 80))}: expected letters, digits and . _ : -`);
  const settings = loadCliSettings(io.env, 'plan');
  const store = await openConfiguredLedger(io.env, { prefix: settings.ledgerPrefix, missing: 'run: no ledger configured (set AzureWebJobsStorage): a temporary ledger holds no earlier run' });
  cleanup(() => store.close());
  const run = await store.ledger.getRun(runId);
  if (!run) throw new UsageError(`run ${runId} not found in the ${store.description}`);
  const body = run.status === 'finished' ? (run.report ?? { runId, status: run.status }) : await describeRun(store.ledger, run);
  io.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
  return EXIT.ok;
}
