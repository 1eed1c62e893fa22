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

export function createPacer(opts: PacerOptions = {}): Pacer {
  const lowWater = opts.lowWater ?? 20;
  const refill = { ...DEFAULT_REFILL, ...opts.refillPerSecond };
  const maxRetryAfterMs = opts.maxRetryAfterMs ?? 60_000;
  const maxThrottleRetries = opts.maxThrottleRetries ?? 50;
  const maxWriteThrottleRetries = opts.maxWriteThrottleRetries ?? 3;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = opts.now ?? Date.now;
  const buckets = new Map<string, Bucket>();
  let stats = emptyStats();

  function bucketFor(key: string): Bucket | undefined {
    return buckets.get(key);
  }

  async function pace(key: string, category: 'read' | 'write' | 'delete'): Promise<void> {
    const b = bucketFor(key);
    if (!b) return; // no budget header seen yet: nothing to pace on
    const rate = refill[category];
    const turn = b.gate.then(async () => {
      const t = now();
      const estimate = Math.min(b.remaining + ((t - b.at) / 1000) * rate, Number.MAX_SAFE_INTEGER);
      if (estimate <= lowWater) {
        const waitMs = Math.ceil(((lowWater + 1 - estimate) / rate) * 1000);
        stats.pacedRequests++;
        stats.pacedMs += waitMs;
        await sleep(waitMs);
        b.remaining = lowWater; // spent the one token we waited for
      } else {
        b.remaining = estimate - 1;
      }
      b.at = now();
    });
    b.gate = turn.catch(() => undefined);
    await turn;
  }

  function observe(key: string, category: RequestCategory, response: PipelineResponse): void {
    if (category === 'graph') return;
    const raw = response.headers.get(`x-ms-ratelimit-remaining-subscription-${category}s`);
    if (raw === undefined) return;
    const n = Number(raw);
    if (!Number.isFinite(n)) return;
    let b = buckets.get(key);
    if (!b) {
      b = { remaining: n, at: now(), inFlight: 0, gate: Promise.resolve() };
      buckets.set(key, b);
    }
    // The header was read at the server before requests still in flight were counted there.
    b.remaining = Math.max(0, n - Math.max(0, b.inFlight - 1));
    b.at = now();
  }

  const policy: PipelinePolicy = {
    name: 'armPacingPolicy',
    async sendRequest(request: PipelineRequest, next: SendRequest): Promise<PipelineResponse> {
      const category = categoryOf(request.method, request.url);
      const key = `${subscriptionOfUrl(request.url)}|${category}`;
      for (let attempt = 0; ; attempt++) {
        if (category !== 'graph') await pace(key, category);
        stats.requests[category]++;
        const b = buckets.get(key);
        if (b) b.inFlight++;
        let response: PipelineResponse;
        try {
          response = await next(request);
        } finally {
          if (b) b.inFlight--;
        }
        const cls = response.status === 429 ? '429' : `${Math.floor(response.status / 100)}xx`;
        stats.statuses[cls] = (stats.statuses[cls] ?? 0) + 1;
        observe(key, category, response);
        if (response.status !== 429) return response;
        stats.throttled++;
        const wait = retryAfterMsOf(response, now()) ?? 1000;
        if (wait > maxRetryAfterMs) throw new ThrottledError(wait, category, request.url);
        if (category === 'write' || category === 'delete') {
          // Not resent again: the caller records "throttled, retry later" and the next write re-reads the kill switch.
          if (attempt >= maxWriteThrottleRetries) throw new ThrottledError(wait, category, request.url, attempt);
        } else if (attempt >= maxThrottleRetries) {
          return response;
        }
        const bucket = buckets.get(key);
        if (bucket) {
          bucket.remaining = 0;
          bucket.at = now() + wait;
        }
        stats.retryAfterMs += wait;
        await sleep(wait);
      }
    },
  };

  return {
    policy,
    stats: () => ({
      ...stats,
      requests: { ...stats.requests },
      statuses: { ...stats.statuses },
    }),
    reset: () => {
      stats = emptyStats();
      buckets.clear();
    },
  };
}

function emptyStats(): PacerStats {
  return { requests: { read: 0, write: 0, delete: 0, graph: 0 }, statuses: {}, throttled: 0, pacedRequests: 0, pacedMs: 0, retryAfterMs: 0 };
}
