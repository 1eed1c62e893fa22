// Structured logging for the engine. Every line is one JSON object so the Functions host, the CLI
// and tests can all read it; the sink decides where lines go (context.log, stderr, memory,
// OpenTelemetry in Azure).

import { otelSink, telemetryActive } from './telemetry';

import { redactValue } from './redact';

export type LogLevel = 'info' | 'warn' | 'error';

export interface LogRecord {
  level: LogLevel;
  msg: string;
  at: string;
  /** runId, vmId, jobId and anything else bound with child() or passed per call. */
  [field: string]: unknown;
}

export interface LogSink {
  write(record: LogRecord): void;
}

export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A logger whose every line also carries `fields` (e.g. runId, then vmId and jobId). */
  child(fields: Record<string, unknown>): Logger;
}

/** Errors do not survive JSON.stringify; keep their message (and code when ARM gave one). */
function plain(value: unknown): unknown {
  if (value instanceof Error) {
    const out: Record<string, unknown> = { name: value.name, message: value.message };
    const code = (value as { code?: unknown }).code;
    const statusCode = (value as { statusCode?: unknown }).statusCode;
    if (code !== undefined) out.code = code;
    if (statusCode !== undefined) out.statusCode = statusCode;
    return out;
  }
  return value;
}

function redactRecord(record: LogRecord): LogRecord {
  const safe = redactValue(record);
  return 'redactionFailed' in safe ? { level: record.level, msg: 'log line withheld: it could not be redacted', at: record.at } : (safe as LogRecord);
}

export function createLogger(sink: LogSink, bound: Record<string, unknown> = {}, clock: () => Date = () => new Date()): Logger {
  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    const record: LogRecord = { level, msg, at: clock().toISOString() };
    for (const [k, v] of Object.entries(bound)) if (v !== undefined) record[k] = plain(v);
    if (fields) for (const [k, v] of Object.entries(fields)) if (v !== undefined) record[k] = plain(v);
    try {
      // Credentials never reach a log line, whatever an error message or a field quoted (lib/redact).
      sink.write(redactRecord(record));
    } catch {
      // A broken sink must never break a remediation run.
    }
  };
  return {
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
    child: (fields) => createLogger(sink, { ...bound, ...fields }, clock),
  };
}

/** JSON lines on a writable stream (the CLI uses stderr so stdout stays the report). */
export function streamSink(stream: { write(chunk: string): unknown } = process.stderr): LogSink {
  return { write: (record) => void stream.write(JSON.stringify(record) + '\n') };
}

/**
 * Routes by level to a Functions InvocationContext-like object (context.log / warn / error), or,
 * once Azure Monitor telemetry is on, to OpenTelemetry with runId, vmId, jobId, errorCode, action and
 * outcome as dimensions (lib/telemetry.ts) instead of inside the message text.
 */
export function functionContextSink(context: {
  log(...args: unknown[]): void;
  warn?(...args: unknown[]): void;
  error?(...args: unknown[]): void;
}): LogSink {
  const otel = otelSink();
  return {
    write(record) {
      if (telemetryActive()) return otel.write(record);
      const line = JSON.stringify(record);
      if (record.level === 'error' && context.error) context.error(line);
      else if (record.level === 'warn' && context.warn) context.warn(line);
      else context.log(line);
    },
  };
}

/** Keeps records in memory, for tests that assert on what was logged. */
export interface MemorySink extends LogSink {
  records: LogRecord[];
}
export function memorySink(): MemorySink {
  const records: LogRecord[] = [];
  return { records, write: (record) => void records.push(record) };
}

export const silentSink: LogSink = { write: () => undefined };

export function silentLogger(): Logger {
  return createLogger(silentSink);
}
