// Where the ledger and work queue live, from the same app settings the Functions host reads:
// `AzureWebJobsStorage` (connection string) or the identity-based `AzureWebJobsStorage__*` family.

export type StorageConfig =
  | { kind: 'connection-string'; connectionString: string }
  | { kind: 'identity'; tableEndpoint: string; queueEndpoint: string; clientId?: string };

/**
 * Reads storage settings; `undefined` when none is set (the CLI then starts Azurite).
 * Throws on a setting that is present but unusable, naming it.
 */
export function storageFromEnv(env: Record<string, string | undefined>): StorageConfig | undefined {
  const cs = env.AzureWebJobsStorage?.trim();
  if (cs) {
    if (!/UseDevelopmentStorage=true/i.test(cs) && !/AccountName=|TableEndpoint=|SharedAccessSignature=/i.test(cs)) {
      throw new Error('AzureWebJobsStorage is set but is not a storage connection string (expected AccountName=... or TableEndpoint=...)');
    }
    return { kind: 'connection-string', connectionString: cs };
  }
  const account = env.AzureWebJobsStorage__accountName?.trim();
  const tableUri = env.AzureWebJobsStorage__tableServiceUri?.trim();
  const queueUri = env.AzureWebJobsStorage__queueServiceUri?.trim();
  if (!account && !tableUri && !queueUri) return undefined;
  if (account && !/^[a-z0-9]{3,24}$/.test(account)) {
    throw new Error(`AzureWebJobsStorage__accountName ${JSON.stringify(account)} is not a storage account name (3-24 lower-case letters and digits)`);
  }
  const tableEndpoint = tableUri || (account ? `https://${account}.table.core.windows.net` : undefined);
  const queueEndpoint = queueUri || (account ? `https://${account}.queue.core.windows.net` : undefined);
  if (!tableEndpoint || !queueEndpoint) {
    throw new Error('Set AzureWebJobsStorage__accountName, or both AzureWebJobsStorage__tableServiceUri and AzureWebJobsStorage__queueServiceUri');
  }
  const clientId = env.AzureWebJobsStorage__clientId?.trim() || env.AZURE_CLIENT_ID?.trim() || undefined;
  return { kind: 'identity', tableEndpoint, queueEndpoint, ...(clientId ? { clientId } : {}) };
}
