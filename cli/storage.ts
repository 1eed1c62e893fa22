// The ledger for a CLI run: the configured storage account when there is one, else the same
// ledger over an in-process table store (cli/local-tables.ts) that lives as long as the process.
// Not Azurite: that is a devDependency, absent from a production install.

import { DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import { createLedger, storageFromEnv, type Ledger } from '../lib/ledger';
import { createLocalTables } from './local-tables';
import { UsageError } from './exit-codes';

export interface LedgerHandle {
  ledger: Ledger;
  description: string;
  close(): Promise<void>;
}

/** The storage the environment configures (undefined: none); a malformed setting is a usage error. */
function configuredStorage(env: Record<string, string | undefined>): ReturnType<typeof storageFromEnv> {
  try {
    return storageFromEnv(env);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/**
 * The configured storage account's ledger, for commands that read what earlier runs left (a run,
 * proposals): the in-memory fallback would hold nothing, so no storage setting is a usage error
 * (`missing` says so in the command's words).
 */
export async function openConfiguredLedger(env: Record<string, string | undefined>, opts: { prefix: string; missing: string }): Promise<LedgerHandle> {
  if (!configuredStorage(env)) throw new UsageError(opts.missing);
  return openLedger(env, { prefix: opts.prefix });
}

export async function openLedger(env: Record<string, string | undefined>, opts: { prefix: string; now?: () => Date }): Promise<LedgerHandle> {
  const config = configuredStorage(env);
  if (config?.kind === 'connection-string') {
    const ledger = await createLedger({ connectionString: config.connectionString, prefix: opts.prefix, now: opts.now });
    return { ledger, description: 'ledger in AzureWebJobsStorage', close: async () => undefined };
  }
  if (config?.kind === 'identity') {
    const credential = config.clientId ? new ManagedIdentityCredential({ clientId: config.clientId }) : new DefaultAzureCredential();
    const ledger = await createLedger({ tableEndpoint: config.tableEndpoint, credential, prefix: opts.prefix, now: opts.now });
    return { ledger, description: `ledger at ${config.tableEndpoint}`, close: async () => undefined };
  }
  const ledger = await createLedger({ tableClient: createLocalTables(), prefix: opts.prefix, now: opts.now });
  return {
    ledger,
    description: 'ledger in memory for this run only (set AzureWebJobsStorage to keep history between runs)',
    close: async () => undefined,
  };
}
