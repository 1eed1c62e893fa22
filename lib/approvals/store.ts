// The proposals table, next to the ledger's others (`<prefix>Approvals`, same storage account, same
// client construction, so the CLI's in-process tables serve it too). Two partitions: `proposal`
// (row = id) holds the proposals, `key` (row = hash of the key) points at the live proposal of a key.
// Every state change is ETag-conditional: two runs, or a human and a run, never both win one change,
// and a replayed decision finds the proposal already decided.
import type { TableClient, TableEntityResult } from '@azure/data-tables';
import { idKey, tableName } from '../ledger/keys';
import { odata } from '../ledger/odata';
import { createTableClient, statusOf, wrapStorageError } from '../ledger/tables';
import type { LedgerOptions } from '../ledger/types';
import { redactValue } from '../redact';
import type { ActionKind } from '../types';
import { newProposalId, proposalKey } from './ids';
import type { ApprovalStatus, DecideResult, Decision, Proposal, ProposalInput, ProposalStore, ProposeResult } from './types';
import { LIVE_STATUSES } from './types';

type Row = TableEntityResult<Record<string, unknown>>;

const PROPOSALS = 'proposal';
const KEYS = 'key';
/** Evidence kept with a proposal (JSON, after redaction): enough for a human, far under the 64 KiB property limit. */
const MAX_EVIDENCE_CHARS = 16 * 1024;
const MAX_TEXT = 2048;
const RACE_RETRIES = 5;

/** Still binding: pending or approved (may run) or rejected (must not), and not past its expiry. */
export function isLive(p: Proposal, now: Date): boolean {
  return LIVE_STATUSES.includes(p.status) && now.getTime() < p.expiresAt.getTime();
}

function clipEvidence(evidence: Record<string, unknown>): string {
  const json = JSON.stringify(redactValue(evidence) ?? {});
  return json.length <= MAX_EVIDENCE_CHARS ? json : JSON.stringify({ clipped: true, json: json.slice(0, MAX_EVIDENCE_CHARS) });
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const date = (v: unknown): Date | undefined => (v instanceof Date ? v : typeof v === 'string' ? new Date(v) : undefined);

function toEntity(p: Proposal): Record<string, unknown> & { partitionKey: string; rowKey: string } {
  const { evidence, ...rest } = p;
  const props = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
  return { partitionKey: PROPOSALS, rowKey: p.id, ...props, evidenceJson: clipEvidence(evidence) };
}

function parseEvidence(v: unknown): Record<string, unknown> {
  try {
    const parsed = JSON.parse(String(v ?? '{}')) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function fromEntity(r: Record<string, unknown>): Proposal {
  const optional = { protectedItemId: text(r.protectedItemId), vmUniqueId: text(r.vmUniqueId), decidedBy: text(r.decidedBy), decidedVia: text(r.decidedVia) as Proposal['decidedVia'],
    claimedApprover: text(r.claimedApprover), decidedAt: date(r.decidedAt), note: text(r.note), executedByRun: text(r.executedByRun), executedAt: date(r.executedAt),
    outcome: text(r.outcome), closedReason: text(r.closedReason), closedByRun: text(r.closedByRun), closedAt: date(r.closedAt) };
  return {
    id: String(r.id), key: String(r.key), status: String(r.status) as ApprovalStatus, runId: String(r.runId ?? ''), vmId: String(r.vmId ?? ''),
    jobId: String(r.jobId ?? ''), failureCode: String(r.failureCode ?? ''), kind: String(r.kind) as ActionKind, target: String(r.target ?? ''),
    script: String(r.script ?? ''), reason: String(r.reason ?? ''), evidence: parseEvidence(r.evidenceJson),
    proposedAt: date(r.proposedAt) ?? new Date(0), expiresAt: date(r.expiresAt) ?? new Date(0),
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
  };
}

class TableProposalStore implements ProposalStore {
  readonly table: string;
  private readonly client: TableClient;
  private readonly now: () => Date;
  private ready?: Promise<unknown>;

  constructor(opts: LedgerOptions) {
    this.table = tableName(opts.prefix ?? 'remediator', 'Approvals');
    this.client = createTableClient(opts, this.table);
    this.now = opts.now ?? (() => new Date());
  }

  init(): Promise<unknown> {
    this.ready ??= this.client.createTable().catch((e: unknown) => {
      this.ready = undefined;
      throw wrapStorageError(e, 'create table', this.table);
    });
    return this.ready;
  }

  private async call<T>(op: string, pk: string | undefined, rk: string | undefined, fn: () => Promise<T>): Promise<T> {
    await this.init();
    try {
      return await fn();
    } catch (e) {
      throw wrapStorageError(e, op, this.table, pk, rk);
    }
  }

  /** A conditional write: false when the row changed (412) or vanished (404) since it was read. */
  private async conditional(op: string, rk: string, fn: () => Promise<unknown>): Promise<boolean> {
    await this.init();
    try {
      await fn();
      return true;
    } catch (e) {
      if (statusOf(e) === 412 || statusOf(e) === 404 || statusOf(e) === 409) return false;
      throw wrapStorageError(e, op, this.table, PROPOSALS, rk);
    }
  }

  private async row(pk: string, rk: string): Promise<Row | undefined> {
    await this.init();
    try {
      return await this.client.getEntity<Record<string, unknown>>(pk, rk);
    } catch (e) {
      if (statusOf(e) === 404) return undefined;
      throw wrapStorageError(e, 'read', this.table, pk, rk);
    }
  }

  async get(id: string): Promise<Proposal | undefined> {
    const r = await this.row(PROPOSALS, id);
    return r ? fromEntity(r) : undefined;
  }

  async list(filter: { status?: ApprovalStatus; vmId?: string } = {}): Promise<Proposal[]> {
    const query = filter.status ? odata`PartitionKey eq ${PROPOSALS} and status eq ${filter.status}` : odata`PartitionKey eq ${PROPOSALS}`;
    const rows = await this.call('list proposals', undefined, undefined, async () => {
      const out: Record<string, unknown>[] = [];
      for await (const e of this.client.listEntities<Record<string, unknown>>({ queryOptions: { filter: query } })) out.push(e);
      return out;
    });
    const vm = filter.vmId?.toLowerCase();
    return rows.map(fromEntity).filter((p) => !vm || p.vmId.toLowerCase() === vm).sort((a, b) => b.proposedAt.getTime() - a.proposedAt.getTime());
  }

  async propose(input: ProposalInput): Promise<ProposeResult> {
    const { ttlMs, ...fields } = input;
    const key = proposalKey({ vmId: input.vmId, kind: input.kind, target: input.target, script: input.script, failureCode: input.failureCode });
    const kk = idKey(key);
    let expired: Proposal | undefined;
    for (let i = 0; i < RACE_RETRIES; i++) {
      const index = await this.row(KEYS, kk);
      const current = index ? await this.get(String(index.proposalId)) : undefined;
      if (current && isLive(current, this.now())) return { proposal: current, created: false, ...(expired ? { expired } : {}) };
      if (current && (current.status === 'pending' || current.status === 'approved')) {
        expired = (await this.close(current.id, 'expired', `expired at ${current.expiresAt.toISOString()} before it was executed`, input.runId)) ?? expired;
      }
      const now = this.now();
      const proposal: Proposal = { ...fields, id: newProposalId(), key, status: 'pending', proposedAt: now, expiresAt: new Date(now.getTime() + ttlMs) };
      if (await this.store(proposal, kk, index)) return { proposal, created: true, ...(expired ? { expired } : {}) };
    }
    throw wrapStorageError(new Error('the key kept changing under concurrent proposals'), 'propose', this.table, KEYS, kk);
  }

  /** The proposal row, then the key's index pointed at it (conditional); a lost race removes the row again. */
  private async store(p: Proposal, kk: string, index: Row | undefined): Promise<boolean> {
    await this.call('store proposal', PROPOSALS, p.id, () => this.client.createEntity(toEntity(p)));
    const pointer = { partitionKey: KEYS, rowKey: kk, proposalId: p.id, key: p.key.slice(0, 1024) };
    const won = await this.conditional('index proposal', kk, () =>
      index ? this.client.updateEntity(pointer, 'Replace', { etag: index.etag }) : this.client.createEntity(pointer),
    );
    if (!won) await this.conditional('drop lost proposal', p.id, () => this.client.deleteEntity(PROPOSALS, p.id));
    return won;
  }

  async decide(id: string, d: Decision): Promise<DecideResult> {
    const r = await this.row(PROPOSALS, id);
    if (!r) return { ok: false, why: 'not-found' };
    const p = fromEntity(r);
    if (p.status !== 'pending') return { ok: false, why: 'already-decided', proposal: p };
    if (this.now().getTime() >= p.expiresAt.getTime()) {
      const closed = await this.close(id, 'expired', `expired at ${p.expiresAt.toISOString()} before a decision`);
      return { ok: false, why: 'expired', proposal: closed ?? (await this.get(id)) ?? p };
    }
    const decided: Partial<Proposal> = {
      status: d.decision === 'approve' ? 'approved' : 'rejected', decidedBy: d.approver.slice(0, MAX_TEXT), decidedVia: d.via, decidedAt: this.now(),
      ...(d.claimedApprover ? { claimedApprover: d.claimedApprover.slice(0, MAX_TEXT) } : {}), ...(d.note ? { note: d.note.slice(0, MAX_TEXT) } : {}),
    };
    const won = await this.conditional('decide proposal', id, () => this.client.updateEntity({ partitionKey: PROPOSALS, rowKey: id, ...decided }, 'Merge', { etag: r.etag }));
    const now = (await this.get(id)) ?? p;
    return won ? { ok: true, proposal: now } : { ok: false, why: now.status === 'pending' ? 'conflict' : 'already-decided', proposal: now };
  }

  async claim(id: string, runId: string): Promise<Proposal | undefined> {
    const r = await this.row(PROPOSALS, id);
    if (!r) return undefined;
    const p = fromEntity(r);
    if (p.status !== 'approved' || this.now().getTime() >= p.expiresAt.getTime()) return undefined;
    const executed = { status: 'executed' as const, executedByRun: runId, executedAt: this.now(), outcome: 'sending' };
    const won = await this.conditional('claim proposal', id, () => this.client.updateEntity({ partitionKey: PROPOSALS, rowKey: id, ...executed }, 'Merge', { etag: r.etag }));
    return won ? { ...p, ...executed } : undefined;
  }

  async recordOutcome(id: string, outcome: string): Promise<void> {
    await this.call('record proposal outcome', PROPOSALS, id, () =>
      this.client.updateEntity({ partitionKey: PROPOSALS, rowKey: id, outcome: outcome.slice(0, MAX_TEXT) }, 'Merge'),
    );
  }

  async close(id: string, status: 'refused' | 'expired', reason: string, runId?: string): Promise<Proposal | undefined> {
    for (let i = 0; i < RACE_RETRIES; i++) {
      const r = await this.row(PROPOSALS, id);
      if (!r) return undefined;
      const p = fromEntity(r);
      if (!LIVE_STATUSES.includes(p.status)) return undefined;
      const closed = { status, closedReason: reason.slice(0, MAX_TEXT), closedAt: this.now(), ...(runId ? { closedByRun: runId } : {}) };
      const won = await this.conditional('close proposal', id, () => this.client.updateEntity({ partitionKey: PROPOSALS, rowKey: id, ...closed }, 'Merge', { etag: r.etag }));
      if (won) return { ...p, ...closed };
    }
    return undefined;
  }
}

/** The proposals table of a ledger's storage (created on first use). */
export function createProposalStore(opts: LedgerOptions): ProposalStore {
  return new TableProposalStore(opts);
}
