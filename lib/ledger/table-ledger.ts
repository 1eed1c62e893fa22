// The ledger on Azure Table Storage. One table per concern, derived from the prefix. Every key is
// derived (see keys.ts) and the original ids are kept as properties. Conditional writes (insert,
// If-Match) are what make leases and event claims safe across concurrent runs and instances.
import type { TableClient, TableEntityResult } from '@azure/data-tables';
import { odata } from './odata';
import pLimit from 'p-limit';
import type { PlanItem, PlannedAction, RunMode, RunReport } from '../types';
import { idKey, opaqueKey, tableName, timeRowKey } from './keys';
import { inlineProperties, packJson, readInline, unpackJson } from './payload';
import { createTableClient, LedgerStorageError, statusOf, wrapStorageError } from './tables';
import { ObservedCodeStore } from './observed-codes';
import type {
  AttemptRecord,
  FailureRecord,
  Lease,
  Ledger,
  LedgerOptions,
  LedgerTable,
  ObservedCode,
  ObservedCodeRecord,
  PendingVerification,
  RunningRun,
  RunStart,
  StoredRun,
  WritePhase,
  WriteRecord,
} from './types';
import { hostIdentity } from './host';
import { createProposalStore } from '../approvals/store';
import type { ProposalStore } from '../approvals/types';

const TABLE_SUFFIX: Record<LedgerTable, string> = {
  runs: 'Runs',
  decisions: 'Decisions',
  writes: 'Writes',
  attempts: 'Attempts',
  leases: 'Leases',
  control: 'Control',
  events: 'Events',
  failures: 'Failures',
};

const RUN_HEADER_ROW = 'run';
const REPORT_ROW_PREFIX = 'report_';
/** Reports of up to this many 60 KiB pieces stay in the run's header entity: one write, one read. */
const MAX_INLINE_REPORT_PIECES = 4;
/** Conditional-write races are retried a few times before giving up as "held". */
const RACE_RETRIES = 5;
/** A single property value holds at most 32 K UTF-16 characters; keep verbatim keys well under. */
const MAX_KEY_PROPERTY = 1024;

type Row = TableEntityResult<Record<string, unknown>>;

/** The attempt outcome of a Backup Now still running when its run ended. */
const PENDING = 'pending';
/** Control-table partition indexing the VMs whose latest attempt is pending. */
const PENDING_PARTITION = 'pendingVerification';
/** Control-table partition indexing the runs marked running, so finding dead runs reads no history. */
const RUNNING_PARTITION = 'runningRun';

/** Inline payload, or a note saying why it was left out: an oversized value must not lose the row. */
function payloadOrNote(name: string, value: unknown): Record<string, unknown> {
  try {
    return inlineProperties(name, value);
  } catch (e) {
    return { [`${name}Error`]: (e as Error).message };
  }
}

function asDate(v: unknown): Date | undefined {
  if (v instanceof Date) return v;
  if (typeof v === 'string' || typeof v === 'number') {
    const d = new Date(v);
    return Number.isNaN(d.getTime()) ? undefined : d;
  }
  return undefined;
}

function requireString(name: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0) throw new TypeError(`ledger: ${name} must be a non-empty string`);
  return v;
}

function requireDate(name: string, v: unknown): Date {
  if (!(v instanceof Date) || Number.isNaN(v.getTime())) throw new TypeError(`ledger: ${name} must be a valid Date`);
  return v;
}

class TableLedger implements Ledger {
  readonly tables: Readonly<Record<LedgerTable, string>>;
  private readonly clients: Record<LedgerTable, TableClient>;
  private readonly now: () => Date;
  private readonly observed: ObservedCodeStore;
  readonly approvals: ProposalStore;

  constructor(opts: LedgerOptions) {
    this.observed = new ObservedCodeStore(opts);
    this.approvals = createProposalStore(opts);
    const prefix = opts.prefix ?? 'remediator';
    const names = {} as Record<LedgerTable, string>;
    const clients = {} as Record<LedgerTable, TableClient>;
    for (const t of Object.keys(TABLE_SUFFIX) as LedgerTable[]) {
      names[t] = tableName(prefix, TABLE_SUFFIX[t]);
      clients[t] = createTableClient(opts, names[t]);
    }
    this.tables = names;
    this.clients = clients;
    this.now = opts.now ?? (() => new Date());
  }

  recordObservedCodes(runId: string, observed: readonly ObservedCode[]): Promise<void> {
    return this.observed.record(runId, observed);
  }

  observedCodes(): Promise<ObservedCodeRecord[]> {
    return this.observed.list();
  }

  async init(): Promise<void> {
    await Promise.all(
      (Object.keys(this.clients) as LedgerTable[]).map((t) =>
        this.call('create table', t, undefined, undefined, () => this.clients[t].createTable()),
      ),
    );
  }

  /** Runs one storage operation, turning its failure into a LedgerStorageError that names table and key. */
  private async call<T>(op: string, t: LedgerTable, pk: string | undefined, rk: string | undefined, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw wrapStorageError(e, op, this.tables[t], pk, rk);
    }
  }

  /** Like call(), but returns the HTTP status instead of throwing for the statuses a caller expects. */
  private async attempt<T>(
    op: string,
    t: LedgerTable,
    pk: string,
    rk: string,
    expected: number[],
    fn: () => Promise<T>,
  ): Promise<{ ok: true; value: T } | { ok: false; status: number }> {
    try {
      return { ok: true, value: await fn() };
    } catch (e) {
      const status = statusOf(e);
      if (status !== undefined && expected.includes(status)) return { ok: false, status };
      throw wrapStorageError(e, op, this.tables[t], pk, rk);
    }
  }

  private async list(t: LedgerTable, filter: string | undefined): Promise<Row[]> {
    return this.call('query', t, undefined, undefined, async () => {
      const rows: Row[] = [];
      for await (const e of this.clients[t].listEntities<Record<string, unknown>>({ queryOptions: filter ? { filter } : {} })) {
        rows.push(e);
      }
      return rows;
    });
  }

  // ---- runs ---------------------------------------------------------------------------------

  async startRun(run: RunStart): Promise<void> {
    const runId = requireString('runId', run.runId);
    requireDate('startedAt', run.startedAt);
    const pk = opaqueKey(runId);
    const res = await this.attempt('start run', 'runs', pk, RUN_HEADER_ROW, [409], () =>
      this.clients.runs.createEntity({
        partitionKey: pk,
        rowKey: RUN_HEADER_ROW,
        runId,
        status: 'running',
        mode: run.mode,
        trigger: run.trigger,
        startedAt: run.startedAt,
        // Wall time, host and process: how a later run tells a dead run from a slow one.
        heartbeatAt: new Date(),
        host: run.host ?? hostIdentity(),
        pid: run.pid ?? process.pid,
        ...inlineProperties('scope', run.scope ?? null),
      }),
    );
    if (res.ok) {
      await this.call('index running run', 'control', RUNNING_PARTITION, pk, () =>
        this.clients.control.upsertEntity({ partitionKey: RUNNING_PARTITION, rowKey: pk, runId }, 'Replace'),
      );
    }
    if (!res.ok) {
      throw new LedgerStorageError(
        `ledger start run failed on table ${this.tables.runs}: run ${runId} already exists`,
        this.tables.runs,
        pk,
        RUN_HEADER_ROW,
        409,
      );
    }
  }

  async finishRun(runId: string, report: RunReport): Promise<void> {
    requireString('runId', runId);
    const header = await this.reportHeader(runId, report);
    // Merge keeps mode/trigger/scope/startedAt from startRun; creates the header if startRun never ran.
    await this.call('finish run', 'runs', header.partitionKey, RUN_HEADER_ROW, () =>
      this.clients.runs.upsertEntity({ ...header, status: 'finished', finishedAt: asDate(report.finishedAt) ?? this.now() }, 'Merge'),
    );
    await this.unindexRunning(header.partitionKey);
  }

  private async unindexRunning(pk: string): Promise<void> {
    await this.attempt('unindex running run', 'control', RUNNING_PARTITION, pk, [404], () => this.clients.control.deleteEntity(RUNNING_PARTITION, pk));
  }

  /** The run header's report properties; a report too large to inline is stored in rows first. */
  private async reportHeader(runId: string, report: RunReport): Promise<Record<string, unknown> & { partitionKey: string; rowKey: string }> {
    const pk = opaqueKey(runId);
    const packed = packJson(report);
    const header: Record<string, unknown> & { partitionKey: string; rowKey: string } = {
      partitionKey: pk,
      rowKey: RUN_HEADER_ROW,
      runId,
      report_n: packed.pieces.length,
      report_sha: packed.sha256,
      report_size: packed.size,
    };
    if (packed.pieces.length <= MAX_INLINE_REPORT_PIECES) {
      header.report_store = 'inline';
      packed.pieces.forEach((p, i) => (header[`report_${i}`] = p));
      return header;
    }
    header.report_store = 'rows';
    // Pieces first, header last: a reader sees either no report or a complete one.
    const limit = pLimit(8);
    await Promise.all(
      packed.pieces.map((piece, i) =>
        limit(() => {
          const rk = `${REPORT_ROW_PREFIX}${String(i).padStart(6, '0')}`;
          return this.call('store report piece', 'runs', pk, rk, () =>
            this.clients.runs.upsertEntity({ partitionKey: pk, rowKey: rk, runId, data: piece }, 'Replace'),
          );
        }),
      ),
    );
    return header;
  }

  async heartbeat(runId: string): Promise<void> {
    const pk = opaqueKey(requireString('runId', runId));
    await this.attempt('heartbeat', 'runs', pk, RUN_HEADER_ROW, [404], () =>
      this.clients.runs.updateEntity({ partitionKey: pk, rowKey: RUN_HEADER_ROW, heartbeatAt: new Date() }, 'Merge'),
    );
  }

  async runningRuns(): Promise<RunningRun[]> {
    const index = await this.list('control', odata`PartitionKey eq ${RUNNING_PARTITION}`);
    const headers = await Promise.all(
      index.map(async (i) => {
        const got = await this.attempt('read run', 'runs', i.rowKey ?? '', RUN_HEADER_ROW, [404], () => this.clients.runs.getEntity<Record<string, unknown>>(i.rowKey ?? '', RUN_HEADER_ROW));
        if (got.ok && got.value.status === 'running') return got.value;
        await this.unindexRunning(i.rowKey ?? ''); // finished or closed: the index row is stale
        return undefined;
      }),
    );
    const rows = headers.filter((h): h is Row => h !== undefined);
    return rows.map((r) => ({
      runId: String(r.runId ?? ''),
      startedAt: asDate(r.startedAt),
      heartbeatAt: asDate(r.heartbeatAt),
      host: typeof r.host === 'string' ? r.host : undefined,
      pid: typeof r.pid === 'number' ? r.pid : undefined,
    }));
  }

  async markAbandoned(runId: string, by: string, report: RunReport): Promise<boolean> {
    const pk = opaqueKey(requireString('runId', runId));
    const current = await this.attempt('read run', 'runs', pk, RUN_HEADER_ROW, [404], () =>
      this.clients.runs.getEntity<Record<string, unknown>>(pk, RUN_HEADER_ROW),
    );
    if (!current.ok || current.value.status !== 'running') return false;
    const header = await this.reportHeader(runId, report);
    // If-Match: a run that finished (or was closed by another run) since the read is left as it is.
    const done = await this.attempt('abandon run', 'runs', pk, RUN_HEADER_ROW, [404, 412], () =>
      this.clients.runs.updateEntity({ ...header, status: 'abandoned', abandonedAt: this.now(), abandonedBy: by }, 'Merge', { etag: current.value.etag }),
    );
    if (done.ok) await this.unindexRunning(pk);
    return done.ok;
  }

  async releaseLeasesOf(owner: string): Promise<number> {
    const rows = await this.list('leases', odata`owner eq ${requireString('owner', owner)}`);
    for (const r of rows) {
      await this.attempt('release lease', 'leases', r.partitionKey ?? '', 'lease', [404, 412], () =>
        this.clients.leases.deleteEntity(r.partitionKey ?? '', r.rowKey ?? 'lease', { etag: r.etag }),
      );
    }
    return rows.length;
  }

  async getRun(runId: string): Promise<StoredRun | undefined> {
    if (typeof runId !== 'string' || runId.length === 0) return undefined;
    const pk = opaqueKey(runId);
    const rows = await this.list('runs', odata`PartitionKey eq ${pk}`);
    const header = rows.find((r) => r.rowKey === RUN_HEADER_ROW);
    if (!header) return undefined;
    const run: StoredRun = { runId: String(header.runId ?? runId), status: runStatus(header.status) };
    if (typeof header.mode === 'string') run.mode = header.mode as RunMode;
    if (typeof header.trigger === 'string') run.trigger = header.trigger;
    const startedAt = asDate(header.startedAt);
    if (startedAt) run.startedAt = startedAt;
    const finishedAt = asDate(header.finishedAt);
    if (finishedAt && run.status === 'finished') run.finishedAt = finishedAt;
    if (typeof header.scope_n === 'number') run.scope = readInline(header, 'scope');
    if (run.status === 'abandoned') {
      run.abandonedAt = asDate(header.abandonedAt);
      run.abandonedBy = typeof header.abandonedBy === 'string' ? header.abandonedBy : undefined;
      run.lastHeartbeatAt = asDate(header.heartbeatAt);
    }
    if (run.status !== 'running' && typeof header.report_n === 'number') {
      run.report = this.readReport(runId, header, rows);
      // finishRun without startRun (e.g. a crashed starter): the report still knows these.
      run.mode ??= run.report.mode;
      run.startedAt ??= asDate(run.report.startedAt);
      if (!run.startedAt) delete run.startedAt;
    }
    return run;
  }

  /** The stored report of a run: pieces inline in the header or in numbered rows, checksum-verified. */
  private readReport(runId: string, header: Row, rows: Row[]): RunReport {
    const n = header.report_n as number;
    const pieces: Uint8Array[] = [];
    for (let i = 0; i < n; i++) {
      const piece =
        header.report_store === 'inline'
          ? header[`report_${i}`]
          : rows.find((r) => r.rowKey === `${REPORT_ROW_PREFIX}${String(i).padStart(6, '0')}`)?.data;
      if (!(piece instanceof Uint8Array)) {
        throw new LedgerStorageError(
          `ledger read run failed on table ${this.tables.runs}: report of run ${runId} is missing piece ${i} of ${n}`,
          this.tables.runs,
          opaqueKey(runId),
          `${REPORT_ROW_PREFIX}${i}`,
          undefined,
        );
      }
      pieces.push(piece);
    }
    return unpackJson<RunReport>(pieces, header.report_sha as string | undefined);
  }

  // ---- decisions and writes -------------------------------------------------------------------

  async recordDecision(runId: string, item: PlanItem): Promise<void> {
    requireString('runId', runId);
    const pk = opaqueKey(runId);
    const rk = idKey(`${item.jobId}|${item.vmId}`);
    await this.call('record decision', 'decisions', pk, rk, () =>
      this.clients.decisions.upsertEntity(
        {
          partitionKey: pk,
          rowKey: rk,
          runId,
          vmId: item.vmId,
          jobId: item.jobId,
          code: item.failure?.code ?? '',
          actions: (item.actions ?? []).map((a) => `${a.kind}:${a.status ?? 'proposed'}`).join(','),
          findings: (item.findings ?? []).map((f) => f.kind).join(','),
          at: this.now(),
          ...payloadOrNote('item', item),
        },
        'Replace',
      ),
    );
  }

  async decisions(runId: string): Promise<PlanItem[]> {
    const rows = await this.list('decisions', odata`PartitionKey eq ${opaqueKey(runId)}`);
    return rows
      .sort((a, b) => (asDate(a.at)?.getTime() ?? 0) - (asDate(b.at)?.getTime() ?? 0))
      .map((r) => readInline<PlanItem>(r, 'item')!)
      .filter(Boolean);
  }

  async recordWrite(runId: string, vmId: string, action: PlannedAction): Promise<void> {
    // Writes that were sent are recorded ahead (recordIntent / recordOutcome); this row is one that was not.
    await this.createWriteRow(runId, vmId, action, { phase: 'not-sent' });
  }

  async recordIntent(runId: string, vmId: string, action: PlannedAction, requestedAt: Date): Promise<string> {
    requireDate('requestedAt', requestedAt);
    return this.createWriteRow(runId, vmId, { ...action, status: undefined }, { phase: 'intent', requestedAt, status: 'sending' });
  }

  async recordOutcome(runId: string, key: string, vmId: string, action: PlannedAction): Promise<void> {
    const pk = opaqueKey(requireString('runId', runId));
    const rk = requireString('key', key);
    await this.call('record write outcome', 'writes', pk, rk, () =>
      this.clients.writes.upsertEntity(
        { partitionKey: pk, rowKey: rk, runId, vmId, phase: 'answered', status: action.status ?? 'proposed', detail: action.detail ?? '', answeredAt: this.now(), ...payloadOrNote('action', action) },
        'Merge',
      ),
    );
  }

  private async createWriteRow(runId: string, vmId: string, action: PlannedAction, extra: { phase: WritePhase; requestedAt?: Date; status?: string }): Promise<string> {
    requireString('runId', runId);
    requireString('vmId', vmId);
    const pk = opaqueKey(runId);
    const at = this.now();
    const rk = timeRowKey(at);
    await this.call('record write', 'writes', pk, rk, () =>
      this.clients.writes.createEntity({
        partitionKey: pk,
        rowKey: rk,
        runId,
        vmId,
        kind: action.kind,
        target: action.target,
        method: action.method,
        status: extra.status ?? action.status ?? 'proposed',
        detail: action.detail ?? '',
        at,
        phase: extra.phase,
        ...(extra.requestedAt ? { requestedAt: extra.requestedAt } : {}),
        ...payloadOrNote('action', action),
      }),
    );
    return rk;
  }

  async writes(runId: string): Promise<WriteRecord[]> {
    const rows = await this.list('writes', odata`PartitionKey eq ${opaqueKey(runId)}`);
    return rows
      .sort(byRowKey)
      .map((r) => ({
        runId: String(r.runId),
        vmId: String(r.vmId),
        at: asDate(r.at)!,
        phase: (typeof r.phase === 'string' ? r.phase : 'answered') as WritePhase,
        ...(asDate(r.requestedAt) ? { requestedAt: asDate(r.requestedAt) } : {}),
        // The summary columns stand in when the full action was too large to keep.
        action: readInline<PlannedAction>(r, 'action') ?? {
          kind: r.kind as PlannedAction['kind'],
          target: String(r.target),
          method: r.method as PlannedAction['method'],
          reason: '',
          evidence: {},
          status: r.status as PlannedAction['status'],
          detail: String(r.detail ?? ''),
        },
      }));
  }

  // ---- attempts -------------------------------------------------------------------------------

  async recordAttempt(vmId: string, a: AttemptRecord): Promise<void> {
    requireString('vmId', vmId);
    requireString('runId', a.runId);
    requireDate('at', a.at);
    const pk = idKey(vmId);
    const rk = timeRowKey(a.at);
    await this.call('record attempt', 'attempts', pk, rk, () =>
      this.clients.attempts.createEntity({
        partitionKey: pk,
        rowKey: rk,
        vmId,
        runId: a.runId,
        jobId: a.jobId ?? '',
        ...(a.failedJobId ? { failedJobId: a.failedJobId } : {}),
        ...(a.code ? { code: a.code } : {}),
        ...(a.detail ? { detail: a.detail.slice(0, 4096) } : {}),
        at: a.at,
        outcome: a.outcome,
      }),
    );
    if (a.outcome === PENDING) {
      // Index of pending backups (one row per VM) so a later run finds them without a look-back
      // window; pendingVerifications() drops rows a later attempt row has superseded.
      const ik = idKey(vmId);
      await this.call('record pending verification', 'control', PENDING_PARTITION, ik, () =>
        this.clients.control.upsertEntity(
          { partitionKey: PENDING_PARTITION, rowKey: ik, vmId, runId: a.runId, jobId: a.jobId ?? '', failedJobId: a.failedJobId ?? '', at: a.at },
          'Replace',
        ),
      );
    }
  }

  async pendingVerifications(): Promise<PendingVerification[]> {
    const rows = await this.list('control', odata`PartitionKey eq ${PENDING_PARTITION}`);
    const limit = pLimit(8);
    const checked = await Promise.all(
      rows.map((r) =>
        limit(async (): Promise<PendingVerification | undefined> => {
          const vmId = String(r.vmId ?? '');
          const at = asDate(r.at);
          if (!vmId || !at) return undefined;
          // Still pending only while it is the VM's latest attempt row.
          const since = await this.attempts(vmId, at);
          const latest = since[since.length - 1];
          if (!latest || latest.outcome !== PENDING || latest.runId !== String(r.runId)) {
            await this.attempt('drop pending verification', 'control', PENDING_PARTITION, r.rowKey ?? '', [404, 412], () =>
              this.clients.control.deleteEntity(PENDING_PARTITION, r.rowKey ?? '', { etag: r.etag }),
            );
            return undefined;
          }
          const failedJobId = String(r.failedJobId ?? '');
          return { vmId, runId: latest.runId, jobId: latest.jobId, at: latest.at, ...(failedJobId ? { failedJobId } : {}) };
        }),
      ),
    );
    return checked.filter((p): p is PendingVerification => p !== undefined).sort((a, b) => a.at.getTime() - b.at.getTime());
  }

  async attempts(vmId: string, since: Date): Promise<AttemptRecord[]> {
    requireString('vmId', vmId);
    requireDate('since', since);
    // Row keys start with the ISO time of the attempt, so the window is a key range.
    const rows = await this.list('attempts', odata`PartitionKey eq ${idKey(vmId)} and RowKey ge ${since.toISOString()}`);
    // Oldest first; rows of the same millisecond in the order they were recorded (the row key's sequence).
    return rows
      .map((r) => ({
        rec: {
          runId: String(r.runId),
          jobId: String(r.jobId ?? ''),
          at: asDate(r.at)!,
          outcome: String(r.outcome ?? ''),
          ...(typeof r.failedJobId === 'string' && r.failedJobId ? { failedJobId: r.failedJobId } : {}),
          ...(typeof r.code === 'string' && r.code ? { code: r.code } : {}),
          ...(typeof r.detail === 'string' && r.detail ? { detail: r.detail } : {}),
        },
        rk: r.rowKey ?? '',
      }))
      .filter(({ rec }) => rec.at && rec.at.getTime() >= since.getTime())
      .sort((a, b) => a.rec.at.getTime() - b.rec.at.getTime() || (a.rk < b.rk ? -1 : a.rk > b.rk ? 1 : 0))
      .map(({ rec }) => rec);
  }

  // ---- leases ---------------------------------------------------------------------------------

  async acquireLease(vmId: string, owner: string, ttlMs: number): Promise<Lease | undefined> {
    requireString('vmId', vmId);
    requireString('owner', owner);
    if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new TypeError('ledger: lease ttlMs must be a positive number');
    const pk = idKey(vmId);
    const rk = 'lease';
    for (let i = 0; i < RACE_RETRIES; i++) {
      const now = this.now();
      const expiresAt = new Date(now.getTime() + ttlMs);
      const entity = { partitionKey: pk, rowKey: rk, vmId, owner, acquiredAt: now, expiresAt };
      const created = await this.attempt('acquire lease', 'leases', pk, rk, [409], () => this.clients.leases.createEntity(entity));
      if (created.ok) return { vmId, owner, etag: created.value.etag!, expiresAt };

      const current = await this.attempt('read lease', 'leases', pk, rk, [404], () =>
        this.clients.leases.getEntity<Record<string, unknown>>(pk, rk),
      );
      if (!current.ok) continue; // released between our insert and read: try inserting again
      const heldUntil = asDate(current.value.expiresAt);
      const sameOwner = current.value.owner === owner;
      if (!sameOwner && heldUntil && heldUntil.getTime() > now.getTime()) return undefined;

      // Expired (or ours, renewing): replace it only if nobody changed it since we read it.
      const taken = await this.attempt('take over lease', 'leases', pk, rk, [404, 412], () =>
        this.clients.leases.updateEntity(entity, 'Replace', { etag: current.value.etag }),
      );
      if (taken.ok) return { vmId, owner, etag: taken.value.etag!, expiresAt };
      if (taken.status === 412) return undefined; // another contender won the takeover
    }
    return undefined;
  }

  async releaseLease(lease: Lease): Promise<void> {
    const pk = idKey(requireString('lease.vmId', lease.vmId));
    // 412: the lease expired and someone else took it; 404: already gone. Neither is ours to delete.
    await this.attempt('release lease', 'leases', pk, 'lease', [404, 412], () =>
      this.clients.leases.deleteEntity(pk, 'lease', { etag: lease.etag }),
    );
  }

  // ---- kill switch ----------------------------------------------------------------------------

  async killSwitch(): Promise<boolean> {
    const res = await this.attempt('read kill switch', 'control', 'control', 'killSwitch', [404], () =>
      this.clients.control.getEntity<Record<string, unknown>>('control', 'killSwitch'),
    );
    return res.ok && !explicitlyOff(res.value.on);
  }

  async setKillSwitch(on: boolean, by: string): Promise<void> {
    if (typeof on !== 'boolean') throw new TypeError('ledger: kill switch state must be a boolean');
    await this.call('set kill switch', 'control', 'control', 'killSwitch', () =>
      this.clients.control.upsertEntity({ partitionKey: 'control', rowKey: 'killSwitch', on, by: String(by ?? ''), at: this.now() }, 'Replace'),
    );
  }

  // ---- events ---------------------------------------------------------------------------------

  async claimEvent(key: string, ttlMs?: number): Promise<boolean> {
    requireString('key', key);
    if (ttlMs !== undefined && (!Number.isFinite(ttlMs) || ttlMs <= 0)) throw new TypeError('ledger: claim ttlMs must be a positive number');
    // Event keys are mostly ARM job ids, which differ in casing between delivery paths.
    const pk = idKey(key);
    const rk = 'claim';
    for (let i = 0; i < RACE_RETRIES; i++) {
      const now = this.now();
      const entity: Record<string, unknown> & { partitionKey: string; rowKey: string } = {
        partitionKey: pk,
        rowKey: rk,
        key: key.slice(0, MAX_KEY_PROPERTY),
        claimedAt: now,
      };
      if (ttlMs !== undefined) entity.expiresAt = new Date(now.getTime() + ttlMs);
      const created = await this.attempt('claim event', 'events', pk, rk, [409], () => this.clients.events.createEntity(entity));
      if (created.ok) return true;

      const current = await this.attempt('read event claim', 'events', pk, rk, [404], () =>
        this.clients.events.getEntity<Record<string, unknown>>(pk, rk),
      );
      if (!current.ok) continue;
      const expiresAt = asDate(current.value.expiresAt);
      if (!expiresAt || expiresAt.getTime() > now.getTime()) return false;
      const reclaimed = await this.attempt('reclaim event', 'events', pk, rk, [404, 412], () =>
        this.clients.events.updateEntity(entity, 'Replace', { etag: current.value.etag }),
      );
      if (reclaimed.ok) return true;
      if (reclaimed.status === 412) return false;
    }
    return false;
  }

  async releaseEvent(key: string): Promise<void> {
    requireString('key', key);
    const pk = idKey(key);
    await this.attempt('release event claim', 'events', pk, 'claim', [404], () => this.clients.events.deleteEntity(pk, 'claim'));
  }

  // ---- failures -------------------------------------------------------------------------------

  async recordFailure(kind: string, key: string, reason: string, payload?: unknown): Promise<void> {
    requireString('kind', kind);
    const pk = opaqueKey(kind);
    const at = this.now();
    const rk = timeRowKey(at);
    const stored = payload === undefined ? {} : payloadOrNote('payload', payload);
    await this.call('record failure', 'failures', pk, rk, () =>
      this.clients.failures.createEntity({
        partitionKey: pk,
        rowKey: rk,
        kind,
        key: String(key ?? '').slice(0, MAX_KEY_PROPERTY),
        reason: String(reason ?? '').slice(0, 16 * 1024),
        at,
        ...stored,
      }),
    );
  }

  async failures(kind?: string): Promise<FailureRecord[]> {
    const rows = await this.list('failures', kind === undefined ? undefined : odata`PartitionKey eq ${opaqueKey(kind)}`);
    return rows
      .sort(byRowKey)
      .map((r) => {
        const rec: FailureRecord = { kind: String(r.kind), key: String(r.key ?? ''), reason: String(r.reason ?? ''), at: asDate(r.at)! };
        const payload = readInline<unknown>(r, 'payload');
        if (payload !== undefined) rec.payload = payload;
        return rec;
      });
  }
}

/** Ordinal row-key order: time, then the writing process's sequence (see timeRowKey). */
function byRowKey(a: Row, b: Row): number {
  const x = a.rowKey ?? '';
  const y = b.rowKey ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}

function runStatus(v: unknown): StoredRun['status'] {
  return v === 'finished' || v === 'abandoned' ? v : 'running';
}

/** Opens the ledger, creating its tables if absent. */
export async function createLedger(opts: LedgerOptions): Promise<Ledger> {
  const ledger = new TableLedger(opts);
  await ledger.init();
  return ledger;
}

/**
 * The kill switch fails safe: a control row stops writes unless it says off in so many words. Rows
 * written by hand (Storage Explorer, `az storage entity insert`) carry strings, not booleans.
 */
function explicitlyOff(on: unknown): boolean {
  if (on === false || on === 0) return true;
  return typeof on === 'string' && ['false', '0', 'off', 'no'].includes(on.trim().toLowerCase());
}
