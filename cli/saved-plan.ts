// The CLI side of saved plans (lib/plan-file.ts holds the format and the rules): reading
// `apply --plan <file>`, its maximum age, and writing `plan --out <file>`. Every problem with a
// plan file is the user's input: one line naming the file, exit 2, nothing executed.

import * as fs from 'node:fs';
import { parseDuration } from '../lib/config';
import { checkPlanUsable, createPlanFile, parsePlanFile, DEFAULT_PLAN_MAX_AGE_MS, PlanFileError, serializePlanFile, type PlanFile } from '../lib/plan-file';
import type { RunReport } from '../lib/types';
import type { RunScope } from '../lib/engine';
import { UsageError } from './exit-codes';
import type { ResolvedScope } from './scope';

const fail = (file: string, e: unknown): never => {
  if (e instanceof PlanFileError) throw new UsageError(`plan file ${file} refused: ${e.message}; nothing was executed`);
  throw e;
};

/** Reads and checks `--plan`; a scope given beside it must be the plan's own. */
export function readPlanFlag(flags: { plan?: string }, given: ResolvedScope): PlanFile {
  const file = flags.plan!;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read plan file ${file}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  try {
    const plan = parsePlanFile(text);
    const scopeGiven = Boolean(given.scope.vmId || given.scope.vaultId || given.scope.subscriptions?.length);
    // Target and age are checked once the target is known (checkSavedPlan); the scope can be checked now.
    if (scopeGiven) checkPlanUsable(plan, { now: new Date(plan.createdAt), maxAgeMs: Number.POSITIVE_INFINITY, target: plan.target, scope: given.scope });
    return plan;
  } catch (e) {
    return fail(file, e);
  }
}

export function checkSavedPlan(plan: PlanFile, file: string, ctx: { now: Date; maxAgeMs: number; target: string }): void {
  try {
    checkPlanUsable(plan, ctx);
  } catch (e) {
    fail(file, e);
  }
}

/** The saved plan's scope, as the run's scope. */
export function savedScope(plan: PlanFile): ResolvedScope {
  const scope: RunScope = plan.scope;
  const subs = scope.subscriptions ?? [];
  const label = scope.vmId ? `VM ${scope.vmId}` : scope.vaultId ? `vault ${scope.vaultId}` : `subscription${subs.length > 1 ? 's' : ''} ${subs.join(', ')}`;
  const fromId = (id: string) => (/^\/subscriptions\/([^/]+)/i.exec(id)?.[1] ?? '').toLowerCase();
  return { scope, subscriptions: scope.vmId ? [fromId(scope.vmId)] : scope.vaultId ? [fromId(scope.vaultId)] : subs, label };
}

/** --max-plan-age, else REMEDIATION_PLAN_MAX_AGE, else 24h. */
export function planMaxAge(flags: { maxPlanAge?: string }, env: Record<string, string | undefined>): number {
  const [name, text] = flags.maxPlanAge !== undefined ? ['--max-plan-age', flags.maxPlanAge] : ['REMEDIATION_PLAN_MAX_AGE', env.REMEDIATION_PLAN_MAX_AGE];
  if (text === undefined || text.trim() === '') return DEFAULT_PLAN_MAX_AGE_MS;
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) throw new UsageError(`${name} ${JSON.stringify(text)}: expected a duration such as 30m, 24h or 2d`);
  return ms;
}

export function writePlanOut(file: string, report: RunReport, ctx: { target: { planTarget: string }; scope: ResolvedScope; since: Date }): void {
  const plan = createPlanFile(report, { createdAt: new Date(report.startedAt), target: ctx.target.planTarget, scope: ctx.scope.scope, since: ctx.since });
  try {
    fs.writeFileSync(file, serializePlanFile(plan));
  } catch (e) {
    throw new UsageError(`cannot write plan file ${file}: ${(e as Error).message}`);
  }
}
