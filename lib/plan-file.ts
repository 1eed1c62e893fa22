// Saved plans: `plan --out plan.json` writes what a plan proposes, with the estate facts each action
// relied on (its evidence) and a digest; `apply --plan plan.json` executes exactly those actions.
// Before anything runs the file is checked (schema version, digest, age, target, scope), then a
// fresh read-only plan of the same scope is compared action by action: an action whose facts
// changed, or that a fresh plan no longer proposes, is refused and reported, never executed; an
// action the fresh plan adds is never executed either (plan again to review it).

import { createHash } from 'node:crypto';
import { z } from 'zod';
import { parseVmId, sameId } from './arm/ids';
import type { RunScope } from './engine';
import { ACTION_KINDS, isOpenStatus, type PlanItem, type PlannedAction, type RunNote, type RunReport } from './types';

export const PLAN_FILE_KIND = 'backup-remediator/plan';
export const PLAN_FILE_SCHEMA_VERSION = 1;
export const DEFAULT_PLAN_MAX_AGE_MS = 24 * 3_600_000;

/** A saved plan that cannot be used: the message says why (nothing was executed). */
export class PlanFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlanFileError';
  }
}

const actionSchema = z.object({
  kind: z.enum(ACTION_KINDS),
  target: z.string().min(1).max(2048),
  method: z.enum(['DELETE', 'POST']),
  reason: z.string(),
  evidence: z.record(z.string(), z.unknown()),
  status: z.literal('proposed').optional(),
});

const itemSchema = z.object({
  vmId: z.string().refine((id) => {
    try {
      parseVmId(id);
      return true;
    } catch {
      return false;
    }
  }, 'not a virtual machine id'),
  jobId: z.string().min(1),
  vaultId: z.string().optional(),
  protectedItemId: z.string().optional(),
  failure: z.object({ code: z.string(), signals: z.array(z.unknown()), automation: z.string().optional(), docUrl: z.string().optional() }),
  actions: z.array(actionSchema).min(1),
  findings: z.array(z.unknown()),
});

const planFileSchema = z.object({
  kind: z.literal(PLAN_FILE_KIND),
  schemaVersion: z.literal(PLAN_FILE_SCHEMA_VERSION),
  createdAt: z.iso.datetime(),
  planRunId: z.string(),
  /** Where the plan's facts were read: the ARM endpoint, or the estate file of an in-process emulator. */
  target: z.string(),
  scope: z.object({ subscriptions: z.array(z.string()).optional(), vaultId: z.string().optional(), vmId: z.string().optional() }),
  since: z.iso.datetime(),
  items: z.array(itemSchema),
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/),
});

export type PlanFile = Omit<z.infer<typeof planFileSchema>, 'items'> & { items: PlanItem[] };

/** JSON with object keys sorted at every level: the same content always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function digestOf(plan: object): string {
  return `sha256:${createHash('sha256').update(canonicalJson(plan)).digest('hex')}`;
}

export interface PlanFileMeta {
  createdAt: Date;
  target: string;
  scope: RunScope;
  since: Date;
}

/** The plan file for a plan run: only items with proposed writes (findings-only items need no apply). */
export function createPlanFile(report: RunReport, meta: PlanFileMeta): PlanFile {
  const items = report.items
    .map((i) => ({ ...i, actions: i.actions.filter((a) => isOpenStatus(a.status)) }))
    .filter((i) => i.actions.length > 0);
  const { subscriptions, vaultId, vmId } = meta.scope;
  const body = {
    kind: PLAN_FILE_KIND,
    schemaVersion: PLAN_FILE_SCHEMA_VERSION,
    createdAt: meta.createdAt.toISOString(),
    planRunId: report.runId,
    target: meta.target,
    scope: JSON.parse(JSON.stringify({ subscriptions, vaultId, vmId })) as PlanFile['scope'],
    since: meta.since.toISOString(),
    items,
  } as const;
  return { ...body, digest: digestOf(body) };
}

export function serializePlanFile(plan: PlanFile): string {
  return JSON.stringify(plan, null, 2) + '\n';
}

/** Parses and checks a plan file's text: JSON, schema, version and digest. */
export function parsePlanFile(text: string): PlanFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new PlanFileError(`not valid JSON: ${(e as Error).message}`);
  }
  const version = (raw as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (version !== undefined && version !== PLAN_FILE_SCHEMA_VERSION) {
    throw new PlanFileError(`schema version ${JSON.stringify(version)} is not supported (this version reads ${PLAN_FILE_SCHEMA_VERSION}); plan again`);
  }
  const parsed = planFileSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new PlanFileError(`not a backup-remediator plan: ${first.path.join('.') || '(root)'}: ${first.message}`);
  }
  // Over the file as written (not the parsed copy, which drops unknown fields): any edit shows.
  const { digest, ...body } = raw as Record<string, unknown>;
  if (digestOf(body) !== digest) throw new PlanFileError('its digest does not match its content: the file was edited or damaged; plan again');
  return parsed.data as unknown as PlanFile;
}

function sameScope(a: RunScope, b: RunScope): boolean {
  const subs = (s: RunScope) => [...(s.subscriptions ?? [])].map((x) => x.toLowerCase()).sort().join(',');
  const id = (x?: string, y?: string) => (x === undefined && y === undefined) || (x !== undefined && y !== undefined && sameId(x, y));
  return subs(a) === subs(b) && id(a.vaultId, b.vaultId) && id(a.vmId, b.vmId);
}

/** Refuses a plan made for another target or scope, older than `maxAgeMs`, or dated in the future. */
export function checkPlanUsable(plan: PlanFile, ctx: { now: Date; maxAgeMs: number; target: string; scope?: RunScope }): void {
  if (plan.target !== ctx.target) throw new PlanFileError(`it was made against ${plan.target}, not ${ctx.target}`);
  if (ctx.scope && !sameScope(plan.scope, ctx.scope)) {
    throw new PlanFileError(`it was made for another scope (${canonicalJson(plan.scope)}); give the same scope or none`);
  }
  const ageMs = ctx.now.getTime() - Date.parse(plan.createdAt);
  if (ageMs < -5 * 60_000) throw new PlanFileError(`it is dated ${plan.createdAt}, in the future`);
  if (ageMs > ctx.maxAgeMs) {
    const hours = (ageMs / 3_600_000).toFixed(1);
    throw new PlanFileError(`it was made ${plan.createdAt} (${hours} h ago), older than the ${(ctx.maxAgeMs / 3_600_000).toFixed(1)} h allowed; plan again`);
  }
}

/**
 * Evidence fields computed from the clock at planning time rather than read from the estate (the
 * Backup Now expiry date): not facts, so they neither count as a change nor are reused, the fresh
 * plan's value is sent.
 */
const CLOCK_DERIVED = new Set(['recoveryPointExpiryTimeInUTC']);

export function factsOf(evidence: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(evidence).filter(([k]) => !CLOCK_DERIVED.has(k)));
}

/** Top-level fact names whose values differ, for the refusal message. */
function changedFacts(saved: Record<string, unknown>, fresh: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(saved), ...Object.keys(fresh)]);
  return [...keys].filter((k) => canonicalJson(saved[k]) !== canonicalJson(fresh[k])).sort();
}

const itemKey = (i: { vmId: string; jobId: string }): string => `${i.vmId.toLowerCase()}|${i.jobId.toLowerCase()}`;
const sameAction = (a: PlannedAction, b: PlannedAction): boolean => a.kind === b.kind && a.method === b.method && sameId(a.target, b.target);

/** Why the saved action may not run now, or undefined with the fresh action whose evidence it runs with. */
function judge(saved: PlannedAction, freshItem: PlanItem | undefined): { refusal?: string; fresh?: PlannedAction } {
  if (!freshItem) return { refusal: 'a fresh plan no longer lists this failed job (recovered, a backup running, or out of scope now)' };
  const fresh = freshItem.actions.find((a) => sameAction(a, saved));
  if (!fresh) return { refusal: 'a fresh plan no longer proposes it' };
  const changed = changedFacts(factsOf(saved.evidence), factsOf(fresh.evidence));
  if (changed.length > 0) return { refusal: `the facts it relied on changed since the plan (${changed.join(', ')})` };
  return { fresh };
}

/** The saved item as it will execute: matching actions with fresh evidence, the first refusal stopping the rest. */
function reconcileItem(saved: PlanItem, freshItem: PlanItem | undefined): PlanItem {
  let stopped: string | undefined;
  const actions = saved.actions.map((a): PlannedAction => {
    if (stopped) return { ...a, status: 'skipped', detail: `not run: the earlier step ${stopped} was refused` };
    const verdict = judge(a, freshItem);
    if (verdict.fresh) return { ...a, evidence: verdict.fresh.evidence, status: 'proposed' };
    stopped = a.kind;
    return { ...a, status: 'blocked', detail: `refused: ${verdict.refusal}; not executed` };
  });
  const refused = actions.filter((a) => a.status === 'blocked');
  const findings = refused.map((a) => ({
    kind: 'precondition-changed' as const,
    message: `${a.kind} from the saved plan was not executed: ${a.detail!.replace(/^refused: /, '').replace(/; not executed$/, '')}.`,
    evidence: { action: a.kind, target: a.target, savedFacts: factsOf(saved.actions.find((s) => sameAction(s, a))!.evidence) },
    nextStep: 'Plan again and review the new plan.',
  }));
  return { ...(freshItem ?? saved), actions, findings: [...(freshItem?.findings ?? saved.findings), ...findings], verification: undefined };
}

/** Matches a saved plan to a fresh plan of the same scope: what runs, and notes on what does not. */
export function reconcilePlan(plan: PlanFile, fresh: RunReport): { items: PlanItem[]; notes: RunNote[] } {
  const freshByKey = new Map(fresh.items.map((i) => [itemKey(i), i]));
  const items = plan.items.map((saved) => reconcileItem(saved, freshByKey.get(itemKey(saved))));
  const savedKeys = new Set(plan.items.map(itemKey));
  const notes: RunNote[] = [];
  for (const f of fresh.items) {
    const saved = plan.items.find((s) => itemKey(s) === itemKey(f));
    const added = f.actions.filter((a) => isOpenStatus(a.status) && !(saved?.actions ?? []).some((s) => sameAction(s, a)));
    if (added.length === 0) continue;
    const what = added.map((a) => a.kind).join(', ');
    notes.push({ vmId: f.vmId, jobId: f.jobId, reason: `a fresh plan proposes ${what}, which the saved plan ${savedKeys.has(itemKey(f)) ? 'did not hold for this job' : 'did not cover'}: not executed; plan again to review it` });
  }
  return { items, notes };
}
