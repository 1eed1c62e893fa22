import type { TableClient } from '@azure/data-tables';
import type { TokenCredential } from '@azure/core-auth';
import type { ProposalStore } from '../approvals/types';
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
  /** Host and process of the run, so a run on the same host can tell it died (default: this process). */
  host?: string;
  pid?: number;
  mode: RunMode;
  trigger: string;
  scope: unknown;
  startedAt: Date;
}

/** `abandoned`: the run stopped heartbeating (killed, crashed) and a later run closed it. */
export type RunStatus = 'running' | 'finished' | 'abandoned';

export interface StoredRun {
  runId: string;
  status: RunStatus;
  report?: RunReport;
  mode?: RunMode;
  trigger?: string;
  scope?: unknown;
  startedAt?: Date;
  finishedAt?: Date;
  /** Set on abandoned runs: when and by which run it was closed, and its last sign of life. */
  abandonedAt?: Date;
  abandonedBy?: string;
  lastHeartbeatAt?: Date;
}

/** A run still marked `running`: what a later run needs to tell whether it is alive. */
export interface RunningRun {
  runId: string;
  startedAt?: Date;
  /** Wall time of the last heartbeat (or the start), never a simulated clock. */
  heartbeatAt?: Date;
  host?: string;
  pid?: number;
}

export interface AttemptRecord {
  runId: string;
  jobId: string;
  at: Date;
  outcome: string;
  /** The failed backup job the attempt remediated, when `jobId` is the job the attempt triggered. */
  failedJobId?: string;
  /** The failure code the attempt remediated (recorded with `started`). */
  code?: string;
  /** Why an attempt ended as it did (e.g. why a verification expired). */
  detail?: string;
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

/** One failed job's numeric errorCode, the message it came with and the code the job was read as. */
export interface ObservedCode {
  code: number;
  message: string;
  classification: string;
}

/** The ledger's row for a (number, classification, message) triple, across runs. */
export interface ObservedCodeRecord extends ObservedCode {
  documented: boolean;
  count: number;
  firstSeen: Date;
  lastSeen: Date;
  lastRunId: string;
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

/**
 * `intent`: recorded before the request was sent and never answered (the run died, or is still
 * waiting); `answered`: the request's outcome is in `action.status`; `not-sent`: a planned write the
 * run decided not to send (skipped, blocked), with why in `action.detail`.
 */
export type WritePhase = 'intent' | 'answered' | 'not-sent';

export interface WriteRecord {
  runId: string;
  vmId: string;
  at: Date;
  action: PlannedAction;
  phase: WritePhase;
  /** When the request was about to be sent (write-ahead rows only). */
  requestedAt?: Date;
}

export interface Ledger {
  startRun(run: RunStart): Promise<void>;
  /** Stores the report, split over several rows when it exceeds what one entity holds. */
  finishRun(runId: string, report: RunReport): Promise<void>;
  getRun(runId: string): Promise<StoredRun | undefined>;
  /** Per-job decision of a run (upserted: one row per run and job). */
  recordDecision(runId: string, item: PlanItem): Promise<void>;
  /** A planned write that was not sent (skipped, blocked), with its status and why (append-only). */
  recordWrite(runId: string, vmId: string, action: PlannedAction): Promise<void>;
  /** Write-ahead: recorded before the request is sent. Returns the row's key for `recordOutcome`. */
  recordIntent(runId: string, vmId: string, action: PlannedAction, requestedAt: Date): Promise<string>;
  /** The answer to a write recorded with `recordIntent` (same row, now with status and result). */
  recordOutcome(runId: string, key: string, vmId: string, action: PlannedAction): Promise<void>;
  /** Sign of life of a running run (wall time). */
  heartbeat(runId: string): Promise<void>;
  /** Runs still marked `running`. */
  runningRuns(): Promise<RunningRun[]>;
  /**
   * Closes a run that stopped heartbeating, with the report rebuilt from its ledger rows. Conditional:
   * false when the run finished (or was closed) meanwhile.
   */
  markAbandoned(runId: string, by: string, report: RunReport): Promise<boolean>;
  /** Drops the VM leases an abandoned run still held; returns how many. */
  releaseLeasesOf(owner: string): Promise<number>;
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

  /** Numeric error codes seen, with message and classification (lib/ledger/observed-codes.ts). */
  recordObservedCodes?(runId: string, observed: readonly ObservedCode[]): Promise<void>;
  /** Every observed (number, classification, message) across runs, most frequent first. */
  observedCodes?(): Promise<ObservedCodeRecord[]>;

  /** Proposals waiting for (or decided by) a human (lib/approvals), in the same storage. */
  approvals?: ProposalStore;

  // Read-side helpers beyond the contract (HTTP API, tests, audits).
  decisions(runId: string): Promise<PlanItem[]>;
  writes(runId: string): Promise<WriteRecord[]>;
  /** The table names in use, for operators and cleanup. */
  readonly tables: Readonly<Record<LedgerTable, string>>;
}

export type LedgerTable = 'runs' | 'decisions' | 'writes' | 'attempts' | 'leases' | 'control' | 'events' | 'failures';
