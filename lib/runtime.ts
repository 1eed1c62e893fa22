// What a trigger needs to run the engine: settings, ARM clients, the ledger, the work queue and a
// logger. Built once per process from app settings (validated at start, with every problem named)
// and shared by all invocations; tests and other hosts install their own with setRuntime().

import type { TokenCredential } from '@azure/core-auth';
import { createArmContext, type ArmContext } from './arm/clients';
import { ConfigError, loadSettings, type Settings } from './config';
import { appCredential } from './credential';
import { createLedger, storageFromEnv, type Ledger } from './ledger';
import { createLogger, streamSink, type Logger } from './log';
import { otelSink, startAzureTelemetry } from './telemetry';
import { createWorkQueue, type WorkQueue } from './storage/queue';

export interface Runtime {
  settings: Settings;
  arm: ArmContext;
  ledger: Ledger;
  queue: WorkQueue;
  log: Logger;
  /** The engine's clock; the in-process emulator passes its simulated one. */
  now?: () => Date;
  /** How verification waits between polls; tests advance a simulated clock instead of sleeping. */
  verifyWait?: (ms: number) => Promise<void>;
  /** Events run per minute per entry point before the rest wait for the reconcile (default lib/intake/limiter). */
  intakeEventsPerMinute?: number;
}

let current: Promise<Runtime> | undefined;

/** Builds the runtime from app settings. Throws ConfigError (every bad setting named) on a bad deployment. */
export async function runtimeFromEnv(env: Record<string, string | undefined> = process.env): Promise<Runtime> {
  const settings = loadSettings(env);
  // Storage settings are configuration too: a bad one is reported as such (not as an Azure failure).
  let storage;
  try {
    storage = storageFromEnv(env);
  } catch (e) {
    throw new ConfigError([(e as Error).message]);
  }
  if (!storage) {
    throw new ConfigError(['No storage configured: set AzureWebJobsStorage (connection string) or AzureWebJobsStorage__accountName (identity-based)']);
  }
  // The app's user-assigned managed identity in Azure; the developer's sign-in locally (lib/credential.ts).
  const credential: TokenCredential = appCredential(env);
  const arm = createArmContext({ endpoint: settings.armEndpoint, credential });
  const ledger =
    storage.kind === 'connection-string'
      ? await createLedger({ connectionString: storage.connectionString, prefix: settings.ledgerPrefix })
      : await createLedger({ tableEndpoint: storage.tableEndpoint, credential, prefix: settings.ledgerPrefix });
  const queue =
    storage.kind === 'connection-string'
      ? createWorkQueue({ connectionString: storage.connectionString, name: settings.queueName })
      : createWorkQueue({ queueEndpoint: storage.queueEndpoint, credential, name: settings.queueName });
  await queue.ensure();
  // In Azure: OpenTelemetry to Application Insights, dimensions as customDimensions; else JSON lines.
  const telemetry = await startAzureTelemetry(env, credential);
  return { settings, arm, ledger, queue, log: createLogger(telemetry ? otelSink() : streamSink(process.stdout)) };
}

export function getRuntime(): Promise<Runtime> {
  if (!current) {
    current = runtimeFromEnv();
    // A failed start (bad settings, storage down) is retried by the next invocation, not cached.
    current.catch(() => {
      current = undefined;
    });
  }
  return current;
}

/** Installs a runtime (tests, other hosts); `undefined` resets to building one from app settings. */
export function setRuntime(rt: Runtime | undefined): void {
  current = rt ? Promise.resolve(rt) : undefined;
}
