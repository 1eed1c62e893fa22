// Microsoft.RecoveryServices: vaults, backup jobs (filter + paging), protected items, protection
// containers, Backup Now with its operation status/results, and job cancellation.
import type { Router, RouteContext } from '../router';
import { armError, isResponse, type ArmResponse } from '../errors';
import { apiVersionOf, queryParam, type EmulatorRuntime } from '../runtime';
import { serializeJob, serializeProtectedItem, serializeProtectionContainer, serializeVault } from '../serialize';
import { FilterError, parseFilter, parseFilterTime } from '../backup-filter';
import { isBackupRunning, triggerBackup } from '../causal';
import { SIMULATED_FAILURES } from '../error-codes';
import { encodePath } from '../runtime';
import type { ProtectedItemEntry, VaultEntry } from '../state';
import type { JobSpec } from '../estate';

const V = '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.RecoveryServices/vaults/{vaultName}';
const ITEM = `${V}/backupFabrics/{fabricName}/protectionContainers/{containerName}/protectedItems/{protectedItemName}`;

function vaultOr404(ctx: RouteContext): VaultEntry | ArmResponse {
  const v = ctx.state.vault(ctx.params.subscriptionId, ctx.params.resourceGroupName, ctx.params.vaultName);
  if (v) return v;
  return armError(404, 'ResourceNotFound', `The Resource 'Microsoft.RecoveryServices/vaults/${ctx.params.vaultName}' under resource group '${ctx.params.resourceGroupName}' was not found.`);
}

function itemOr404(ctx: RouteContext, v: VaultEntry): ProtectedItemEntry | ArmResponse {
  const e = ctx.state.protectedItem(v, ctx.params.protectedItemName);
  if (e && e.containerName.toLowerCase() === ctx.params.containerName.toLowerCase() && ctx.params.fabricName.toLowerCase() === 'azure') return e;
  return armError(404, 'BMSUserErrorItemNotFound', `Item '${ctx.params.protectedItemName}' not found in container '${ctx.params.containerName}'.`);
}

const JOB_FILTER_FIELDS = ['status', 'operation', 'backupManagementType', 'startTime', 'endTime', 'jobId', 'entityFriendlyName'] as const;
const ITEM_FILTER_FIELDS = ['backupManagementType', 'itemType', 'friendlyName', 'policyName', 'containerName', 'workloadType'] as const;
const CONTAINER_FILTER_FIELDS = ['backupManagementType', 'friendlyName', 'status', 'containerType'] as const;

/** The request's `$filter`, parsed against the fields this list accepts; a bad filter is ARM's 400. */
function filterOr400(ctx: RouteContext, fields: readonly string[]): Map<string, string> | ArmResponse {
  try {
    return parseFilter(queryParam(ctx, '$filter'), fields);
  } catch (e) {
    if (e instanceof FilterError) return armError(400, 'BMSUserErrorInvalidInput', e.message);
    throw e;
  }
}

/** The vault's protected items as indexed entries, in the estate's order. */
function entriesOfVault(ctx: RouteContext, v: VaultEntry): ProtectedItemEntry[] {
  return v.vault.protectedItems.map((i) => ctx.state.protectedItemsOfVm(i.vmId).find((e) => e.vault === v && e.item === i)!);
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * Why a Backup Now body is not a valid Azure VM backup request, or undefined when it is. The SDK's
 * `backups.trigger` and `az backup protection backup-now` both send
 * `{"properties":{"objectType":"IaasVMBackupRequest",...}}`; anything else (no body, text, an array,
 * another objectType) is rejected before anything is triggered.
 */
function backupRequestError(body: unknown): string | undefined {
  if (!isObject(body)) return 'The backup request body must be a JSON object with properties.objectType IaasVMBackupRequest.';
  if (!isObject(body.properties)) return 'The backup request must carry a properties object with objectType IaasVMBackupRequest.';
  const objectType = body.properties.objectType;
  if (objectType !== 'IaasVMBackupRequest')
    return `Backup request objectType '${String(objectType)}' is not valid for an Azure VM; use IaasVMBackupRequest.`;
  return undefined;
}

function eqi(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

export function registerBackupRoutes(router: Router, rt: EmulatorRuntime): void {
  router.add('GET', '/subscriptions/{subscriptionId}/providers/Microsoft.RecoveryServices/vaults', (ctx) => {
    const sub = ctx.state.subscription(ctx.params.subscriptionId);
    if (!sub) return armError(404, 'SubscriptionNotFound', `The subscription '${ctx.params.subscriptionId}' could not be found.`);
    const all: VaultEntry[] = [];
    for (const rg of sub.resourceGroups) for (const v of rg.vaults) all.push(ctx.state.vault(sub.id, rg.name, v.name)!);
    return rt.page(ctx, all, serializeVault);
  });
  router.add('GET', '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.RecoveryServices/vaults', (ctx) => {
    const rg = ctx.state.resourceGroup(ctx.params.subscriptionId, ctx.params.resourceGroupName);
    if (!rg) return armError(404, 'ResourceGroupNotFound', `Resource group '${ctx.params.resourceGroupName}' could not be found.`);
    return rt.page(ctx, rg.rg.vaults.map((v) => ctx.state.vault(rg.sub.id, rg.rg.name, v.name)!), serializeVault);
  });
  router.add('GET', V, (ctx) => {
    const v = vaultOr404(ctx);
    return isResponse(v) ? v : { status: 200, body: serializeVault(v) };
  });

  // ---- jobs
  router.add('GET', `${V}/backupJobs`, (ctx) => {
    const v = vaultOr404(ctx);
    if (isResponse(v)) return v;
    let f: Map<string, string>;
    let from = Number.NEGATIVE_INFINITY;
    let to = Number.POSITIVE_INFINITY;
    try {
      f = parseFilter(queryParam(ctx, '$filter'), JOB_FILTER_FIELDS);
      if (f.has('startTime')) from = parseFilterTime(f.get('startTime')!);
      if (f.has('endTime')) to = parseFilterTime(f.get('endTime')!);
    } catch (e) {
      if (e instanceof FilterError) return armError(400, 'BMSUserErrorInvalidInput', e.message);
      throw e;
    }
    const status = f.get('status');
    const operation = f.get('operation');
    const bmt = f.get('backupManagementType');
    if (bmt && !eqi(bmt, 'AzureIaasVM')) return rt.page(ctx, [], () => null);
    const jobId = f.get('jobId');
    const friendly = f.get('entityFriendlyName');
    const jobs = v.vault.jobs.filter((j) => {
      if (status && !eqi(j.status, status)) return false;
      if (operation && !eqi(j.operation, operation)) return false;
      if (jobId && !eqi(j.name, jobId)) return false;
      if (friendly && !eqi(j.vmId.split('/').pop() ?? '', friendly)) return false;
      const t = Date.parse(j.startTime);
      return t >= from && t <= to;
    });
    jobs.sort((a, b) => Date.parse(b.startTime) - Date.parse(a.startTime));
    const now = ctx.clock.now();
    // A list carries extendedInfo only when the estate says so; the job GET below always does.
    const shape = { extendedInfo: ctx.state.estate.simulation.jobListExtendedInfo };
    return rt.page(ctx, jobs, (j) => serializeJob(v.id, j, now, shape));
  });
  router.add('GET', `${V}/backupJobs/{jobName}`, (ctx) => {
    const v = vaultOr404(ctx);
    if (isResponse(v)) return v;
    const j = ctx.state.job(v, ctx.params.jobName);
    if (!j) return armError(404, 'BMSUserErrorJobNotFound', `Job '${ctx.params.jobName}' was not found in vault '${v.vault.name}'.`);
    return { status: 200, body: serializeJob(v.id, j, ctx.clock.now()) };
  });
  router.add('POST', `${V}/backupJobs/{jobName}/cancel`, (ctx) => {
    const v = vaultOr404(ctx);
    if (isResponse(v)) return v;
    const j = ctx.state.job(v, ctx.params.jobName);
    if (!j) return armError(404, 'BMSUserErrorJobNotFound', `Job '${ctx.params.jobName}' was not found in vault '${v.vault.name}'.`);
    if (j.status !== 'InProgress') return armError(400, 'BMSUserErrorJobNotCancellable', `Job '${j.name}' is ${j.status} and cannot be cancelled.`);
    j.status = 'Cancelling';
    const op = rt.startOperation(() => {
      j.status = 'Cancelled';
      j.endTime = ctx.clock.now().toISOString();
    });
    const loc = `${ctx.baseUrl}${encodePath(`${v.id}/backupJobs/${j.name}/operationResults/${op.id}`)}?api-version=${encodeURIComponent(apiVersionOf(ctx))}`;
    return { status: 202, headers: { Location: loc, 'Retry-After': '0' } };
  });
  router.add('GET', `${V}/backupJobs/{jobName}/operationResults/{operationId}`, (ctx) => {
    const op = rt.operations.get(ctx.params.operationId);
    if (!op) return armError(404, 'BMSUserErrorOperationNotFound', `Operation '${ctx.params.operationId}' was not found.`);
    rt.finish(op);
    return op.status === 'InProgress' ? { status: 202, headers: { 'Retry-After': '0' } } : { status: 204 };
  });
  router.add('GET', `${V}/backupOperations/{operationId}`, (ctx) => {
    const op = rt.operations.get(ctx.params.operationId);
    if (!op) return armError(404, 'BMSUserErrorOperationNotFound', `Operation '${ctx.params.operationId}' was not found.`);
    return { status: 200, body: operationStatusBody(op) };
  });

  // ---- protected items and containers
  router.add('GET', `${V}/backupProtectedItems`, (ctx) => {
    const v = vaultOr404(ctx);
    if (isResponse(v)) return v;
    const f = filterOr400(ctx, ITEM_FILTER_FIELDS);
    if (isResponse(f)) return f;
    const items = entriesOfVault(ctx, v).filter((e) => {
      const bmt = f.get('backupManagementType');
      if (bmt && !eqi(bmt, 'AzureIaasVM')) return false;
      const it = f.get('itemType') ?? f.get('workloadType');
      if (it && !eqi(it, 'VM')) return false;
      if (f.has('friendlyName') && !eqi(f.get('friendlyName')!, e.vmName)) return false;
      if (f.has('policyName') && !eqi(f.get('policyName')!, e.item.policy)) return false;
      if (f.has('containerName') && !eqi(f.get('containerName')!, e.containerName) && !eqi(f.get('containerName')!, e.containerName.replace(/^IaasVMContainer;/i, ''))) return false;
      return true;
    });
    return rt.page(ctx, items, (e) => serializeProtectedItem(e, ctx.state.protectedItemRuntime.get(e.id.toLowerCase())));
  });
  router.add('GET', `${V}/backupProtectionContainers`, (ctx) => {
    const v = vaultOr404(ctx);
    if (isResponse(v)) return v;
    const f = filterOr400(ctx, CONTAINER_FILTER_FIELDS);
    if (isResponse(f)) return f;
    const items = entriesOfVault(ctx, v).filter((e) => {
      const bmt = f.get('backupManagementType');
      if (bmt && !eqi(bmt, 'AzureIaasVM')) return false;
      if (f.has('friendlyName') && !eqi(f.get('friendlyName')!, e.vmName)) return false;
      if (f.has('status') && !eqi(f.get('status')!, 'Registered')) return false;
      return true;
    });
    return rt.page(ctx, items, serializeProtectionContainer);
  });
  router.add('GET', ITEM, (ctx) => {
    const v = vaultOr404(ctx);
    if (isResponse(v)) return v;
    const e = itemOr404(ctx, v);
    if (isResponse(e)) return e;
    return { status: 200, body: serializeProtectedItem(e, ctx.state.protectedItemRuntime.get(e.id.toLowerCase())) };
  });

  // ---- Backup Now
  router.add('POST', `${ITEM}/backup`, (ctx) => {
    const v = vaultOr404(ctx);
    if (isResponse(v)) return v;
    const e = itemOr404(ctx, v);
    if (isResponse(e)) return e;
    const invalid = backupRequestError(ctx.body);
    if (invalid) return armError(400, 'BMSUserErrorInvalidInput', invalid);
    if (isBackupRunning(rt, e)) {
      const info = SIMULATED_FAILURES.UserErrorBackupOperationInProgress;
      return armError(400, 'UserErrorBackupOperationInProgress', info.errorString);
    }
    const job = triggerBackup(rt, e);
    const op = rt.startOperation(() => undefined);
    op.jobId = job.name;
    rt.finish(op); // the trigger is accepted synchronously: the job exists as soon as we answer
    const api = encodeURIComponent(apiVersionOf(ctx));
    const itemPath = encodePath(e.id);
    return {
      status: 202,
      headers: {
        Location: `${ctx.baseUrl}${itemPath}/operationResults/${op.id}?api-version=${api}`,
        'Azure-AsyncOperation': `${ctx.baseUrl}${itemPath}/operationsStatus/${op.id}?api-version=${api}`,
        'Retry-After': '0',
      },
    };
  });
  router.add('GET', `${ITEM}/operationsStatus/{operationId}`, (ctx) => {
    const op = rt.operations.get(ctx.params.operationId);
    if (!op) return armError(404, 'BMSUserErrorOperationNotFound', `Operation '${ctx.params.operationId}' was not found.`);
    return { status: 200, body: operationStatusBody(op) };
  });
  router.add('GET', `${ITEM}/operationResults/{operationId}`, (ctx) => {
    const op = rt.operations.get(ctx.params.operationId);
    if (!op) return armError(404, 'BMSUserErrorOperationNotFound', `Operation '${ctx.params.operationId}' was not found.`);
    return op.status === 'InProgress' ? { status: 202, headers: { 'Retry-After': '0' } } : { status: 204 };
  });
}

function operationStatusBody(op: { id: string; status: string; startTime: string; endTime?: string; jobId?: string; error?: unknown }): unknown {
  const body: Record<string, unknown> = { id: op.id, name: op.id, status: op.status, startTime: op.startTime };
  if (op.endTime) body.endTime = op.endTime;
  if (op.error) body.error = op.error;
  if (op.jobId) body.properties = { objectType: 'OperationStatusJobExtendedInfo', jobId: op.jobId };
  return body;
}

export type { JobSpec };
