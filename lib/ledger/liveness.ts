// Runs have a heartbeat. A run killed (SIGKILL, host lost) stays `running` in the ledger; the next run
// (or the timer) finds it by its stale heartbeat, or at once when it ran on the same host under a
// process id that no longer exists, and closes it as `abandoned` with a report rebuilt from what it
// recorded as it went: its decisions and every write it sent (answered or not).
import { hostIdentity } from './host';
import { summarize } from '../summary';
import type { RunNote, RunReport } from '../types';
import type { Ledger, RunningRun, StoredRun, WriteRecord } from './types';

/** How often a run heartbeats, and how long without one before another run may close it. */
export const HEARTBEAT_MS = 20_000;
export const STALE_AFTER_MS = 6 * HEARTBEAT_MS;

/** Starts the run's heartbeat (wall time, unref'd: it never keeps a process alive); returns its stop. */
export function startHeartbeat(ledger: Pick<Ledger, 'heartbeat'>, runId: string, onError: (err: unknown) => void, everyMs = HEARTBEAT_MS): () => void {
  const timer = setInterval(() => {
    ledger.heartbeat(runId).catch(onError);
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Why the run is dead, or undefined while it may still be alive. */
export function deadRunReason(run: RunningRun, nowMs = Date.now(), host = hostIdentity()): string | undefined {
  if (run.host === host && run.pid !== undefined && run.pid !== process.pid && processGone(run.pid)) {
    return `its process ${run.pid} on ${host} no longer exists`;
  }
  const last = run.heartbeatAt ?? run.startedAt;
  if (last && nowMs - last.getTime() > STALE_AFTER_MS) {
    return `no heartbeat since ${last.toISOString()} (more than ${STALE_AFTER_MS / 1000} s)`;
  }
  return undefined;
}

/** One note per write the run sent: what it asked ARM to do and whether an answer was recorded. */
export function writeNotes(writes: WriteRecord[]): RunNote[] {
  return writes
    .filter((w) => w.phase !== 'not-sent')
    .map((w) => ({
      vmId: w.vmId,
      reason:
        w.phase === 'intent'
          ? `sent ${w.action.method} ${w.action.target} (${w.action.kind}) at ${(w.requestedAt ?? w.at).toISOString()}; no answer was recorded: the run stopped before it came back`
          : `wrote ${w.action.method} ${w.action.target} (${w.action.kind}): ${w.action.status ?? 'answered'}${w.action.detail ? ` (${w.action.detail})` : ''}`,
    }));
}

/** A run's report rebuilt from the ledger alone: its decisions as items, its writes as notes after `headline`. */
export async function rebuildReport(ledger: Pick<Ledger, 'decisions' | 'writes' | 'getRun'>, runId: string, headline: string, at: Date): Promise<RunReport> {
  const [run, items, writes] = await Promise.all([ledger.getRun(runId), ledger.decisions(runId), ledger.writes(runId)]);
  const notes: RunNote[] = [{ reason: headline }, ...writeNotes(writes)];
  return {
    schemaVersion: 1,
    mode: run?.mode ?? 'apply',
    runId,
    startedAt: (run?.startedAt ?? at).toISOString(),
    finishedAt: at.toISOString(),
    items,
    summary: summarize(items),
    notes,
  };
}

export interface ClosedRun {
  runId: string;
  reason: string;
  /** The writes it sent that never got an answer (the engine looks for what they did). */
  unanswered: WriteRecord[];
  leasesReleased: number;
}

/** Closes every dead run as `abandoned` and frees the VM leases it held. */
export async function closeAbandonedRuns(ledger: Ledger, byRunId: string, now: () => Date): Promise<ClosedRun[]> {
  const closed: ClosedRun[] = [];
  for (const run of await ledger.runningRuns()) {
    const reason = run.runId === byRunId ? undefined : deadRunReason(run);
    if (!reason) continue;
    const report = await rebuildReport(ledger, run.runId, `run abandoned: ${reason}; this report is rebuilt from what the run recorded`, now());
    if (!(await ledger.markAbandoned(run.runId, byRunId, report))) continue;
    const leasesReleased = await ledger.releaseLeasesOf(run.runId);
    const unanswered = (await ledger.writes(run.runId)).filter((w) => w.phase === 'intent');
    closed.push({ runId: run.runId, reason, unanswered, leasesReleased });
  }
  return closed;
}

/** What `GET /api/runs/{id}` and the CLI show for a run that did not finish: status, times, report so far. */
export interface RunView {
  runId: string;
  status: 'running' | 'abandoned';
  startedAt?: string;
  abandonedAt?: string;
  abandonedBy?: string;
  lastHeartbeatAt?: string;
  /** Every write the run sent, answered or not. */
  writes: { vmId: string; method: string; target: string; kind: string; phase: string; status?: string; requestedAt?: string }[];
  report: RunReport;
}

export async function describeRun(ledger: Ledger, run: StoredRun): Promise<RunView> {
  const at = run.abandonedAt ?? new Date();
  const report = run.report ?? (await rebuildReport(ledger, run.runId, 'run not finished: this report is what it has recorded so far', at));
  const writes = (await ledger.writes(run.runId)).filter((w) => w.phase !== 'not-sent');
  const iso = (d?: Date) => d?.toISOString();
  return {
    runId: run.runId,
    status: run.status === 'abandoned' ? 'abandoned' : 'running',
    ...(run.startedAt ? { startedAt: iso(run.startedAt) } : {}),
    ...(run.abandonedAt ? { abandonedAt: iso(run.abandonedAt), abandonedBy: run.abandonedBy, lastHeartbeatAt: iso(run.lastHeartbeatAt) } : {}),
    writes: writes.map((w) => ({ vmId: w.vmId, method: w.action.method, target: w.action.target, kind: w.action.kind, phase: w.phase, status: w.action.status, requestedAt: iso(w.requestedAt) })),
    report,
  };
}
