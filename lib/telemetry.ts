// Telemetry an operator can chart and alert on, through the OpenTelemetry API: every log line and
// span carries the same six dimensions (TELEMETRY_DIMENSIONS) as attributes, which Application
// Insights stores as customDimensions; one counter per item outcome. Nothing here loads an
// OpenTelemetry package until telemetry is switched on (startAzureTelemetry in Azure, or a test
// with in-memory providers): the CLI and a cold Function App start load none of it, and the CLI
// keeps its JSON lines (lib/log.ts).

import type { Attributes, Span } from '@opentelemetry/api';
import type { TokenCredential } from '@azure/core-auth';
import { itemOutcome, ITEM_OUTCOMES, type ItemOutcome } from './report/outcome';
import type { PlanItem, RunReport } from './types';

/** The dimensions every log record and span carries ('' where one does not apply). The workbook's queries use these names. */
export const TELEMETRY_DIMENSIONS = ['runId', 'vmId', 'jobId', 'errorCode', 'action', 'outcome'] as const;
export type Dimension = (typeof TELEMETRY_DIMENSIONS)[number];

export const INSTRUMENTATION_SCOPE = 'backup-remediator';
/** Log message of the one record per failed job written when a run ends (the workbook's main source). */
export const ITEM_OUTCOME_MESSAGE = 'item outcome';
/** Log message of the one record per proposal still waiting for a human when a run ends (the approvals alert's source). */
export const APPROVAL_PENDING_MESSAGE = 'approval pending';
/** Gauge of the proposals waiting for a human, as the last run saw them. */
export const APPROVALS_PENDING_METRIC = 'remediation_approvals_pending';

/** Counter name per outcome: remediation_fixed, remediation_escalated, remediation_reported, remediation_approval_pending, remediation_verifying. */
export const outcomeMetricName = (o: ItemOutcome): string => `remediation_${o.replace(/-/g, '_')}`;

let active = false;

/** True once startAzureTelemetry (or a test) registered providers: logs then go through OpenTelemetry. */
export function telemetryActive(): boolean {
  return active;
}

/** For tests that install their own in-memory providers. */
export function setTelemetryActive(on: boolean): void {
  active = on;
}

/**
 * In Azure (APPLICATIONINSIGHTS_CONNECTION_STRING set by the Bicep): loads the Azure Monitor
 * OpenTelemetry distro and sends traces, logs and metrics with the app's Entra credential (the
 * component has local auth disabled). Returns whether telemetry is on. Never throws: a telemetry
 * problem must not stop remediation.
 */
export async function startAzureTelemetry(env: Record<string, string | undefined>, credential: TokenCredential): Promise<boolean> {
  const connectionString = env.APPLICATIONINSIGHTS_CONNECTION_STRING?.trim();
  if (!connectionString || active) return active;
  try {
    const { useAzureMonitor } = await import('@azure/monitor-opentelemetry');
    useAzureMonitor({
      azureMonitorExporterOptions: { connectionString, credential },
      enableLiveMetrics: false,
      instrumentationOptions: { azureSdk: { enabled: true }, http: { enabled: true } },
    });
    active = true;
  } catch (e) {
    process.stderr.write(`telemetry: Azure Monitor could not start (${(e as Error).message}); logs stay on stdout\n`);
  }
  return active;
}

// Loaded on first use only (see above); `require` keeps the load synchronous for the log sink.
const otelApi = (): typeof import('@opentelemetry/api') => require('@opentelemetry/api');
const otelLogs = (): typeof import('@opentelemetry/api-logs') => require('@opentelemetry/api-logs');

/** A log record as lib/log.ts writes it (declared here, not imported: lib/log.ts imports this module). */
interface LogRecord {
  level: 'info' | 'warn' | 'error';
  msg: string;
  at: string;
  [field: string]: unknown;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

// The failed job's error code, learned from the engine's `planned` line, so the write and
// verification lines about the same job carry it too. Bounded: a long-lived worker forgets old jobs.
const codeByJob = new Map<string, string>();

function rememberCode(jobId: string | undefined, code: string | undefined): void {
  if (!jobId || !code) return;
  if (codeByJob.size > 10_000) codeByJob.clear();
  codeByJob.set(jobId.toLowerCase(), code);
}

/** The six dimensions of a log record, from the fields the engine binds and passes. */
export function dimensionsOf(record: Record<string, unknown>): Record<Dimension, string> {
  const jobId = str(record.jobId);
  if (record.msg === 'planned') rememberCode(jobId, str(record.code));
  const actions = Array.isArray(record.actions) ? record.actions.filter((a): a is string => typeof a === 'string').join(',') : undefined;
  return {
    runId: str(record.runId) ?? '',
    vmId: str(record.vmId) ?? '',
    jobId: jobId ?? '',
    errorCode: str(record.errorCode) ?? (record.msg === 'planned' ? str(record.code) : undefined) ?? (jobId ? codeByJob.get(jobId.toLowerCase()) : undefined) ?? '',
    action: str(record.action) ?? actions ?? '',
    outcome: str(record.outcome) ?? str(record.status) ?? '',
  };
}

/** Attribute values OpenTelemetry accepts: scalars as they are, anything else as JSON. */
function attributesOf(record: LogRecord): Attributes {
  const out: Attributes = {};
  for (const [k, v] of Object.entries(record)) {
    if (k === 'msg' || k === 'level' || k === 'at' || v === undefined) continue;
    out[k] = typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : JSON.stringify(v);
  }
  return { ...out, ...dimensionsOf(record) };
}

/** Log records as OpenTelemetry log records (App Insights `traces`), dimensions as attributes. */
export function otelSink(): { write(record: LogRecord): void } {
  return {
    write(record) {
      const { logs, SeverityNumber } = otelLogs();
      const severity = { info: SeverityNumber.INFO, warn: SeverityNumber.WARN, error: SeverityNumber.ERROR }[record.level];
      logs.getLogger(INSTRUMENTATION_SCOPE).emit({
        severityNumber: severity,
        severityText: record.level.toUpperCase(),
        body: record.msg,
        timestamp: new Date(record.at),
        attributes: attributesOf(record),
      });
    },
  };
}

function itemDimensions(report: RunReport, item: PlanItem): Record<Dimension, string> {
  return {
    runId: report.runId,
    vmId: item.vmId,
    jobId: item.jobId,
    errorCode: item.failure.code,
    action: item.actions.map((a) => a.kind).join(','),
    outcome: itemOutcome(item, report.mode),
  };
}

function itemSpan(report: RunReport, item: PlanItem, parent: Span, times: { start: Date; end: Date }): void {
  const { trace, context: otelContext } = otelApi();
  const tracer = trace.getTracer(INSTRUMENTATION_SCOPE);
  const ctx = trace.setSpan(otelContext.active(), parent);
  const dims = itemDimensions(report, item);
  const span = tracer.startSpan('remediate vm', { startTime: times.start, attributes: { ...dims, mode: report.mode } }, ctx);
  for (const a of item.actions) {
    const child = tracer.startSpan(`action ${a.kind}`, { startTime: times.start, attributes: { ...dims, action: a.kind, outcome: a.status ?? 'proposed', target: a.target } }, trace.setSpan(ctx, span));
    child.end(times.end);
  }
  span.end(times.end);
}

/** One log record per failed job at the end of a run: its outcome and, when a human must act, the next step. */
function itemRecord(report: RunReport, item: PlanItem): void {
  const dims = itemDimensions(report, item);
  const nextStep = item.findings.find((f) => f.nextStep)?.nextStep ?? '';
  const { logs, SeverityNumber } = otelLogs();
  logs.getLogger(INSTRUMENTATION_SCOPE).emit({
    severityNumber: dims.outcome === 'escalated' ? SeverityNumber.WARN : SeverityNumber.INFO,
    severityText: dims.outcome === 'escalated' ? 'WARN' : 'INFO',
    body: ITEM_OUTCOME_MESSAGE,
    timestamp: new Date(report.finishedAt),
    attributes: { ...dims, mode: report.mode, nextStep, findings: [...new Set(item.findings.map((f) => f.kind))].join(',') },
  });
}

/**
 * Proposals waiting for a human: a gauge of how many, and one log record each (the approvals alert
 * in infra/modules/alerts.bicep counts these records, split per VM), so nobody has to look.
 */
function pendingApprovalsTelemetry(report: RunReport): void {
  const { metrics } = otelApi();
  const pending = report.pendingApprovals ?? [];
  metrics.getMeter(INSTRUMENTATION_SCOPE).createGauge(APPROVALS_PENDING_METRIC, { description: 'proposals waiting for a human approval' }).record(pending.length, { mode: report.mode });
  const { logs, SeverityNumber } = otelLogs();
  for (const p of pending) {
    const dims: Record<Dimension, string> = { runId: report.runId, vmId: p.vmId, jobId: '', errorCode: p.failureCode, action: p.action, outcome: 'pending' };
    logs.getLogger(INSTRUMENTATION_SCOPE).emit({
      severityNumber: SeverityNumber.WARN,
      severityText: 'WARN',
      body: APPROVAL_PENDING_MESSAGE,
      timestamp: new Date(report.finishedAt),
      attributes: { ...dims, proposalId: p.id, expiresAt: p.expiresAt, proposedBy: p.runId },
    });
  }
}

/**
 * The run as telemetry, once it ended: a span for the run with one child per failed job and one
 * per action, the item outcome records, and the outcome counters. Called by the engine; a no-op
 * until telemetry is on, and never throws.
 */
export function recordRunTelemetry(report: RunReport): void {
  if (!active) return;
  try {
    const { trace, metrics } = otelApi();
    const times = { start: new Date(report.startedAt), end: new Date(report.finishedAt) };
    const dims: Record<Dimension, string> = { runId: report.runId, vmId: '', jobId: '', errorCode: '', action: '', outcome: '' };
    const run = trace.getTracer(INSTRUMENTATION_SCOPE).startSpan('remediation run', { startTime: times.start, attributes: { ...dims, mode: report.mode, items: report.items.length, writes: report.summary.writes ?? 0 } });
    const meter = metrics.getMeter(INSTRUMENTATION_SCOPE);
    const counters = new Map(ITEM_OUTCOMES.map((o) => [o, meter.createCounter(outcomeMetricName(o), { description: `failed backup jobs whose outcome was ${o}` })]));
    for (const item of report.items) {
      itemSpan(report, item, run, times);
      itemRecord(report, item);
      counters.get(itemOutcome(item, report.mode))!.add(1, { errorCode: item.failure.code, mode: report.mode });
    }
    pendingApprovalsTelemetry(report);
    run.end(times.end);
  } catch {
    // Telemetry never breaks a run.
  }
}
