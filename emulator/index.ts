// The emulator: ARM over HTTPS on loopback. One port serves TLS for ARM and plain HTTP for the
// managed-identity token endpoint only (as in App Service, where IDENTITY_ENDPOINT is http://),
// told apart by the first byte of the connection.
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { armError, type ArmResponse } from './errors';
import { Router, type RouteContext } from './router';
import { SimulatedClock, type SimClock } from './clock';
import { EmulatorState } from './state';
import { validateEstate, loadEstateFile } from './validate';
import { generateTlsMaterial } from './tls';
import { Throttler, type BudgetCategory } from './throttle';
import { FaultInjector } from './faults';
import { MemoryRequestLog, type RequestLog, type RequestRecord } from './request-log';
import { REQUEST_LOG_PATH, requestLogLines, type Bodies } from './request-export';
import { decodeJwt, DEFAULT_TENANT_ID } from './jwt';
import { registerRoutes } from './routes';
import { handleTokenRequest, isTokenPath } from './routes/msi';
import type { Estate, FaultSpec } from './estate';
import { EmulatorRuntime } from './runtime';

export type { SimClock } from './clock';
export type { RequestLog, RequestRecord } from './request-log';
export type { BudgetCategory } from './throttle';
export { EmulatorState } from './state';
export { EstateError, validateEstate, loadEstateFile } from './validate';

export interface StartOptions {
  /** Estate file path, or raw estate JSON (validated). Omitted: an empty estate. */
  estate?: string | unknown;
  /** 0 or omitted = a free port. */
  port?: number;
  /** Write the CA PEM here. */
  caOut?: string;
  /** Default false in-process: the clock moves only when advanced. */
  realTimeClock?: boolean;
  /** Items per page of list responses (default 200, ARM's backup-jobs page size). */
  pageSize?: number;
  /** Seed of the fault-probability generator. */
  seed?: number;
  /** Called with every request once answered (the standalone `--log-out` file). */
  onRequest?: (record: RequestRecord, bodies: Bodies) => void;
  /** Serve the request log at GET /_emulator/requests (standalone `--log-endpoint`); default off. */
  exposeRequestLog?: boolean;
}

export interface Emulator {
  endpoint: string;
  ca: string;
  tenantId: string;
  clock: SimClock;
  requests: RequestLog;
  state: EmulatorState;
  faults: { add(f: FaultSpec): void; clear(): void };
  setLatency(ms: number | { min: number; max: number }): void;
  setThrottling(mode: 'off' | 'arm'): void;
  /** Which job fields Resource Graph rows and REST job lists carry (docs/emulator.md, "Job shapes"). */
  setJobShapes(shapes: { graph?: 'conservative' | 'full'; listExtendedInfo?: boolean }): void;
  /** Items per page of list responses. */
  setPageSize(n: number): void;
  /** Whether VM GET carries the VM's extensions as `resources` (default true, as ARM does). */
  setVmGetResources(served: boolean): void;
  /** Empty a throttling bucket now, so a test's next call meets a 429 without racing the refill. */
  exhaustBudget(subscriptionId: string, principal: string, category: BudgetCategory): void;
  stop(): Promise<void>;
}

const EMPTY_ESTATE = { subscriptions: [] };

function loadEstate(estate: unknown): Estate {
  if (estate === undefined) return validateEstate(EMPTY_ESTATE);
  if (typeof estate === 'string') return loadEstateFile(estate);
  return validateEstate(estate);
}

function categoryOf(method: string, path: string): RequestRecord['category'] {
  if (isTokenPath(path)) return 'token';
  if (method === 'POST' && /\/providers\/microsoft\.resourcegraph\/resources$/i.test(path)) return 'graph';
  if (method === 'GET' || method === 'HEAD') return 'read';
  // POSTs that compute and return, changing nothing: a NIC's effective security rules and routes.
  if (method === 'POST' && /\/providers\/microsoft\.network\/networkinterfaces\/[^/]+\/(effectivenetworksecuritygroups|effectiveroutetable)$/i.test(path)) return 'read';
  if (method === 'DELETE') return 'delete';
  return 'write';
}

const BUDGET: Record<string, BudgetCategory | undefined> = { read: 'reads', write: 'writes', delete: 'deletes' };

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function parseBody(raw: string, contentType: string | undefined): unknown {
  if (raw === '') return undefined;
  if (contentType?.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(raw));
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

export async function start(opts: StartOptions = {}): Promise<Emulator> {
  const estate = loadEstate(opts.estate);
  const tls = await generateTlsMaterial();
  if (opts.caOut) writeFileSync(opts.caOut, tls.caPem);
  const clock = new SimulatedClock(estate.now ? new Date(estate.now) : new Date(), opts.realTimeClock ?? false);
  const state = new EmulatorState(estate, DEFAULT_TENANT_ID);
  const throttler = new Throttler(estate.simulation.throttling);
  const faults = new FaultInjector(estate.simulation.faults, opts.seed);
  const log = new MemoryRequestLog();
  const runtime = new EmulatorRuntime(state, clock, { pageSize: opts.pageSize ?? 200 });
  const router = new Router();
  registerRoutes(router, runtime);
  let baseUrl = '';
  const claimsCache = new Map<string, NonNullable<ReturnType<typeof decodeJwt>>>();
  const latencyRandom = Math.random;

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, secure: boolean): Promise<void> {
    const started = performance.now();
    const at = new Date().toISOString();
    const method = (req.method ?? 'GET').toUpperCase();
    const rawUrl = req.url ?? '/';
    const qi = rawUrl.indexOf('?');
    // Clients that join a scope to the endpoint (getByScope) send `//subscriptions/...` or `/%2Fsubscriptions/...`.
    const rawPath = (qi >= 0 ? rawUrl.slice(0, qi) : rawUrl).replace(/^\/(?:\/|%2f)+/i, '/');
    const queryString = qi >= 0 ? rawUrl.slice(qi + 1) : '';
    let path: string;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      path = rawPath;
    }
    if (opts.exposeRequestLog && method === 'GET' && path === REQUEST_LOG_PATH) {
      // Not ARM and not logged itself: reading the log must not change what it counts.
      req.resume();
      res.writeHead(200, { 'Content-Type': 'application/x-ndjson; charset=utf-8' });
      res.end(requestLogLines(log.all(), new URLSearchParams(queryString)));
      return;
    }
    const category = categoryOf(method, path);
    const record: RequestRecord = { method, path, query: queryString, status: 0, durationMs: 0, category, throttled: false, faulted: false, at };

    let bodyText = '';
    // Most calls are bodiless GETs: skip the stream iteration (several microtasks) for them.
    if (req.headers['content-length'] !== undefined ? req.headers['content-length'] !== '0' : req.headers['transfer-encoding'] !== undefined) {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      bodyText = Buffer.concat(chunks).toString('utf8');
    } else req.resume();

    const headers: Record<string, string> = {
      'x-ms-request-id': randomUUID(),
      'x-ms-correlation-request-id': (req.headers['x-ms-correlation-request-id'] as string) ?? randomUUID(),
    };
    let response: ArmResponse;
    let reset = false;
    try {
      response = await dispatch();
    } catch (e) {
      response = armError(500, 'InternalServerError', `emulator: ${(e as Error).message}`);
    }

    async function dispatch(): Promise<ArmResponse> {
      clock.runDue();
      if (category === 'token') return handleTokenRequest(method, new URLSearchParams(queryString), req.headers, parseBody(bodyText, req.headers['content-type']), state.tenantId);
      if (!secure) return armError(400, 'HttpsRequired', 'ARM is served over HTTPS on this port; plain HTTP serves only /msi/token.');
      if (/^\/metadata\/endpoints\/?$/i.test(path)) return runtime.metadataEndpoints(baseUrl);
      const auth = req.headers.authorization;
      const m = typeof auth === 'string' ? /^Bearer\s+(\S+)$/i.exec(auth) : null;
      // Every 401 carries the Bearer challenge (RFC 6750 §3), as ARM sends it: clients read it to re-acquire a token.
      const unauthorized = (code: string, message: string, description: string) =>
        armError(401, code, message, {
          'WWW-Authenticate': `Bearer authorization_uri="https://login.microsoftonline.com/${state.tenantId}", error="invalid_token", error_description="${description}"`,
        });
      if (!m) return unauthorized('AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.", "The authentication failed because of missing 'Authorization' header.");
      let claims = claimsCache.get(m[1]);
      if (!claims) {
        claims = decodeJwt(m[1]);
        if (claims) {
          if (claimsCache.size > 1000) claimsCache.clear();
          claimsCache.set(m[1], claims);
        }
      }
      if (!claims) return unauthorized('InvalidAuthenticationToken', 'The access token is invalid: not a JWT.', 'The access token is invalid.');
      // Token lifetimes run on real time (the token endpoint stamps them with it), not the simulated clock.
      if (typeof claims.exp === 'number' && claims.exp * 1000 <= Date.now()) {
        const expiry = new Date(claims.exp * 1000).toISOString();
        return unauthorized('ExpiredAuthenticationToken', `The access token expiry UTC time '${expiry}' is earlier than current UTC time '${new Date().toISOString()}'.`, 'The access token has expired.');
      }
      record.principal = typeof claims.oid === 'string' ? claims.oid : 'unknown';

      // ARM spends the caller's budget before the resource provider sees the call, so an injected
      // fault (an RP failure) still costs a token and carries x-ms-ratelimit-remaining-*.
      const budget = BUDGET[category];
      if (budget) {
        const sm = /^\/subscriptions\/([^/]+)/i.exec(path);
        const taken = throttler.take(sm ? sm[1] : 'tenant', record.principal, budget);
        headers[`x-ms-ratelimit-remaining-subscription-${budget}`] = String(taken.remaining);
        if (!taken.allowed) {
          record.throttled = true;
          return armError(429, 'TooManyRequests', `The request is being throttled as the limit has been reached for operation type - ${budget === 'reads' ? 'Read' : budget === 'writes' ? 'Write' : 'Delete'}_ObservationWindow_00:05:00. For more information, see - https://aka.ms/srpthrottlinglimits`, {
            'Retry-After': String(taken.retryAfterSeconds ?? 1),
          });
        }
      }

      const fault = faults.match(method, path);
      if (fault) {
        record.faulted = true;
        const kind = fault.kind ?? (fault.status !== undefined ? 'status' : 'reset');
        if (kind === 'reset') {
          reset = true;
          return { status: 0 };
        }
        // The request takes effect, then its answer is lost (the connection drops): the ambiguous case.
        if (kind === 'lost-response') reset = true;
        if (kind === 'slow') await sleep(fault.delayMs ?? 1000);
        else if (kind !== 'lost-response') {
          const status = fault.status ?? 503;
          const h: Record<string, string> = {};
          // A 429 always names its wait (ARM's throttling answer); 1 s unless the fault says otherwise.
          if (fault.retryAfterSeconds !== undefined) h['Retry-After'] = String(fault.retryAfterSeconds);
          else if (status === 429) h['Retry-After'] = '1';
          const code = fault.errorCode ?? (status === 429 ? 'TooManyRequests' : status === 503 ? 'ServiceUnavailable' : 'InjectedFault');
          return armError(status, code, `Injected fault (${method} ${fault.path}).`, h);
        }
      }

      const query = new URLSearchParams(queryString);
      if (!query.has('api-version') && !Array.from(query.keys()).some((k) => k.toLowerCase() === 'api-version'))
        return armError(400, 'MissingApiVersionParameter', "The api-version query parameter (?api-version=) is required for all requests.");
      const match = router.match(method, rawPath);
      if (!match) {
        if (router.hasPath(rawPath)) return armError(405, 'MethodNotAllowed', `The requested resource does not support http method '${method}'.`);
        return armError(404, 'NotFound', `The emulator has no route for ${method} ${path}.`);
      }
      // ARM resolves the subscription before any resource provider sees the call: a subscription
      // the estate does not hold is SubscriptionNotFound on every route under it (resource groups,
      // VMs, vaults, locks...), never a ResourceGroupNotFound or ResourceNotFound further down.
      const subMatch = /^\/subscriptions\/([^/]+)/i.exec(path);
      if (subMatch && !state.subscription(subMatch[1]))
        return armError(404, 'SubscriptionNotFound', `The subscription '${subMatch[1]}' could not be found.`);
      const ctx: RouteContext = {
        method,
        path,
        params: match.params,
        query,
        body: parseBody(bodyText, req.headers['content-type']),
        headers: req.headers,
        baseUrl,
        state,
        clock,
        principal: record.principal,
      };
      return match.handler(ctx);
    }

    const lat = estate.simulation.latencyMs;
    const latency = typeof lat === 'number' ? lat : lat.min + latencyRandom() * Math.max(0, lat.max - lat.min);
    if (latency > 0 && category !== 'token') await sleep(latency);

    if (reset) {
      // A lost response still did its work: the log keeps what the handler answered, marked lost.
      record.status = record.faulted && response.status ? response.status : 0;
      record.lostResponse = response.status !== 0;
      record.durationMs = performance.now() - started;
      log.push(record);
      opts.onRequest?.(record, { request: bodyText });
      req.socket.destroy();
      return;
    }
    const outHeaders = { ...headers, ...(response.headers ?? {}) };
    let payload: string | undefined;
    if (response.body !== undefined && response.status !== 204) {
      payload = JSON.stringify(response.body);
      outHeaders['Content-Type'] = 'application/json; charset=utf-8';
    }
    outHeaders['Content-Length'] = String(payload ? Buffer.byteLength(payload) : 0);
    res.writeHead(response.status, outHeaders);
    res.end(payload);
    record.status = response.status;
    record.durationMs = performance.now() - started;
    log.push(record);
    opts.onRequest?.(record, { request: bodyText, response: payload });
  }

  const onRequest = (secure: boolean) => (req: http.IncomingMessage, res: http.ServerResponse) => {
    handle(req, res, secure).catch((e) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'InternalServerError', message: String(e) } }));
    });
  };
  const httpsServer = https.createServer({ key: tls.keyPem, cert: tls.certPem }, onRequest(true));
  const httpServer = http.createServer(onRequest(false));
  httpsServer.keepAliveTimeout = httpServer.keepAliveTimeout = 30_000;
  const sockets = new Set<net.Socket>();
  // noDelay: the http servers would set it on sockets they accept themselves; ours come through
  // this multiplexer, and with Nagle on, keep-alive request/response pairs stall ~40 ms.
  const server = net.createServer({ noDelay: true, keepAlive: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.once('readable', () => {
      const first: Buffer | null = socket.read(1);
      if (!first) {
        socket.destroy();
        return;
      }
      socket.unshift(first);
      // 0x16 = TLS handshake record; anything else is plain HTTP.
      (first[0] === 0x16 ? httpsServer : httpServer).emit('connection', socket);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  baseUrl = `https://127.0.0.1:${port}`;

  return {
    endpoint: baseUrl,
    ca: tls.caPem,
    tenantId: state.tenantId,
    clock,
    requests: log,
    state,
    faults: { add: (f) => faults.add(f), clear: () => faults.clear() },
    setLatency(ms) {
      estate.simulation.latencyMs = ms;
    },
    setThrottling(mode) {
      estate.simulation.throttling = mode;
      throttler.mode = mode;
      throttler.reset();
    },
    setJobShapes(shapes) {
      if (shapes.graph) estate.simulation.graphJobShape = shapes.graph;
      if (shapes.listExtendedInfo !== undefined) estate.simulation.jobListExtendedInfo = shapes.listExtendedInfo;
    },
    setPageSize(n) {
      runtime.pageSize = n;
    },
    setVmGetResources(served) {
      runtime.vmGetResources = served;
    },
    exhaustBudget(subscriptionId, principal, category) {
      throttler.exhaust(subscriptionId, principal, category);
    },
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
}
