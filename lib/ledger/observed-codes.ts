// Numeric error codes the service sent, and what each failure was read as. The REST API types a job's
// errorCode as an integer and Microsoft documents only three of them, so the numbers are learned, not
// trusted: classification never waits on an unknown number (the message decides) and never acts on
// one alone (lib/classify.ts). Recording every (number, message, classification) lets an operator see
// which numbers mean what in their tenant: per run in the report, across runs in the ledger.
import type { TableClient } from '@azure/data-tables';
import { catalogueEntryByNumber } from '../catalogue';
import type { ObservedCodeSummary, PlanItem } from '../types';
import { idKey, tableName } from './keys';
import { createTableClient, statusOf, wrapStorageError } from './tables';
import type { LedgerOptions, ObservedCode, ObservedCodeRecord } from './types';

export type { ObservedCode, ObservedCodeRecord } from './types';

const NUMERIC = /^\d{1,12}$/;
const MESSAGE_SOURCES = ['errorString', 'errorTitle', 'dynamicErrorMessage', 'alert'];
const MAX_MESSAGE = 300;

/** Every numeric errorCode in the items' signals, with the job's message and classification. */
export function observedCodes(items: readonly PlanItem[]): ObservedCode[] {
  const out: ObservedCode[] = [];
  for (const item of items) {
    const signals = item.failure?.signals ?? [];
    const message = MESSAGE_SOURCES.map((s) => signals.find((x) => x.source === s)?.value).find((v) => v && v.trim() !== '') ?? '';
    for (const s of signals) {
      if (s.source !== 'errorCode' || !NUMERIC.test(s.value.trim())) continue;
      out.push({ code: Number(s.value), message: message.slice(0, MAX_MESSAGE), classification: item.failure.code });
    }
  }
  return out;
}

/** One line per (number, classification): how many jobs, whether the number is documented, a sample message. */
export function summarizeObservedCodes(observed: readonly ObservedCode[]): ObservedCodeSummary[] {
  const byKey = new Map<string, ObservedCodeSummary>();
  for (const o of observed) {
    const key = `${o.code}|${o.classification}`;
    const seen = byKey.get(key);
    if (seen) seen.count += 1;
    else {
      byKey.set(key, {
        code: o.code,
        classification: o.classification,
        documented: catalogueEntryByNumber(o.code) !== undefined,
        count: 1,
        ...(o.message ? { message: o.message } : {}),
      });
    }
  }
  return [...byKey.values()].sort((a, b) => a.code - b.code || a.classification.localeCompare(b.classification));
}

/**
 * The ObservedCodes table: partition = the number, row = (classification, message). Counts are
 * read-then-written, so two runs recording the same triple at the same instant may count it once;
 * the table is an operator's summary, never an input to a decision.
 */
export class ObservedCodeStore {
  private readonly client: TableClient;
  private ready?: Promise<unknown>;
  readonly table: string;

  constructor(opts: LedgerOptions, private readonly now: () => Date = opts.now ?? (() => new Date())) {
    this.table = tableName(opts.prefix ?? 'remediator', 'ObservedCodes');
    this.client = createTableClient(opts, this.table);
  }

  /** Adds this run's observations (one count per failed job). */
  async record(runId: string, observed: readonly ObservedCode[]): Promise<void> {
    if (observed.length === 0) return;
    await this.init();
    const at = this.now();
    const counts = new Map<string, { o: ObservedCode; n: number }>();
    for (const o of observed) {
      const k = `${o.code}|${o.classification}|${o.message}`;
      counts.set(k, { o, n: (counts.get(k)?.n ?? 0) + 1 });
    }
    for (const { o, n } of counts.values()) await this.add(runId, o, n, at);
  }

  /** Every row, most frequent first. */
  async list(): Promise<ObservedCodeRecord[]> {
    await this.init();
    const rows: ObservedCodeRecord[] = [];
    try {
      for await (const r of this.client.listEntities<Record<string, unknown>>()) rows.push(fromRow(r));
    } catch (e) {
      throw wrapStorageError(e, 'list observed codes', this.table);
    }
    return rows.sort((a, b) => b.count - a.count || a.code - b.code);
  }

  private init(): Promise<unknown> {
    this.ready ??= this.client.createTable().catch((e: unknown) => {
      this.ready = undefined;
      throw wrapStorageError(e, 'create table', this.table);
    });
    return this.ready;
  }

  private async add(runId: string, o: ObservedCode, n: number, at: Date): Promise<void> {
    const pk = String(o.code);
    const rk = idKey(`${o.classification}|${o.message}`);
    const existing = await this.client.getEntity<Record<string, unknown>>(pk, rk).catch((e: unknown) => {
      if (statusOf(e) === 404) return undefined;
      throw wrapStorageError(e, 'read observed code', this.table, pk, rk);
    });
    const entity = {
      partitionKey: pk,
      rowKey: rk,
      code: o.code,
      classification: o.classification,
      message: o.message,
      documented: catalogueEntryByNumber(o.code) !== undefined,
      count: (typeof existing?.count === 'number' ? existing.count : 0) + n,
      firstSeen: existing?.firstSeen instanceof Date ? existing.firstSeen : at,
      lastSeen: at,
      lastRunId: runId,
    };
    await this.client.upsertEntity(entity, 'Replace').catch((e: unknown) => {
      throw wrapStorageError(e, 'record observed code', this.table, pk, rk);
    });
  }
}

function fromRow(r: Record<string, unknown>): ObservedCodeRecord {
  const date = (v: unknown) => (v instanceof Date ? v : new Date(String(v)));
  return {
    code: Number(r.code),
    classification: String(r.classification ?? ''),
    message: String(r.message ?? ''),
    documented: r.documented === true,
    count: Number(r.count ?? 0),
    firstSeen: date(r.firstSeen),
    lastSeen: date(r.lastSeen),
    lastRunId: String(r.lastRunId ?? ''),
  };
}
