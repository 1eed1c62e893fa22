// Resource Graph: POST /providers/Microsoft.ResourceGraph/resources (api 2024-04-01 shapes).
//
// Tables (rows built from the live estate at query time, one column set as in ARG):
//   RecoveryServicesResources  backup jobs of the last 14 days (simulated clock) and protected items,
//                              `properties` equal to the REST shapes (serializeJob / serializeProtectedItem),
//                              except that job rows carry errorDetails / extendedInfo only with the
//                              estate's simulation.graphJobShape 'full' (default 'conservative': neither)
//   Resources                  VMs, VM extensions, restore point collections, Recovery Services vaults
// As in ARG, `type` and `resourceGroup` are lower-case while `id` keeps ARM's casing.
// The query language is the subset in ../kql.ts; anything else is a 400 BadRequest naming the
// unsupported construct, never a guessed answer. Paging: options.$top (default 100, max 1000),
// options.$skip, and an opaque $skipToken that replays a snapshot of the first page's result.
// With throttling 'arm', each principal gets ARG's user quota of 15 queries per 5 s
// (x-ms-user-quota-remaining / x-ms-user-quota-resets-after; 429 beyond it).
import { createHash, randomUUID } from 'node:crypto';
import { armError, type ArmResponse } from '../errors';
import { columnType, KqlError, parseKql, evaluateKql, toJsonValue, type Expr, type KqlTable, type ParsedQuery, type Row } from '../kql';
import type { Router, RouteContext } from '../router';
import type { EmulatorState } from '../state';
import { serializeExtension, serializeJob, serializeProtectedItem, serializeRestorePointCollection, serializeVault, serializeVm } from '../serialize';

export const GRAPH_PATH = '/providers/Microsoft.ResourceGraph/resources';
export const JOB_WINDOW_MS = 14 * 86_400_000;
const DEFAULT_TOP = 100;
const MAX_TOP = 1000;
const QUOTA = { queries: 15, windowMs: 5000 };
const SNAPSHOT_TTL_MS = 10 * 60_000;
const MAX_SNAPSHOTS = 64;

const COLUMNS = ['id', 'name', 'type', 'tenantId', 'kind', 'location', 'resourceGroup', 'subscriptionId', 'managedBy', 'sku', 'plan', 'properties', 'tags', 'identity', 'zones', 'extendedLocation'];

interface Snapshot { key: string; columns: string[]; rows: Row[]; expires: number }
interface GraphRuntime { snapshots: Map<string, Snapshot>; quota: Map<string, { windowStart: number; used: number }> }

// Per emulator instance (keyed by its state object), so parallel emulators never share pages.
const runtimes = new WeakMap<EmulatorState, GraphRuntime>();
function runtimeOf(state: EmulatorState): GraphRuntime {
  let r = runtimes.get(state);
  if (!r) runtimes.set(state, (r = { snapshots: new Map(), quota: new Map() }));
  return r;
}

function badRequest(message: string, detailCode = 'InvalidQuery'): ArmResponse {
  const r = armError(400, 'BadRequest', message);
  (r.body as { error: Record<string, unknown> }).error.details = [{ code: detailCode, message }];
  return r;
}

function row(state: EmulatorState, res: { id: string; name: string; type: string; location?: string; tags?: unknown; properties?: unknown; sku?: unknown }, subscriptionId: string, resourceGroup: string): Row {
  return {
    id: res.id,
    name: res.name,
    type: res.type.toLowerCase(),
    tenantId: state.tenantId,
    kind: '',
    location: res.location ?? '',
    resourceGroup: resourceGroup.toLowerCase(),
    subscriptionId,
    managedBy: '',
    sku: res.sku ?? null,
    plan: null,
    properties: res.properties ?? {},
    tags: res.tags ?? null,
    identity: null,
    zones: null,
    extendedLocation: null,
  };
}

type Res = { id: string; name: string; type: string; location?: string; tags?: unknown; properties?: Record<string, unknown>; sku?: unknown };

/** Whether rows of this (lower-case) ARM type can pass the query's leading `where type ...`. */
type TypeFilter = (type: string) => boolean;

const PROTECTED_ITEM_TYPE = 'microsoft.recoveryservices/vaults/backupfabrics/protectioncontainers/protecteditems';

function recoveryServicesRows(state: EmulatorState, inScope: (sub: string) => boolean, now: Date, wants: TypeFilter): Row[] {
  const rows: Row[] = [];
  if (!wants('microsoft.recoveryservices/vaults/backupjobs')) return protectedItemRows(state, inScope, wants, rows);
  const oldest = now.getTime() - JOB_WINDOW_MS;
  // Public samples of these rows never show errorDetails or extendedInfo: only the `full` shape serves them.
  const full = state.estate.simulation.graphJobShape === 'full';
  const shape = { errorDetails: full, extendedInfo: full };
  for (const v of state.vaults.values()) {
    if (!inScope(v.sub.id)) continue;
    const location = v.vault.location ?? v.rg.location;
    for (const job of v.vault.jobs) {
      if (Date.parse(job.startTime) < oldest) continue;
      rows.push(row(state, { ...(serializeJob(v.id, job, now, shape) as Res), location }, v.sub.id, v.rg.name));
    }
  }
  return protectedItemRows(state, inScope, wants, rows);
}

function protectedItemRows(state: EmulatorState, inScope: (sub: string) => boolean, wants: TypeFilter, rows: Row[]): Row[] {
  if (!wants(PROTECTED_ITEM_TYPE)) return rows;
  for (const e of state.protectedItems.values()) {
    if (!inScope(e.vault.sub.id)) continue;
    const item = serializeProtectedItem(e, state.protectedItemRuntime.get(e.id.toLowerCase())) as Res;
    rows.push(row(state, { ...item, location: e.vault.vault.location ?? e.vault.rg.location }, e.vault.sub.id, e.vault.rg.name));
  }
  return rows;
}

function resourceRows(state: EmulatorState, inScope: (sub: string) => boolean, now: Date, wants: TypeFilter): Row[] {
  const rows: Row[] = [];
  const vms = wants('microsoft.compute/virtualmachines');
  const extensions = wants('microsoft.compute/virtualmachines/extensions');
  for (const e of vms || extensions ? state.vms.values() : []) {
    if (!inScope(e.sub.id)) continue;
    if (extensions) for (const x of e.vm.extensions) rows.push(row(state, serializeExtension(e, x) as Res, e.sub.id, e.rg.name));
    if (!vms) continue;
    const vm = serializeVm(e, { now }) as Res & { resources?: unknown };
    const { resources: _omit, ...body } = vm;
    void _omit;
    // ARG adds the power state under properties.extended, which REST does not have.
    const properties = { ...(body.properties ?? {}), extended: { instanceView: { powerState: { code: `PowerState/${e.vm.powerState}`, level: 'Info', displayStatus: `VM ${e.vm.powerState}` } } } };
    rows.push(row(state, { ...body, properties }, e.sub.id, e.rg.name));
  }
  for (const e of wants('microsoft.compute/restorepointcollections') ? state.rpcs.values() : []) {
    if (!inScope(e.sub.id)) continue;
    rows.push(row(state, serializeRestorePointCollection(e, {}) as Res, e.sub.id, e.rg.name));
  }
  for (const v of wants('microsoft.recoveryservices/vaults') ? state.vaults.values() : []) {
    if (!inScope(v.sub.id)) continue;
    rows.push(row(state, serializeVault(v) as Res, v.sub.id, v.rg.name));
  }
  return rows;
}

const TABLES: Record<string, (state: EmulatorState, inScope: (sub: string) => boolean, now: Date, wants: TypeFilter) => Row[]> = {
  recoveryservicesresources: recoveryServicesRows,
  resources: resourceRows,
};

interface ParsedBody {
  query: string;
  subscriptions?: string[];
  top?: number;
  skip?: number;
  skipToken?: string;
  resultFormat: 'objectArray' | 'table';
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function parseBody(body: unknown): ParsedBody | ArmResponse {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return badRequest('The request body must be a JSON object with a "query".', 'InvalidRequestContent');
  const b = body as Record<string, unknown>;
  if (typeof b.query !== 'string' || !b.query.trim()) return badRequest('The request body must contain a non-empty "query" string.', 'InvalidRequestContent');
  if (b.managementGroups !== undefined) return badRequest('The emulator supports subscription scopes only: unsupported scope "managementGroups".', 'UnsupportedScope');
  if (b.facets !== undefined && !(Array.isArray(b.facets) && b.facets.length === 0)) return badRequest('The emulator does not compute facets: unsupported "facets".', 'UnsupportedFacets');
  let subscriptions: string[] | undefined;
  if (b.subscriptions !== undefined) {
    if (!Array.isArray(b.subscriptions) || b.subscriptions.some((s) => typeof s !== 'string' || !GUID.test(s))) {
      return badRequest('"subscriptions" must be an array of subscription GUIDs.', 'InvalidRequestContent');
    }
    subscriptions = b.subscriptions as string[];
  }
  const o = (b.options ?? {}) as Record<string, unknown>;
  if (typeof o !== 'object' || Array.isArray(o)) return badRequest('"options" must be an object.', 'InvalidRequestContent');
  const int = (k: string, min: number, max: number): number | undefined | ArmResponse => {
    const v = o[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) return badRequest(`options.${k} must be an integer within ${min}..${max}.`, 'InvalidRequestContent');
    return v;
  };
  const top = int('$top', 1, MAX_TOP);
  if (typeof top === 'object') return top;
  const skip = int('$skip', 0, Number.MAX_SAFE_INTEGER);
  if (typeof skip === 'object') return skip;
  const rf = o.resultFormat ?? 'objectArray';
  if (rf !== 'objectArray' && rf !== 'table') return badRequest('options.resultFormat must be "objectArray" or "table".', 'InvalidRequestContent');
  const skipToken = o.$skipToken;
  if (skipToken !== undefined && typeof skipToken !== 'string') return badRequest('options.$skipToken must be a string.', 'InvalidRequestContent');
  return { query: b.query, subscriptions, top, skip, skipToken, resultFormat: rf };
}

function quotaCheck(ctx: RouteContext): { headers: Record<string, string>; refused?: ArmResponse } {
  const rt = runtimeOf(ctx.state);
  const who = ctx.principal ?? 'anonymous';
  const nowMs = Date.now(); // quota windows are wall-clock, like the token buckets
  let q = rt.quota.get(who);
  if (!q || nowMs - q.windowStart >= QUOTA.windowMs) rt.quota.set(who, (q = { windowStart: nowMs, used: 0 }));
  const resetMs = Math.max(0, q.windowStart + QUOTA.windowMs - nowMs);
  const resetsAfter = `00:00:${String(Math.ceil(resetMs / 1000)).padStart(2, '0')}`;
  const throttled = ctx.state.estate.simulation.throttling === 'arm';
  if (throttled && q.used >= QUOTA.queries) {
    const r = armError(429, 'RateLimiting', 'Please provide below info when asking for support: the user quota of Resource Graph queries is exhausted; retry after the quota resets.', {
      'Retry-After': String(Math.max(1, Math.ceil(resetMs / 1000))),
      'x-ms-user-quota-remaining': '0',
      'x-ms-user-quota-resets-after': resetsAfter,
    });
    return { headers: {}, refused: r };
  }
  q.used++;
  return { headers: { 'x-ms-user-quota-remaining': String(throttled ? QUOTA.queries - q.used : QUOTA.queries - 1), 'x-ms-user-quota-resets-after': resetsAfter } };
}

function contextKey(query: string, subs: string[] | undefined): string {
  return createHash('sha256').update(JSON.stringify([query, subs?.map((s) => s.toLowerCase()).sort() ?? null])).digest('hex').slice(0, 16);
}

function encodeToken(t: { s: string; k: string; o: number }): string {
  return Buffer.from(JSON.stringify(t)).toString('base64');
}
function decodeToken(token: string): { s: string; k: string; o: number } | undefined {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { s?: unknown; k?: unknown; o?: unknown };
    if (typeof t.s === 'string' && typeof t.k === 'string' && typeof t.o === 'number' && Number.isInteger(t.o) && t.o >= 0) return { s: t.s, k: t.k, o: t.o };
  } catch {
    /* fall through */
  }
  return undefined;
}

/**
 * The types a query's first operator lets through, when it is `where type =~ / == 'x'` or
 * `where type in~ / in (...)` (alone or as the left-most term of an `and`): rows of other types are
 * then never built, which keeps a 100,000-VM estate's queries small. Anything else: every type.
 */
function leadingTypeFilter(parsed: ParsedQuery): TypeFilter {
  const first = parsed.ops[0];
  if (!first || first.op !== 'where') return () => true;
  let e: Expr = first.expr;
  while (e.t === 'bin' && e.op === 'and') e = e.left;
  const isType = (x: Expr) => x.t === 'col' && x.name === 'type';
  const lit = (x: Expr) => (x.t === 'lit' && typeof x.value === 'string' ? x.value : undefined);
  if (e.t === 'bin' && (e.op === '=~' || e.op === '==') && isType(e.left) && lit(e.right) !== undefined) {
    const want = lit(e.right)!;
    return e.op === '=~' ? (t) => t === want.toLowerCase() : (t) => t === want;
  }
  if (e.t === 'in' && (e.op === 'in~' || e.op === 'in') && isType(e.left) && e.list.every((x) => lit(x) !== undefined)) {
    const wanted = new Set(e.list.map((x) => (e.op === 'in~' ? lit(x)!.toLowerCase() : lit(x)!)));
    return (t) => wanted.has(t);
  }
  return () => true;
}

function evaluate(state: EmulatorState, body: ParsedBody, now: Date): { columns: string[]; rows: Row[] } {
  const parsed = parseKql(body.query);
  const wanted = body.subscriptions ? new Set(body.subscriptions.map((s) => s.toLowerCase())) : undefined;
  const inScope = (sub: string) => !wanted || wanted.has(sub.toLowerCase());
  const wants = leadingTypeFilter(parsed);
  const source = (table: string): KqlTable | undefined => {
    const build = TABLES[table.toLowerCase()];
    return build ? { columns: COLUMNS, rows: build(state, inScope, now, wants) } : undefined;
  };
  return evaluateKql(parsed, source, now);
}

export function handleGraphQuery(ctx: RouteContext): ArmResponse {
  const body = parseBody(ctx.body);
  if ('status' in body) return body;
  const quota = quotaCheck(ctx);
  if (quota.refused) return quota.refused;
  const rt = runtimeOf(ctx.state);
  const key = contextKey(body.query, body.subscriptions);
  const nowReal = Date.now();
  for (const [id, s] of rt.snapshots) if (s.expires < nowReal) rt.snapshots.delete(id);

  let result: { columns: string[]; rows: Row[] };
  let snapshotId: string;
  let offset = body.skip ?? 0;
  const token = body.skipToken !== undefined ? decodeToken(body.skipToken) : undefined;
  if (body.skipToken !== undefined && !token) return badRequest('options.$skipToken is not a token this service issued.', 'InvalidSkipToken');
  if (token && token.k !== key) return badRequest('options.$skipToken belongs to another query or scope; resend the same query and subscriptions.', 'InvalidSkipToken');
  const snap = token ? rt.snapshots.get(token.s) : undefined;
  try {
    if (snap) {
      result = snap;
      snapshotId = token!.s;
    } else {
      result = evaluate(ctx.state, body, ctx.clock.now());
      snapshotId = randomUUID();
    }
  } catch (e) {
    if (e instanceof KqlError) return badRequest(`Query is invalid: ${e.message}`);
    throw e;
  }
  if (token && body.skip === undefined) offset = token.o;

  const top = body.top ?? DEFAULT_TOP;
  const page = result.rows.slice(offset, offset + top);
  const more = offset + page.length < result.rows.length;
  // ARG pages only results it can order stably, i.e. ones that carry the id column.
  const pageable = result.columns.includes('id');
  const response: Record<string, unknown> = {
    totalRecords: result.rows.length,
    count: page.length,
    resultTruncated: more && !pageable ? 'true' : 'false',
  };
  if (more && pageable) {
    if (!snap) {
      if (rt.snapshots.size >= MAX_SNAPSHOTS) rt.snapshots.delete(rt.snapshots.keys().next().value!);
      rt.snapshots.set(snapshotId, { key, columns: result.columns, rows: result.rows, expires: nowReal + SNAPSHOT_TTL_MS });
    }
    response.$skipToken = encodeToken({ s: snapshotId, k: key, o: offset + page.length });
  }
  if (body.resultFormat === 'table') {
    response.data = {
      columns: result.columns.map((c) => ({ name: c, type: columnType(result.rows.map((r) => r[c])) })),
      rows: page.map((r) => result.columns.map((c) => toJsonValue(r[c]))),
    };
  } else {
    response.data = page.map((r) => Object.fromEntries(result.columns.map((c) => [c, toJsonValue(r[c])])));
  }
  response.facets = [];
  return { status: 200, headers: quota.headers, body: response };
}

export function registerResourceGraphRoutes(router: Router): void {
  router.add('POST', GRAPH_PATH, handleGraphQuery);
}
