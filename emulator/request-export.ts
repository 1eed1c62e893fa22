// The request log seen from outside a standalone emulator: one JSON object per answered request,
// appended to a file (`simulate --log-out`) and/or served at GET /_emulator/requests
// (`simulate --log-endpoint`), so a script, the Azure CLI or another tool's tests can count calls
// and see the writes. Headers are never exported (they carry the bearer token); token requests
// never export bodies (the answer is an access token); anything shaped like a JWT left in a query
// or a body is replaced, so no token reaches a log however it was sent.
import { closeSync, openSync, writeSync } from 'node:fs';
import type { RequestRecord } from './request-log';

export const REQUEST_LOG_PATH = '/_emulator/requests';

export interface ExportedRequest {
  /** 1-based position in the log; `?after=<seq>` on the endpoint reads only later ones. */
  seq: number;
  at: string;
  method: string;
  path: string;
  query: string;
  status: number;
  category: RequestRecord['category'];
  durationMs: number;
  principal?: string;
  throttled: boolean;
  faulted: boolean;
  requestBody?: unknown;
  responseBody?: unknown;
}

export interface Bodies {
  request: string;
  response?: string;
}

const JWT = /eyJ[\w-]*\.[\w-]*\.[\w-]*/g;

function scrub(text: string): string {
  return text.replace(JWT, '[redacted]');
}

function bodyValue(text: string | undefined): unknown {
  if (text === undefined || text === '') return undefined;
  const clean = scrub(text);
  try {
    return JSON.parse(clean);
  } catch {
    return clean;
  }
}

/** The exported form of one record; bodies only when asked and never for the token endpoint. */
export function exportRecord(seq: number, r: RequestRecord, bodies?: Bodies): ExportedRequest {
  const out: ExportedRequest = {
    seq,
    at: r.at,
    method: r.method,
    path: scrub(r.path),
    query: scrub(r.query),
    status: r.status,
    category: r.category,
    durationMs: Math.round(r.durationMs * 10) / 10,
    principal: r.principal,
    throttled: r.throttled,
    faulted: r.faulted,
  };
  if (bodies && r.category !== 'token') {
    out.requestBody = bodyValue(bodies.request);
    out.responseBody = bodyValue(bodies.response);
  }
  return out;
}

/**
 * JSON lines appended synchronously, one per request as it is answered: a reader tailing the file
 * sees a request as soon as its client has the answer.
 */
export class RequestLogFile {
  private readonly fd: number;
  private seq = 0;

  constructor(path: string, private readonly withBodies: boolean) {
    // Truncated at start: the file describes this server's run only.
    this.fd = openSync(path, 'w');
  }

  write(r: RequestRecord, bodies: Bodies): void {
    this.seq += 1;
    writeSync(this.fd, `${JSON.stringify(exportRecord(this.seq, r, this.withBodies ? bodies : undefined))}\n`);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** GET /_emulator/requests[?after=<seq>]: the log as JSON lines (application/x-ndjson). */
export function requestLogLines(records: RequestRecord[], query: URLSearchParams): string {
  const after = Number(query.get('after') ?? 0);
  const from = Number.isInteger(after) && after > 0 ? after : 0;
  return records
    .slice(from)
    .map((r, i) => `${JSON.stringify(exportRecord(from + i + 1, r))}\n`)
    .join('');
}
