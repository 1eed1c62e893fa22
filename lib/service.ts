// The use cases behind the Functions triggers: each trigger parses its input (lib/intake), then calls
// one of these, which call the engine. Nothing here talks HTTP or Functions types, so the same calls
// serve any host.

import { randomUUID } from 'node:crypto';
import { discoverWork, runRemediation } from './engine';
import { InputError, isInputError } from './intake/errors';
import { parseEvent, type Intake } from './intake/event';
import { parseRunId, parseWorkMessage, type RequestedMode } from './intake/http';
import { INTAKE_EVENTS_PER_MINUTE, IntakeLimiter } from './intake/limiter';
import { messageText, poisonCopy, poisonKey } from './intake/poison';
import { resolveDisplayName } from './intake/resolve';
import { assertInScope, engineScope, type Target } from './intake/target';
import { redact } from './redact';
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
  const scope = engineScope(target);
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
  | { outcome: 'deferred'; reason: string }
  | { outcome: 'duplicate'; key: string }
  | { outcome: 'handled'; key: string; report: RunReport };

/** Per entry point, per worker process (see lib/intake/limiter). */
const limiters = new Map<string, IntakeLimiter>();
function limiterFor(rt: Runtime, trigger: string): IntakeLimiter {
  const perMinute = rt.intakeEventsPerMinute ?? INTAKE_EVENTS_PER_MINUTE;
  let l = limiters.get(trigger);
  if (!l || l.perMinute !== perMinute) limiters.set(trigger, (l = new IntakeLimiter(perMinute)));
  return l;
}

/** Records an input we acknowledge without acting, so an operator can see what arrived and why. */
async function recordIgnore(rt: Runtime, ignore: { reason: string; source: string; alertKind?: string }, key: string): Promise<IntakeOutcome> {
  rt.log.info('event ignored', { reason: ignore.reason, source: ignore.source, alertKind: ignore.alertKind });
  const payload = { source: ignore.source, ...(ignore.alertKind ? { alertKind: ignore.alertKind } : {}) };
  await rt.ledger.recordFailure('intake-ignored', key, redact(ignore.reason), payload);
  return { outcome: 'ignored', reason: ignore.reason };
}

/** A log search alert's VM display name, resolved through the vault it names (scope-checked first). */
async function resolveNamed(rt: Runtime, intake: Intake & { kind: 'resolve-name' }, key: string): Promise<Intake & { kind: 'remediate' } | IntakeOutcome> {
  assertInScope({ vault: intake.vault }, rt.settings);
  const found = await resolveDisplayName(rt.arm, intake.vault, intake.displayName);
  if (!found.found) return recordIgnore(rt, { reason: found.reason, source: intake.source, alertKind: intake.alertKind }, key);
  const target = { vm: found.vm, item: found.item, vault: intake.vault };
  return { kind: 'remediate', target, dedupeKey: intake.dedupeKey, source: intake.source, alertKind: intake.alertKind };
}

/** An event or alert: a hint, re-read from ARM by the engine; duplicates and replays act once. */
export async function handleIntake(rt: Runtime, received: Intake, trigger: 'eventgrid' | 'alert', key: string = randomUUID()): Promise<IntakeOutcome> {
  const log = rt.log.child({ trigger, source: received.source });
  const decision = limiterFor(rt, trigger).take(trigger);
  if (decision !== 'run') return defer(rt, log, trigger, decision === 'defer-first', key);
  if (received.kind === 'ignore') return recordIgnore(rt, received, key);
  const intake = received.kind === 'resolve-name' ? await resolveNamed(rt, received, key) : received;
  if (!('kind' in intake)) return intake;
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
      .recordFailure('event-failed', intake.dedupeKey, redact((e as Error).message), engineScope(intake.target))
      .catch((err: unknown) => log.error('ledger: could not record event failure', { err }));
    throw e;
  }
}

/** Past the intake limit: nothing is read or run; the reconcile timer covers every failed job in scope. */
async function defer(rt: Runtime, log: Runtime['log'], trigger: string, first: boolean, key: string): Promise<IntakeOutcome> {
  const reason = `more than ${rt.intakeEventsPerMinute ?? INTAKE_EVENTS_PER_MINUTE} events a minute through ${trigger}: left to the next reconcile run`;
  log.warn('event deferred to the next reconcile', { reason });
  if (first) await rt.ledger.recordFailure('intake-deferred', key, reason, { trigger });
  return { outcome: 'deferred', reason };
}

/**
 * One Event Grid / CloudEvents event. Bad events are recorded and acknowledged (Event Grid would only
 * redeliver the same bytes); Azure or storage trouble is rethrown so Event Grid retries and, past its
 * retries, dead-letters the event.
 */
export async function receiveEvent(rt: Runtime, event: unknown, deliveryId: string): Promise<IntakeOutcome | undefined> {
  try {
    return await handleIntake(rt, parseEvent(event), 'eventgrid', eventKey(event, deliveryId));
  } catch (e) {
    if (!isInputError(e)) throw e;
    const reason = redact(`${e.code}: ${e.message}`);
    await rt.ledger.recordFailure('event-rejected', eventKey(event, deliveryId), reason, poisonCopy(event, 'eventGridIntake', reason));
    rt.log.warn('event rejected', { status: e.status, code: e.code, reason });
    return undefined;
  }
}

function eventKey(event: unknown, fallback: string): string {
  const id = (event as { id?: unknown } | null)?.id;
  return typeof id === 'string' && id.length > 0 && id.length <= 200 ? id : fallback;
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

/** Parked messages and poison records are unique for the poison queue's message lifetime (7 days). */
const POISON_CLAIM_TTL_MS = 7 * 86_400_000;

/**
 * One queue message = one VM. Malformed or out-of-scope messages are recorded and parked in the
 * poison queue at once (retrying cannot fix them); a message whose run keeps failing is recorded on
 * its last delivery and rethrown so the host moves it to the poison queue.
 */
export async function processWorkMessage(rt: Runtime, message: unknown, dequeueCount: number): Promise<OneVmResult | undefined> {
  try {
    const parsed = parseWorkMessage(message);
    return await remediateTarget(rt, { vm: parsed.vm, ...(parsed.job ? { job: parsed.job } : {}) }, 'queue');
  } catch (e) {
    if (e instanceof InputError) {
      await park(rt, message, redact(`${e.code}: ${e.message}`));
      return undefined;
    }
    if (dequeueCount >= MAX_DEQUEUE_COUNT) {
      const reason = redact((e as Error).message);
      await rt.ledger.recordFailure('queue-failed', messageKey(message), reason, poisonCopy(message, 'remediateVm', reason));
    }
    throw e;
  }
}

/**
 * Parks a message no retry can fix: recorded, then its digest claimed (so the poison trigger knows it
 * is recorded without trusting its body), then a copy that fits the queue sent to the poison queue.
 */
async function park(rt: Runtime, message: unknown, reason: string): Promise<void> {
  const copy = poisonCopy(message, 'remediateVm', reason);
  await rt.ledger.recordFailure('queue-rejected', messageKey(message), reason, copy);
  await rt.ledger.claimEvent(poisonKey(copy), POISON_CLAIM_TTL_MS);
  await rt.queue.poison.send(copy);
  rt.log.warn('queue message rejected and parked', { reason, originalSha256: copy.originalSha256, truncated: copy.truncated });
}

/** Anything that reaches the poison queue is recorded once, whatever put it there. */
export async function recordPoison(rt: Runtime, message: unknown): Promise<void> {
  const key = poisonKey(message);
  if (!(await rt.ledger.claimEvent(key, POISON_CLAIM_TTL_MS))) {
    rt.log.info('poison message already recorded (parked by this app, or delivered before)', { key });
    return;
  }
  const reason = 'message reached the poison queue after repeated failures';
  await rt.ledger.recordFailure('poison', messageKey(message), reason, poisonCopy(message, 'host', reason));
  rt.log.error('poison message recorded', { key });
}

function messageKey(message: unknown): string {
  const m = message as { vmId?: unknown; jobId?: unknown } | null;
  const id = m && typeof m === 'object' ? (typeof m.jobId === 'string' ? m.jobId : typeof m.vmId === 'string' ? m.vmId : '') : '';
  return id && id.length <= 512 ? id : `message:${poisonKey(messageText(message)).slice(7, 23)}`;
}

/** `GET /api/runs/{runId}`. */
export async function getRunReport(rt: Runtime, runIdRaw: unknown) {
  const runId = parseRunId(runIdRaw);
  const run = await rt.ledger.getRun(runId);
  if (!run) throw new InputError(404, 'RunNotFound', `run ${runId} not found`);
  return run;
}
