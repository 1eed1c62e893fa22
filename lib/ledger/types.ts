import type { TableClient } from '@azure/data-tables';
import type { TokenCredential } from '@azure/core-auth';
import type { PlanItem, PlannedAction, RunMode, RunReport } from '../types';

export interface LedgerOptions {
  /** Storage connection string (Azurite, account key, SAS). */
  connectionString?: string;
  /** Identity-based access in Azure: `https://<account>.table.core.windows.net` with `credential`. */
  tableEndpoint?: string;
  credential?: TokenCredential;
  /** Table-name prefix (letters and digits); default `remediator`. */
  prefix?: string;
  /** Clock for lease and event expiry; default wall time. Attempts carry their own `at`. */
  now?: () => Date;
  /** Storage-call retries (transport errors, 5xx, 429); default 4. */
  maxRetries?: number;
  /** A table client per table name instead of a storage account (the CLI's local ledger, cli/local-tables.ts). */
  tableClient?: (table: string) => TableClient;
}

export interface RunStart {
  runId: string;
  mode: RunMode;
  trigger: string;
  scope: unknown;
  startedAt: Date;
}

export interface StoredRun {
  runId: string;
  status: 'running' | 'finished';
  report?: RunReport;
  mode?: RunMode;
  trigger?: string;
  scope?: unknown;
  startedAt?: Date;
  finishedAt?: Date;
}

export interface AttemptRecord {
  runId: string;
  jobId: string;
  at: Date;
  outcome: string;
  /** The failed backup job the attempt remediated, when `jobId` is the job the attempt triggered. */
  failedJobId?: string;
}

/** A Backup Now left running by a run: the latest attempt on its VM is still `pending`. */
export interface PendingVerification {
  vmId: string;
  /** The run that triggered the backup. */
  runId: string;
  /** The backup job to follow. */
  jobId: string;
  /** The failed job the backup was meant to replace, when known. */
  failedJobId?: string;
  at: Date;
}

export interface Lease {
  vmId: string;
  owner: string;
  etag: string;
  expiresAt: Date;
}

export interface FailureRecord {
  kind: string;
  key: string;
  reason: string;
  at: Date;
  payload?: unknown;
}

export interface WriteRecord {
  runId: string;
  vmId: string;
  at: Date;
  action: PlannedAction;
}

export interface Ledger {
  startRun(run: RunStart): Promise<void>;
  /** Stores the report, split over several rows when it exceeds what one entity holds. */
  finishRun(runId: string, report: RunReport): Promise<void>;
  getRun(runId: string): Promise<StoredRun | undefined>;
  /** Per-job decision of a run (upserted: one row per run and job). */
  recordDecision(runId: string, item: PlanItem): Promise<void>;
  /** Every write attempt with its outcome (append-only). */
  recordWrite(runId: string, vmId: string, action: PlannedAction): Promise<void>;
  /** Attempts on a VM with `at >= since`, oldest first. */
  attempts(vmId: string, since: Date): Promise<AttemptRecord[]>;
  recordAttempt(vmId: string, a: AttemptRecord): Promise<void>;
  /**
   * Every VM whose latest attempt is still `pending`, however old (no look-back window): the
   * backups a later run must verify, never trigger again. Oldest first.
   */
  pendingVerifications(): Promise<PendingVerification[]>;
  /** ETag-conditional; undefined while another owner holds an unexpired lease. Same owner renews. */
  acquireLease(vmId: string, owner: string, ttlMs: number): Promise<Lease | undefined>;
  /** Deletes the lease only if it is still the one acquired (a takeover after expiry is left alone). */
  releaseLease(lease: Lease): Promise<void>;
  killSwitch(): Promise<boolean>;
  setKillSwitch(on: boolean, by: string): Promise<void>;
  /** True only for the first claim of a key; after `ttlMs` (if given) the key may be claimed again. */
  claimEvent(key: string, ttlMs?: number): Promise<boolean>;
  /** Gives a claim back (its handling failed), so a redelivery of the event is acted on again. */
  releaseEvent(key: string): Promise<void>;
  /** Poison messages, rejected input: nothing is dropped silently. */
  recordFailure(kind: string, key: string, reason: string, payload?: unknown): Promise<void>;
  /** Failures, oldest first; all kinds when `kind` is omitted. */
  failures(kind?: string): Promise<FailureRecord[]>;

  // Read-side helpers beyond the contract (HTTP API, tests, audits).
  decisions(runId: string): Promise<PlanItem[]>;
  writes(runId: string): Promise<WriteRecord[]>;
  /** The table names in use, for operators and cleanup. */
  readonly tables: Readonly<Record<LedgerTable, string>>;
}

export type LedgerTable = 'runs' | 'decisions' | 'writes' | 'attempts' | 'leases' | 'control' | 'events' | 'failures';
