// Pacing of ARM traffic. ARM budgets requests per subscription and principal in token buckets (reads 250
// refilling 25/s, writes and deletes 200 refilling 10/s) and reports what is left in
// `x-ms-ratelimit-remaining-subscription-{reads,writes,deletes}`. Running into the bucket's floor costs a
// 429 and a Retry-After sleep; slowing down to the refill rate just before the floor costs nothing extra.
// This policy does that, retries 429s itself (separately from the SDK's 5xx retry count, so a throttling
// storm ends in success), and turns a Retry-After too long to sit out into a ThrottledError the caller can
// re-queue on. Writes and deletes are retried only a few times: a throttled write must not be resent for
// minutes without the kill switch being read again (nor outlast the VM's lease), so past that cap it
// surfaces as a ThrottledError ("throttled, retry later" for that VM) and the next write re-checks.
// It also counts requests by category for benchmarks.
import type { PipelinePolicy, PipelineRequest, PipelineResponse, SendRequest } from '@azure/core-rest-pipeline';

export type RequestCategory = 'read' | 'write' | 'delete' | 'graph';

/** A Retry-After longer than the configured maximum: re-queue the work instead of blocking on it. */
export class ThrottledError extends Error {
  readonly retryAfterMs: number;
  readonly category: RequestCategory;
  readonly url: string;
  constructor(retryAfterMs: number, category: RequestCategory, url: string, retries?: number) {
    super(retries === undefined
      ? `ARM throttled a ${category} request and asked to wait ${Math.round(retryAfterMs / 1000)} s (more than allowed to block); re-queue and retry later: ${url}`
      : `ARM throttled a ${category} request ${retries + 1} times in a row; it is not resent again in this run, retry later: ${url}`);
    this.name = 'ThrottledError';
    this.retryAfterMs = retryAfterMs;
    this.category = category;
    this.url = url;
  }
}

export interface PacerOptions {
  /** Remaining budget at or under which requests of that category are spaced to the refill rate. Default 20. */
  lowWater?: number;
  /** Refill rates per second used to space requests (ARM's documented defaults). */
  refillPerSecond?: Partial<Record<'read' | 'write' | 'delete', number>>;
  /** Longest Retry-After to sit out; longer ones throw ThrottledError. Default 60 000 ms. */
  maxRetryAfterMs?: number;
  /** 429s retried by this policy per read (and Resource Graph) request before giving the response back. Default 50. */
  maxThrottleRetries?: number;
  /** 429s retried per write or delete request; one more throws ThrottledError. Default 3. */
  maxWriteThrottleRetries?: number;
  /** Injected for tests. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export interface PacerStats {
  requests: Record<RequestCategory, number>;
  /** Responses by status class, e.g. { '2xx': 10, '429': 2 }. */
  statuses: Record<string, number>;
  throttled: number;
  /** Requests this pacer delayed to stay above the budget floor, and the total delay. */
  pacedRequests: number;
  pacedMs: number;
  /** Milliseconds slept on Retry-After. */
  retryAfterMs: number;
}

export interface Pacer {
  readonly policy: PipelinePolicy;
  stats(): PacerStats;
  reset(): void;
}

interface Bucket {
  remaining: number;
  at: number;
  inFlight: number;
  /** Serialises the waiting so concurrent requests queue instead of all waking together. */
  gate: Promise<void>;
}

const DEFAULT_REFILL = { read: 25, write: 10, delete: 10 } as const;

export function categoryOf(method: string, url: string): RequestCategory {
  if (/\/providers\/Microsoft\.ResourceGraph\//i.test(url)) return 'graph';
  const m = method.toUpperCase();
  if (m === 'GET' || m === 'HEAD') return 'read';
  if (m === 'DELETE') return 'delete';
  return 'write';
}

function subscriptionOfUrl(url: string): string {
  const m = /\/subscriptions\/([^/?#]+)/i.exec(url);
  return m ? m[1].toLowerCase() : '(tenant)';
}

export function retryAfterMsOf(response: PipelineResponse, now: number): number | undefined {
  for (const [name, factor] of [['retry-after-ms', 1], ['x-ms-retry-after-ms', 1], ['retry-after', 1000]] as const) {
    const raw = response.headers.get(name);
    if (raw === undefined || raw === '') continue;
    const n = Number(raw);
    if (Number.isFinite(n)) return Math.max(0, n * factor);
    if (name === 'retry-after') {
      const date = Date.parse(raw);
      if (Number.isFinite(date)) return Math.max(0, date - now);
    }
  }
  return undefined;
}

/** One pacer's settings, token buckets (per subscription and category) and counters. */
interface PacerState {
  lowWater: number;
  refill: Record<'read' | 'write' | 'delete', number>;
  maxRetryAfterMs: number;
  maxThrottleRetries: number;
  maxWriteThrottleRetries: number;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  buckets: Map<string, Bucket>;
  stats: PacerStats;
}

/** Waits for this request's turn: past the low-water mark, until the bucket has refilled one token. */
async function pace(st: PacerState, key: string, category: 'read' | 'write' | 'delete'): Promise<void> {
  const b = st.buckets.get(key);
  if (!b) return; // no budget header seen yet: nothing to pace on
  const rate = st.refill[category];
  const turn = b.gate.then(async () => {
    const t = st.now();
    const estimate = Math.min(b.remaining + ((t - b.at) / 1000) * rate, Number.MAX_SAFE_INTEGER);
    if (estimate <= st.lowWater) {
      const waitMs = Math.ceil(((st.lowWater + 1 - estimate) / rate) * 1000);
      st.stats.pacedRequests++;
      st.stats.pacedMs += waitMs;
      await st.sleep(waitMs);
      b.remaining = st.lowWater; // spent the one token we waited for
    } else {
      b.remaining = estimate - 1;
    }
    b.at = st.now();
  });
  b.gate = turn.catch(() => undefined);
  await turn;
}

/** Reads the remaining budget ARM reported for this subscription and category. */
function observe(st: PacerState, key: string, category: RequestCategory, response: PipelineResponse): void {
  if (category === 'graph') return;
  const raw = response.headers.get(`x-ms-ratelimit-remaining-subscription-${category}s`);
  if (raw === undefined) return;
  const n = Number(raw);
  if (!Number.isFinite(n)) return;
  let b = st.buckets.get(key);
  if (!b) {
    b = { remaining: n, at: st.now(), inFlight: 0, gate: Promise.resolve() };
    st.buckets.set(key, b);
  }
  // The header was read at the server before requests still in flight were counted there.
  b.remaining = Math.max(0, n - Math.max(0, b.inFlight - 1));
  b.at = st.now();
}

/** One paced send: counted, in-flight tracked, its budget header read. */
async function sendOnce(st: PacerState, key: string, category: RequestCategory, request: PipelineRequest, next: SendRequest): Promise<PipelineResponse> {
  if (category !== 'graph') await pace(st, key, category);
  st.stats.requests[category]++;
  const b = st.buckets.get(key);
  if (b) b.inFlight++;
  let response: PipelineResponse;
  try {
    response = await next(request);
  } finally {
    if (b) b.inFlight--;
  }
  const cls = response.status === 429 ? '429' : `${Math.floor(response.status / 100)}xx`;
  st.stats.statuses[cls] = (st.stats.statuses[cls] ?? 0) + 1;
  observe(st, key, category, response);
  return response;
}

/**
 * After a 429: how long to wait before resending, or undefined to give the 429 back (reads past their
 * retries). Throws ThrottledError past a minute, and for writes past their few retries.
 */
function throttleWait(st: PacerState, key: string, category: RequestCategory, response: PipelineResponse, url: string, attempt: number): number | undefined {
  st.stats.throttled++;
  const wait = retryAfterMsOf(response, st.now()) ?? 1000;
  if (wait > st.maxRetryAfterMs) throw new ThrottledError(wait, category, url);
  if (category === 'write' || category === 'delete') {
    // Not resent again: the caller records "throttled, retry later" and the next write re-reads the kill switch.
    if (attempt >= st.maxWriteThrottleRetries) throw new ThrottledError(wait, category, url, attempt);
  } else if (attempt >= st.maxThrottleRetries) {
    return undefined;
  }
  const bucket = st.buckets.get(key);
  if (bucket) {
    bucket.remaining = 0;
    bucket.at = st.now() + wait;
  }
  st.stats.retryAfterMs += wait;
  return wait;
}

export function createPacer(opts: PacerOptions = {}): Pacer {
  const st: PacerState = {
    lowWater: opts.lowWater ?? 20,
    refill: { ...DEFAULT_REFILL, ...opts.refillPerSecond },
    maxRetryAfterMs: opts.maxRetryAfterMs ?? 60_000,
    maxThrottleRetries: opts.maxThrottleRetries ?? 50,
    maxWriteThrottleRetries: opts.maxWriteThrottleRetries ?? 3,
    sleep: opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms))),
    now: opts.now ?? Date.now,
    buckets: new Map<string, Bucket>(),
    stats: emptyStats(),
  };
  const policy: PipelinePolicy = {
    name: 'armPacingPolicy',
    async sendRequest(request: PipelineRequest, next: SendRequest): Promise<PipelineResponse> {
      const category = categoryOf(request.method, request.url);
      const key = `${subscriptionOfUrl(request.url)}|${category}`;
      for (let attempt = 0; ; attempt++) {
        const response = await sendOnce(st, key, category, request, next);
        if (response.status !== 429) return response;
        const wait = throttleWait(st, key, category, response, request.url, attempt);
        if (wait === undefined) return response;
        await st.sleep(wait);
      }
    },
  };
  return {
    policy,
    stats: () => ({ ...st.stats, requests: { ...st.stats.requests }, statuses: { ...st.stats.statuses } }),
    reset: () => {
      st.stats = emptyStats();
      st.buckets.clear();
    },
  };
}

function emptyStats(): PacerStats {
  return { requests: { read: 0, write: 0, delete: 0, graph: 0 }, statuses: {}, throttled: 0, pacedRequests: 0, pacedMs: 0, retryAfterMs: 0 };
}
