// Telemetry dimensions on what an exporter would really receive: in-memory OpenTelemetry providers
// (spans, log records, metrics) installed globally, then a plan and an apply over the sample estate
// through the real engine. Every log record and span carries runId, vmId, jobId, errorCode, action
// and outcome; the records and spans about a job carry its values; the outcome counters add up.

import { logs } from '@opentelemetry/api-logs';
import { metrics, trace } from '@opentelemetry/api';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type SumMetricData } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sampleEstatePath } from '../emulator/sample';
import { createLogger, functionContextSink, memorySink } from '../lib/log';
import { itemOutcome, ITEM_OUTCOMES } from '../lib/report/outcome';
import { APPROVAL_PENDING_MESSAGE, APPROVALS_PENDING_METRIC, ITEM_OUTCOME_MESSAGE, otelSink, outcomeMetricName, setTelemetryActive, TELEMETRY_DIMENSIONS } from '../lib/telemetry';
import type { RunReport } from '../lib/types';
import { useHarness } from './helpers/harness';

const spans = new InMemorySpanExporter();
const records = new InMemoryLogRecordExporter();
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
const loggerProvider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: records })] });
const meterProvider = new MeterProvider({ readers: [reader] });

beforeAll(() => {
  trace.setGlobalTracerProvider(tracerProvider);
  logs.setGlobalLoggerProvider(loggerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
  setTelemetryActive(true);
});

afterAll(async () => {
  setTelemetryActive(false);
  await Promise.all([tracerProvider.shutdown(), loggerProvider.shutdown(), meterProvider.shutdown()]);
});

const env = useHarness();
const estate = JSON.parse(readFileSync(sampleEstatePath(), 'utf8'));

const attrs = (x: { attributes: Record<string, unknown> }) => x.attributes;
const hasAllDimensions = (a: Record<string, unknown>) => TELEMETRY_DIMENSIONS.every((d) => typeof a[d] === 'string');

async function sums(): Promise<Map<string, number>> {
  await reader.forceFlush();
  const out = new Map<string, number>();
  const last = metricExporter.getMetrics().at(-1);
  for (const scope of last?.scopeMetrics ?? []) {
    for (const m of scope.metrics as SumMetricData[]) out.set(m.descriptor.name, m.dataPoints.reduce((n, p) => n + p.value, 0));
  }
  return out;
}

describe('telemetry dimensions', () => {
  it('every log record and span of an apply carries the six dimensions, with the job values where they apply', async () => {
    const e = await env(estate);
    spans.reset();
    records.reset();
    // The Function App's sink: with telemetry on, context.log receives nothing; OpenTelemetry gets the record.
    const contextLines: unknown[] = [];
    const sink = functionContextSink({ log: (...a) => contextLines.push(a), warn: (...a) => contextLines.push(a), error: (...a) => contextLines.push(a) });
    const report: RunReport = await e.run('apply', { log: createLogger(sink, { functionName: 'reconcile' }, () => e.emu.clock.now()) });
    expect(contextLines).toEqual([]);

    const logged = records.getFinishedLogRecords();
    expect(logged.length).toBeGreaterThan(report.items.length);
    for (const r of logged) expect(hasAllDimensions(attrs(r))).toBe(true);
    for (const r of logged) expect(attrs(r).runId).toBe(report.runId);

    // Each write's log lines name the VM, the job, the failure's code, the action and its outcome.
    const applied = logged.filter((r) => / applied: /.test(String(r.body)));
    expect(applied.length).toBe(report.summary.writes);
    for (const r of applied) {
      const a = attrs(r);
      const item = report.items.find((i) => i.vmId === a.vmId && i.jobId === a.jobId)!;
      expect(item).toBeDefined();
      expect(a.errorCode).toBe(item.failure.code);
      expect(item.actions.map((x) => x.kind)).toContain(a.action);
      expect(a.outcome).toBe('applied');
      expect(a.functionName).toBe('reconcile');
    }

    // One outcome record per failed job, with the next step when a human must act.
    const outcomes = logged.filter((r) => r.body === ITEM_OUTCOME_MESSAGE);
    expect(outcomes).toHaveLength(report.items.length);
    for (const item of report.items) {
      const rec = outcomes.find((r) => attrs(r).jobId === item.jobId && attrs(r).vmId === item.vmId)!;
      expect(attrs(rec)).toMatchObject({ runId: report.runId, errorCode: item.failure.code, outcome: itemOutcome(item, 'apply'), action: item.actions.map((a) => a.kind).join(',') });
      if (itemOutcome(item, 'apply') === 'reported') expect(String(attrs(rec).nextStep).length).toBeGreaterThan(0);
    }

    // Spans: the run, one per failed job, one per action, all with the six dimensions.
    const finished = spans.getFinishedSpans();
    for (const s of finished) expect(hasAllDimensions(attrs(s))).toBe(true);
    expect(finished.filter((s) => s.name === 'remediation run')).toHaveLength(1);
    const vmSpans = finished.filter((s) => s.name === 'remediate vm');
    expect(vmSpans).toHaveLength(report.items.length);
    for (const s of vmSpans) {
      const item = report.items.find((i) => i.jobId === attrs(s).jobId)!;
      expect(attrs(s)).toMatchObject({ runId: report.runId, vmId: item.vmId, errorCode: item.failure.code, outcome: itemOutcome(item, 'apply') });
    }
    const actionSpans = finished.filter((s) => s.name.startsWith('action '));
    expect(actionSpans).toHaveLength(report.items.reduce((n, i) => n + i.actions.length, 0));
    expect(actionSpans.filter((s) => attrs(s).outcome === 'applied')).toHaveLength(report.summary.writes);
  }, 180_000);

  it('one counter per outcome adds up to the failed jobs of each outcome (plan: approval pending)', async () => {
    const before = await sums();
    const e = await env(estate);
    const plan = await e.run('plan');
    const after = await sums();
    const delta = (o: (typeof ITEM_OUTCOMES)[number]) => (after.get(outcomeMetricName(o)) ?? 0) - (before.get(outcomeMetricName(o)) ?? 0);
    for (const o of ITEM_OUTCOMES) expect(delta(o)).toBe(plan.items.filter((i) => itemOutcome(i, 'plan') === o).length);
    expect(delta('approval-pending')).toBeGreaterThan(0);
    expect(delta('reported')).toBeGreaterThan(0);
  }, 180_000);

  it('proposals waiting for a human: a gauge of how many and one "approval pending" record each (the alert\'s source)', async () => {
    const e = await env(estate, { settings: { requireApproval: ['delete-restore-point-collection', 'remove-snapshot-extension'] } });
    records.reset();
    const plan = await e.run('plan');
    const pending = plan.pendingApprovals ?? [];
    expect(pending.length).toBeGreaterThan(0);
    const waiting = records.getFinishedLogRecords().filter((r) => r.body === APPROVAL_PENDING_MESSAGE);
    expect(waiting.map((r) => attrs(r).proposalId).sort()).toEqual(pending.map((p) => p.id).sort());
    for (const r of waiting) expect(hasAllDimensions(attrs(r)) && typeof attrs(r).vmId === 'string' && attrs(r).vmId !== '').toBe(true);
    expect((await sums()).get(APPROVALS_PENDING_METRIC)).toBe(pending.length);
  }, 180_000);

  it('the CLI keeps JSON lines: a stream or memory sink is untouched by telemetry', () => {
    const mem = memorySink();
    createLogger(mem).child({ runId: 'r1' }).info('hello', { vmId: 'v' });
    expect(mem.records).toEqual([expect.objectContaining({ runId: 'r1', vmId: 'v', msg: 'hello', level: 'info' })]);
    expect(typeof otelSink().write).toBe('function');
  });

  it('loading the engine, the runtime and the CLI loads no OpenTelemetry package (cold start stays lean)', () => {
    // The compiled code, in a fresh process (`npm test` builds first): what a cold Function App or CLI start loads.
    const probe = "for (const m of ['./dist/lib/engine', './dist/lib/runtime', './dist/lib/log', './dist/cli/main']) require(m);" +
      "console.log(JSON.stringify(Object.keys(require.cache).filter((k) => /opentelemetry/.test(k))))";
    const r = spawnSync(process.execPath, ['-e', probe], { cwd: join(__dirname, '..'), encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
  });
});
