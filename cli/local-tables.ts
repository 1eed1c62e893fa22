// An in-process stand-in for the few Azure Table Storage calls the ledger makes (create table,
// create/get/update/upsert/delete entity with ETags, list with `PartitionKey eq ...` filters),
// so the CLI without configured storage keeps the whole ledger logic (lib/ledger/table-ledger.ts:
// leases, attempts, kill switch, reports) without starting Azurite, a devDependency the installed
// CLI does not have. Same status codes as the service (404, 409, 412), so the ledger's conditional
// writes behave as they do in Azure. It lives as long as the process: no history between runs.
import type { TableClient } from '@azure/data-tables';

type Entity = Record<string, unknown> & { partitionKey: string; rowKey: string };
interface Stored {
  entity: Entity;
  etag: string;
  timestamp: Date;
}

class StorageStatusError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
  ) {
    super(`${code} (${statusCode})`);
    this.name = 'RestError';
  }
}

type Comparison = { field: string; op: string; value: string };

/** `Field op 'value' [and ...]`: the only filter shape the ledger sends (odata`` of strings). */
function parseFilter(filter: string | undefined): Comparison[] {
  if (!filter) return [];
  return filter.split(/\s+and\s+/i).map((part) => {
    const m = /^\s*(\w+)\s+(eq|ne|gt|ge|lt|le)\s+'((?:[^']|'')*)'\s*$/i.exec(part);
    if (!m) throw new StorageStatusError(400, `InvalidInput: unsupported filter ${part}`);
    return { field: m[1], op: m[2].toLowerCase(), value: m[3].replace(/''/g, "'") };
  });
}

function matches(e: Entity, filter: Comparison[]): boolean {
  return filter.every(({ field, op, value }) => {
    const key = field === 'PartitionKey' ? 'partitionKey' : field === 'RowKey' ? 'rowKey' : field;
    const v = String(e[key] ?? '');
    const c = v < value ? -1 : v > value ? 1 : 0;
    return { eq: c === 0, ne: c !== 0, gt: c > 0, ge: c >= 0, lt: c < 0, le: c <= 0 }[op as 'eq'];
  });
}

/**
 * Stored values are copies, as over the wire. Not structuredClone: its Dates and typed arrays come
 * from another realm under jest's vm sandbox, and the ledger checks `instanceof Date`.
 */
function copy<T>(v: T): T {
  if (v instanceof Date) return new Date(v.getTime()) as T;
  if (v instanceof Uint8Array) return new Uint8Array(v) as T;
  if (Array.isArray(v)) return v.map(copy) as T;
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, copy(x)])) as T;
  return v;
}

class LocalTable {
  private readonly rows = new Map<string, Stored>();
  private seq = 0;

  private key(pk: string, rk: string): string {
    return JSON.stringify([pk, rk]);
  }

  private put(entity: Entity): { etag: string } {
    const etag = `W/"local-${++this.seq}"`;
    this.rows.set(this.key(entity.partitionKey, entity.rowKey), { entity: copy(entity), etag, timestamp: new Date() });
    return { etag };
  }

  private existing(pk: string, rk: string, etag: string | undefined): Stored {
    const row = this.rows.get(this.key(pk, rk));
    if (!row) throw new StorageStatusError(404, 'ResourceNotFound');
    if (etag !== undefined && etag !== '*' && etag !== row.etag) throw new StorageStatusError(412, 'UpdateConditionNotSatisfied');
    return row;
  }

  private view(row: Stored): Entity {
    return { ...copy(row.entity), etag: row.etag, timestamp: row.timestamp.toISOString() };
  }

  async createTable(): Promise<void> {}

  async createEntity(entity: Entity): Promise<{ etag: string }> {
    if (this.rows.has(this.key(entity.partitionKey, entity.rowKey))) throw new StorageStatusError(409, 'EntityAlreadyExists');
    return this.put(entity);
  }

  async getEntity(pk: string, rk: string): Promise<Entity> {
    return this.view(this.existing(pk, rk, undefined));
  }

  async updateEntity(entity: Entity, mode: 'Merge' | 'Replace' = 'Merge', opts?: { etag?: string }): Promise<{ etag: string }> {
    const row = this.existing(entity.partitionKey, entity.rowKey, opts?.etag ?? '*');
    return this.put(mode === 'Merge' ? { ...row.entity, ...entity } : entity);
  }

  async upsertEntity(entity: Entity, mode: 'Merge' | 'Replace' = 'Merge'): Promise<{ etag: string }> {
    const row = this.rows.get(this.key(entity.partitionKey, entity.rowKey));
    return this.put(row && mode === 'Merge' ? { ...row.entity, ...entity } : entity);
  }

  async deleteEntity(pk: string, rk: string, opts?: { etag?: string }): Promise<void> {
    this.existing(pk, rk, opts?.etag ?? '*');
    this.rows.delete(this.key(pk, rk));
  }

  async *listEntities(opts?: { queryOptions?: { filter?: string } }): AsyncIterableIterator<Entity> {
    const filter = parseFilter(opts?.queryOptions?.filter);
    const rows = [...this.rows.values()].filter((r) => matches(r.entity, filter));
    // The service returns rows ordered by PartitionKey, then RowKey.
    rows.sort((a, b) => (a.entity.partitionKey + '\u0000' + a.entity.rowKey < b.entity.partitionKey + '\u0000' + b.entity.rowKey ? -1 : 1));
    for (const r of rows) yield this.view(r);
  }
}

/** A table-client factory for `createLedger({ tableClient })`: one in-memory store per call. */
export function createLocalTables(): (table: string) => TableClient {
  const tables = new Map<string, LocalTable>();
  return (name) => {
    let t = tables.get(name);
    if (!t) tables.set(name, (t = new LocalTable()));
    // The ledger uses only the methods above; the cast is the narrow surface it relies on.
    return t as unknown as TableClient;
  };
}
