// The use cases behind the Functions triggers: each trigger parses its input (lib/intake), then calls
// one of these, which call the engine. Nothing here talks HTTP or Functions types, so the same calls
// serve any host.

import { randomUUID } from 'node:crypto';
import { discoverWork, runRemediation } from './engine';
import { InputError } from './intake/errors';
import type { Intake } from './intake/event';
import { parseRunId, parseWorkMessage, type RequestedMode } from './intake/http';
import { assertInScope, type Target } from './intake/target';
import type { Runtime } from './runtime';
import type { RunMode, RunReport } from './types';

/** host.json `extensions.queues.maxDequeueCount`: the last delivery before the host poisons a message. */
export const MAX_DEQUEUE_COUNT = 5;

/** Job-named events are unique for a week; VM-only hints collapse within the cooldown (at least 10 minutes). */
const JOB_EVENT_TTL_MS = 7 * 86_400_000;
/** REMEDIATION_COOLDOWN may be 0; redeliveries of a VM-only hint must still collapse (and a claim needs a positive TTL). */
const MIN_HINT_TTL_MS = 10 * 60_000;

type Trigger = 'timer' | 'eventgrid' | 'alert' | 'http' | 'queue';

/**
 * Request-driven triggers must answer within HTTP limits (Azure's front end drops a response after
 * 230 s, Event Grid and action groups retry sooner), so they wait at most this long for the backup
 * they triggered; one still running then is `pending`, and the next run verifies it.
 */
export const INTERACTIVE_VERIFY_MS = 2 * 60_000;
const INTERACTIVE: ReadonlySet<Trigger> = new Set(['http', 'alert', 'eventgrid']);

function runMode(rt: Runtime, requested?: RequestedMode): RunMode {
  if (requested === 'apply' && rt.settings.mode !== 'apply') {
    throw new InputError(403, 'ApplyDisabled', 'apply is disabled: REMEDIATION_MODE is dry-run');
  }
  return (requested ?? rt.settings.mode) === 'apply' ? 'apply' : 'plan';
}

function engineOptions(rt: Runtime, trigger?: Trigger) {
  const settings =
    trigger && INTERACTIVE.has(trigger)
      ? { ...rt.settings, verifyTimeoutMs: Math.min(rt.settings.verifyTimeoutMs, INTERACTIVE_VERIFY_MS) }
      : rt.settings;
  return { settings, arm: rt.arm, ledger: rt.ledger, now: rt.now, verifyWait: rt.verifyWait };
}

export interface OneVmResult {
  report: RunReport;
  /** Another run held the VM's lease, so this one did nothing. */
  leaseHeld: boolean;
}

/** Remediates (or plans) one VM, optionally one job of it. The target must already be validated. */
export async function remediateTarget(rt: Runtime, target: Target, trigger: Trigger, requested?: RequestedMode): Promise<OneVmResult> {
  assertInScope(target, rt.settings);
  const mode = runMode(rt, requested);
  const scope = target.jobId ? { jobId: target.jobId, ...(target.vmId ? { vmId: target.vmId } : {}) } : { vmId: target.vmId };
  const report = await runRemediation({
    ...engineOptions(rt, trigger),
    mode,
    scope,
    trigger,
    // The run logs its scope; per-VM lines carry vmId and jobId once discovery has named the job.
    log: rt.log.child({ trigger }),
  });
  const leaseHeld = report.items.some((i) => i.findings.some((f) => f.kind === 'lease-held'));
  return { report, leaseHeld };
}

export type IntakeOutcome =
  | { outcome: 'ignored'; reason: string }
  | { outcome: 'duplicate'; key: string }
  | { outcome: 'handled'; key: string; report: RunReport };

/** An event or alert: a hint, re-read from ARM by the engine; duplicates and replays act once. */
export async function handleIntake(rt: Runtime, intake: Intake, trigger: 'eventgrid' | 'alert'): Promise<IntakeOutcome> {
  const log = rt.log.child({ trigger, source: intake.source });
  if (intake.kind === 'ignore') {
    log.info('event ignored', { reason: intake.reason });
    return { outcome: 'ignored', reason: intake.reason };
  }
  assertInScope(intake.target, rt.settings);
  const ttl = intake.dedupeKey.startsWith('job:') ? JOB_EVENT_TTL_MS : Math.max(rt.settings.cooldownMs, MIN_HINT_TTL_MS);
  if (!(await rt.ledger.claimEvent(intake.dedupeKey, ttl))) {
    log.info('duplicate event acknowledged', { key: intake.dedupeKey });
    return { outcome: 'duplicate', key: intake.dedupeKey };
  }
  try {
    const { report } = await remediateTarget(rt, intake.target, trigger);
    return { outcome: 'handled', key: intake.dedupeKey, report };
  } catch (e) {
    // The claim only stands for an event we handled: give it back so the sender's redelivery (Event
    // Grid and action groups retry failures) is acted on, and record why this delivery failed.
    await rt.ledger.releaseEvent(intake.dedupeKey).catch((err: unknown) => log.error('ledger: could not release event claim', { err }));
    await rt.ledger
      .recordFailure('event-failed', intake.dedupeKey, (e as Error).message, intake.target)
      .catch((err: unknown) => log.error('ledger: could not record event failure', { err }));
    throw e;
  }
}

export interface ReconcileResult {
  runId: string;
  /** Remediated in this invocation (small results). */
  report?: RunReport;
  /** VMs fanned out to the work queue, one message each. */
  enqueued: number;
  /** VMs left for the next timer run because of the run caps. */
  deferred: number;
}

/**
 * The timer: the reconciling safety net over the configured subscriptions. Small results are
 * remediated inline; larger ones go to the queue one VM per message, never more than the run caps
 * allow (the rest wait for the next run, which rediscovers them).
 */
export async function reconcile(rt: Runtime): Promise<ReconcileResult> {
  const { settings } = rt;
  if (settings.subscriptions.length === 0) {
    throw new InputError(400, 'NoScope', 'REMEDIATION_SUBSCRIPTIONS is empty: the timer has nothing in scope');
  }
  const runId = randomUUID();
  const mode = runMode(rt);
  const log = rt.log.child({ trigger: 'timer', runId });
  const scope = { subscriptions: settings.subscriptions };
  const work = await discoverWork({ ...engineOptions(rt), scope, runId, trigger: 'timer', log });
  if (work.length <= settings.inlineMaxVms) {
    const report = await runRemediation({ ...engineOptions(rt), mode, scope, runId, trigger: 'timer', log });
    return { runId, report, enqueued: 0, deferred: 0 };
  }
  // Each message becomes its own one-VM run with its own caps, so the timer's caps bound the fan-out.
  const cap = Math.min(settings.maxVmsPerRun, settings.maxWritesPerKind);
  const batch = work.slice(0, cap);
  const startedAt = (rt.now ?? (() => new Date()))();
  await rt.ledger.startRun({ runId, mode, trigger: 'timer', scope, startedAt });
  for (const w of batch) await rt.queue.send({ vmId: w.vmId, jobId: w.jobId, parentRunId: runId });
  const deferred = work.length - batch.length;
  log.info('fanned out', { enqueued: batch.length, deferred });
  await rt.ledger.finishRun(runId, {
    schemaVersion: 1,
    mode,
    runId,
    startedAt: startedAt.toISOString(),
    finishedAt: (rt.now ?? (() => new Date()))().toISOString(),
    items: [],
    summary: { items: 0, writes: 0, fannedOut: batch.length, deferred },
  });
  return { runId, enqueued: batch.length, deferred };
}

/**
 * One queue message = one VM. Malformed messages are recorded and parked in the poison queue at
 * once (retrying cannot fix them); a message whose run keeps failing is recorded on its last
 * delivery and rethrown so the host moves it to the poison queue.
 */
export async function processWorkMessage(rt: Runtime, message: unknown, dequeueCount: number): Promise<OneVmResult | undefined> {
  try {
    const parsed = parseWorkMessage(message);
    return await remediateTarget(rt, { vmId: parsed.vmId, jobId: parsed.jobId }, 'queue');
  } catch (e) {
    if (e instanceof InputError) {
      // Malformed, or out of scope: no retry can change that, so it is parked at once.
      const reason = e.message;
      await rt.ledger.recordFailure('queue-rejected', messageKey(message), reason, message);
      await rt.queue.poison.send({ [REJECTED]: reason, message: typeof message === 'object' && message !== null ? message : String(message) });
      rt.log.warn('queue message rejected', { reason });
      return undefined;
    }
    if (dequeueCount >= MAX_DEQUEUE_COUNT) {
      await rt.ledger.recordFailure('queue-failed', messageKey(message), (e as Error).message, message);
    }
    throw e;
  }
}

/** Marks a message this app parked in the poison queue itself (already recorded, with its reason). */
const REJECTED = 'rejectedBecause';

/** Anything that reaches the poison queue is recorded, whatever put it there. */
export async function recordPoison(rt: Runtime, message: unknown): Promise<void> {
  if (typeof message === 'object' && message !== null && REJECTED in message) {
    rt.log.warn('rejected message parked in the poison queue (recorded when rejected)', { reason: (message as Record<string, unknown>)[REJECTED] });
    return;
  }
  await rt.ledger.recordFailure('poison', messageKey(message), 'message reached the poison queue after repeated failures', message);
  rt.log.error('poison message recorded', { key: messageKey(message) });
}

function messageKey(message: unknown): string {
  const m = message as { vmId?: unknown; jobId?: unknown } | null;
  const id = m && typeof m === 'object' ? (typeof m.jobId === 'string' ? m.jobId : typeof m.vmId === 'string' ? m.vmId : '') : '';
  return id || `message:${randomUUID()}`;
}

/** `GET /api/runs/{runId}`. */
export async function getRunReport(rt: Runtime, runIdRaw: unknown) {
  const runId = parseRunId(runIdRaw);
  const run = await rt.ledger.getRun(runId);
  if (!run) throw new InputError(404, 'RunNotFound', `run ${runId} not found`);
  return run;
}
