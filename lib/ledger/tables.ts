// TableClient construction (connection string for Azurite/keys, endpoint + TokenCredential for a
// managed identity in Azure) and the error type that says which table and key a failure concerns.
import type { TableClient, TableServiceClientOptions } from '@azure/data-tables';
import type { TokenCredential } from '@azure/core-auth';

export interface TableTarget {
  connectionString?: string;
  /** Identity-based access: `https://<account>.table.core.windows.net`. */
  tableEndpoint?: string;
  credential?: TokenCredential;
  maxRetries?: number;
  /** A table client per table name instead of a storage account (the CLI's local ledger). */
  tableClient?: (table: string) => TableClient;
}

export class LedgerStorageError extends Error {
  constructor(
    message: string,
    readonly table: string,
    readonly partitionKey: string | undefined,
    readonly rowKey: string | undefined,
    readonly statusCode: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LedgerStorageError';
  }
}

/** HTTP status of a storage error, if it has one. */
export function statusOf(e: unknown): number | undefined {
  const s = (e as { statusCode?: unknown })?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

export function wrapStorageError(e: unknown, op: string, table: string, pk?: string, rk?: string): LedgerStorageError {
  if (e instanceof LedgerStorageError) return e;
  const status = statusOf(e);
  const where = pk === undefined ? `table ${table}` : `table ${table} key ${pk}/${rk ?? ''}`;
  const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
  return new LedgerStorageError(`ledger ${op} failed on ${where}${status ? ` (HTTP ${status})` : ''}: ${why}`, table, pk, rk, status, {
    cause: e,
  });
}

function isHttp(url: string): boolean {
  return /^http:\/\//i.test(url);
}

function connectionStringEndpoint(cs: string): string | undefined {
  if (/UseDevelopmentStorage=true/i.test(cs)) return 'http://127.0.0.1:10002';
  return /(?:^|;)\s*TableEndpoint=([^;]+)/i.exec(cs)?.[1] ?? (/DefaultEndpointsProtocol=http(?:;|$)/i.test(cs) ? 'http://' : undefined);
}

export function createTableClient(target: TableTarget, table: string): TableClient {
  const options = (url: string | undefined): TableServiceClientOptions => ({
    // Azurite speaks plain HTTP on loopback; Azure itself is always HTTPS.
    allowInsecureConnection: url !== undefined && isHttp(url),
    retryOptions: { maxRetries: target.maxRetries ?? 4 },
  });
  if (target.tableClient) return target.tableClient(table);
  // Loaded at the first table client, not at app load (cold start, bench/cold-load.ts).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { TableClient } = require('@azure/data-tables') as typeof import('@azure/data-tables');
  if (target.connectionString) {
    return TableClient.fromConnectionString(target.connectionString, table, options(connectionStringEndpoint(target.connectionString)));
  }
  if (target.tableEndpoint && target.credential) {
    return new TableClient(target.tableEndpoint, table, target.credential, options(target.tableEndpoint));
  }
  throw new Error(
    'Ledger storage is not configured: pass a connection string (AzureWebJobsStorage) or a table endpoint with a credential (AzureWebJobsStorage__accountName)',
  );
}
