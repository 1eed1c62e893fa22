// Estate validation: structure with zod (messages rewritten to name the JSON path the way a person
// reads it: `subscriptions[0].resourceGroups[1].virtualMachines[2].agent.status`), then the
// cross-references zod cannot see (duplicate names, ids pointing at VMs that do not exist).
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Estate, RestorePointSpec } from './estate';

export class EstateError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'EstateError';
  }
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isoDate = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'expected an ISO 8601 date-time');
const name = z.string().min(1, 'expected a non-empty name');
const provisioningState = z.enum(['Succeeded', 'Failed', 'Updating', 'Deleting', 'Creating']);
const lock = z.strictObject({ name, level: z.enum(['CanNotDelete', 'ReadOnly']), notes: z.string().optional() });
const locks = z.array(lock).default([]);

const extension = z.strictObject({
  name,
  publisher: z.string().min(1),
  type: z.string().min(1),
  provisioningState: provisioningState.default('Succeeded'),
  typeHandlerVersion: z.string().optional(),
  instanceViewStatus: z.strictObject({
    level: z.enum(['Info', 'Warning', 'Error']),
    code: z.string().optional(),
    displayStatus: z.string().optional(),
    message: z.string().optional(),
  }).optional(),
});

const securityRule = z.strictObject({
  name,
  priority: z.number().int().min(100).max(4096),
  direction: z.enum(['Inbound', 'Outbound']),
  access: z.enum(['Allow', 'Deny']),
  protocol: z.enum(['Tcp', 'Udp', '*']).default('*'),
  destinationAddressPrefix: z.string().min(1).default('*'),
  destinationPortRange: z.string().regex(/^(\*|\d{1,5}(-\d{1,5})?)$/, "expected '*', a port or a range like 400-500").default('*'),
});
const nsg = z.strictObject({ name, securityRules: z.array(securityRule).default([]) });
const route = z.strictObject({
  name,
  addressPrefix: z.string().min(1),
  nextHopType: z.enum(['Internet', 'VirtualAppliance', 'VirtualNetworkGateway', 'VnetLocal', 'None']),
  nextHopIpAddress: z.string().optional(),
});
const vmNetwork = z.strictObject({ networkSecurityGroup: z.string().min(1).optional(), routes: z.array(route).default([]) });

const vssWriter = z.strictObject({
  name,
  state: z.string().min(1),
  lastError: z.string().optional(),
  service: name,
  recoversOnRestart: z.boolean().optional(),
});
const guest = z.strictObject({
  vssWriters: z.array(vssWriter).optional(),
  services: z.record(z.string().min(1), z.enum(['Running', 'Stopped'])).optional(),
  registry: z.record(z.string().min(1), z.string()).optional(),
  slowSnapshot: z.boolean().optional(),
});

const vm = z.strictObject({
  name,
  os: z.enum(['Windows', 'Linux']).default('Windows'),
  powerState: z.enum(['running', 'stopped', 'deallocated', 'starting', 'stopping']).default('running'),
  provisioningState: provisioningState.default('Succeeded'),
  agent: z.strictObject({ status: z.enum(['Ready', 'NotReady']).default('Ready'), version: z.string().default('2.7.41491.1102') }).default({ status: 'Ready', version: '2.7.41491.1102' }),
  outboundConnectivity: z.boolean().default(true),
  tags: z.record(z.string(), z.string()).default({}),
  locks,
  extensions: z.array(extension).default([]),
  location: z.string().optional(),
  network: vmNetwork.optional(),
  guest: guest.optional(),
  uniqueId: z.uuid().optional(),
});

const restorePoint = z.strictObject({ name, timeCreated: isoDate });
const rpc = z.strictObject({
  name,
  sourceVmId: z.string().min(1),
  restorePoints: z.union([z.number().int().min(0).max(1000), z.array(restorePoint)]).default([]),
  locks,
  location: z.string().optional(),
});

const errorDetail = z.strictObject({
  errorCode: z.union([z.number(), z.string()]).optional(),
  errorTitle: z.string().optional(),
  errorString: z.string().optional(),
  recommendations: z.array(z.string()).optional(),
});

const job = z.strictObject({
  name,
  vmId: z.string().min(1),
  operation: z.string().min(1).default('Backup'),
  status: z.enum(['InProgress', 'Completed', 'Failed', 'CompletedWithWarnings', 'Cancelled', 'Cancelling']),
  startTime: isoDate,
  endTime: isoDate.optional(),
  errorDetails: z.array(errorDetail).optional(),
  extendedInfo: z.record(z.string(), z.unknown()).optional(),
  vmDeleted: z.boolean().optional(),
  activityId: z.string().optional(),
  isUserTriggered: z.boolean().optional(),
});

const vault = z.strictObject({
  name,
  location: z.string().optional(),
  protectedItems: z.array(z.strictObject({ vmId: z.string().min(1), policy: z.string().default('DefaultPolicy'), vmDeleted: z.boolean().optional() })).default([]),
  jobs: z.array(job).default([]),
});

const resourceGroup = z.strictObject({
  name,
  location: z.string().default('westeurope'),
  tags: z.record(z.string(), z.string()).default({}),
  locks,
  virtualMachines: z.array(vm).default([]),
  restorePointCollections: z.array(rpc).default([]),
  vaults: z.array(vault).default([]),
  networkSecurityGroups: z.array(nsg).optional(),
});

const subscription = z.strictObject({
  id: z.string().regex(GUID, 'expected a subscription GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)'),
  displayName: z.string().default(''),
  locks,
  resourceGroups: z.array(resourceGroup).default([]),
});

const fault = z.strictObject({
  method: z.string().optional(),
  path: z.string().min(1),
  status: z.number().int().min(100).max(599).optional(),
  kind: z.enum(['status', 'reset', 'slow', 'lost-response']).optional(),
  delayMs: z.number().min(0).optional(),
  retryAfterSeconds: z.number().min(0).optional(),
  times: z.number().int().min(0).optional(),
  probability: z.number().min(0).max(1).optional(),
  errorCode: z.string().optional(),
});

const latency = z.union([z.number().min(0), z.strictObject({ min: z.number().min(0), max: z.number().min(0) })]);

const estateSchema = z.strictObject({
  now: isoDate.optional(),
  tenantId: z.string().regex(GUID, 'expected a tenant GUID').optional(),
  subscriptions: z.array(subscription),
  simulation: z
    .object({
      latencyMs: latency.default(0),
      throttling: z.enum(['off', 'arm']).default('off'),
      backupDurationSeconds: z.number().min(0).default(0),
      faults: z.array(fault).default([]),
      graphJobShape: z.enum(['conservative', 'full']).default('conservative'),
      jobListExtendedInfo: z.boolean().default(false),
    })
    .default({ latencyMs: 0, throttling: 'off', backupDurationSeconds: 0, faults: [], graphJobShape: 'conservative', jobListExtendedInfo: false }),
});

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out || '(root)';
}

function describeIssue(issue: z.core.$ZodIssue, raw: unknown): string {
  switch (issue.code) {
    case 'invalid_value':
      return `expected ${issue.values.map((v) => JSON.stringify(v)).join(' | ')}`;
    case 'invalid_type': {
      const got = valueAt(raw, issue.path);
      return got === undefined ? `required (expected ${issue.expected})` : `expected ${issue.expected}, got ${describeValue(got)}`;
    }
    case 'unrecognized_keys':
      return `unknown field(s) ${issue.keys.join(', ')}`;
    default:
      return issue.message;
  }
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  return typeof v === 'object' ? 'object' : `${typeof v} ${String(v)}`;
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let cur: any = raw;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = cur[p as any];
  }
  return cur;
}

function fail(path: string, problem: string): never {
  throw new EstateError(`${path}: ${problem}`, path);
}

function canonicalVmId(sub: string, rg: string, vmName: string): string {
  return `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/${vmName}`;
}

function checkUnique(items: { name: string }[], path: string, what: string): void {
  const seen = new Map<string, number>();
  items.forEach((it, i) => {
    const k = it.name.toLowerCase();
    const prev = seen.get(k);
    if (prev !== undefined) fail(`${path}[${i}].name`, `duplicate ${what} name '${it.name}' (also at ${path}[${prev}]; names compare case-insensitively)`);
    seen.set(k, i);
  });
}

/** Expand a restore-point count into a list: one point a day, the newest a day before `now`. */
function expandRestorePoints(count: number, now: Date): RestorePointSpec[] {
  const out: RestorePointSpec[] = [];
  for (let i = 0; i < count; i++) {
    const t = new Date(now.getTime() - (count - i) * 24 * 3600_000);
    out.push({ name: `rp-${String(i + 1).padStart(4, '0')}-${t.toISOString().slice(0, 10).replace(/-/g, '')}`, timeCreated: t.toISOString() });
  }
  return out;
}

/** NSG and rule names are unique; a VM's NIC names an NSG of its own resource group. */
function checkNetwork(rg: z.infer<typeof resourceGroup>, rp: string): void {
  const nsgs = rg.networkSecurityGroups ?? [];
  checkUnique(nsgs, `${rp}.networkSecurityGroups`, 'network security group');
  nsgs.forEach((g, gi) => checkUnique(g.securityRules, `${rp}.networkSecurityGroups[${gi}].securityRules`, 'security rule'));
  rg.virtualMachines.forEach((v, vi) => {
    const want = v.network?.networkSecurityGroup;
    if (want && !nsgs.some((g) => g.name.toLowerCase() === want.toLowerCase()))
      fail(`${rp}.virtualMachines[${vi}].network.networkSecurityGroup`, `no network security group '${want}' in this resource group`);
    if (v.network) checkUnique(v.network.routes, `${rp}.virtualMachines[${vi}].network.routes`, 'route');
  });
}

/** VSS writers and the snapshot registry values exist only in a Windows guest; writer names are unique. */
function checkGuest(v: z.infer<typeof vm>, vp: string): void {
  if (!v.guest) return;
  if (v.os === 'Linux') {
    if (v.guest.vssWriters) fail(`${vp}.guest.vssWriters`, 'VSS writers exist only in a Windows guest (this VM is Linux)');
    if (v.guest.registry) fail(`${vp}.guest.registry`, 'the snapshot registry values exist only in a Windows guest (this VM is Linux)');
  }
  if (v.guest.vssWriters) checkUnique(v.guest.vssWriters, `${vp}.guest.vssWriters`, 'VSS writer');
}

export function validateEstate(raw: unknown): Estate {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail('(root)', `expected an object, got ${describeValue(raw)}`);
  const parsed = estateSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    fail(formatPath(issue.path), describeIssue(issue, raw));
  }
  const data = parsed.data;
  const now = data.now ? new Date(data.now) : new Date();

  const vmIds = new Set<string>();
  data.subscriptions.forEach((s, si) => {
    s.resourceGroups.forEach((rg, ri) => {
      for (const v of rg.virtualMachines) vmIds.add(canonicalVmId(s.id, rg.name, v.name).toLowerCase());
      void ri;
    });
    void si;
  });
  const subSeen = new Map<string, number>();
  data.subscriptions.forEach((s, si) => {
    const p = `subscriptions[${si}]`;
    const prev = subSeen.get(s.id.toLowerCase());
    if (prev !== undefined) fail(`${p}.id`, `duplicate subscription id '${s.id}' (also at subscriptions[${prev}])`);
    subSeen.set(s.id.toLowerCase(), si);
    checkUnique(s.locks, `${p}.locks`, 'lock');
    checkUnique(s.resourceGroups, `${p}.resourceGroups`, 'resource group');
    s.resourceGroups.forEach((rg, ri) => {
      const rp = `${p}.resourceGroups[${ri}]`;
      checkUnique(rg.locks, `${rp}.locks`, 'lock');
      checkUnique(rg.virtualMachines, `${rp}.virtualMachines`, 'virtual machine');
      checkUnique(rg.restorePointCollections, `${rp}.restorePointCollections`, 'restore point collection');
      checkUnique(rg.vaults, `${rp}.vaults`, 'vault');
      checkNetwork(rg, rp);
      rg.virtualMachines.forEach((v, vi) => {
        checkUnique(v.extensions, `${rp}.virtualMachines[${vi}].extensions`, 'extension');
        checkUnique(v.locks, `${rp}.virtualMachines[${vi}].locks`, 'lock');
        checkGuest(v, `${rp}.virtualMachines[${vi}]`);
      });
      rg.restorePointCollections.forEach((c, ci) => {
        const cp = `${rp}.restorePointCollections[${ci}]`;
        if (!vmIds.has(c.sourceVmId.toLowerCase())) fail(`${cp}.sourceVmId`, `no virtual machine '${c.sourceVmId}' in the estate`);
        checkUnique(c.locks, `${cp}.locks`, 'lock');
        if (typeof c.restorePoints === 'number') (c as { restorePoints: unknown }).restorePoints = expandRestorePoints(c.restorePoints, now);
        else checkUnique(c.restorePoints, `${cp}.restorePoints`, 'restore point');
      });
      rg.vaults.forEach((vault, vi) => {
        const vp = `${rp}.vaults[${vi}]`;
        vault.protectedItems.forEach((item, ii) => {
          if (!item.vmDeleted && !vmIds.has(item.vmId.toLowerCase()))
            fail(`${vp}.protectedItems[${ii}].vmId`, `no virtual machine '${item.vmId}' in the estate (set "vmDeleted": true if it was deleted on purpose)`);
        });
        checkUnique(vault.jobs, `${vp}.jobs`, 'job');
        vault.jobs.forEach((j, ji) => {
          if (!j.vmDeleted && !vmIds.has(j.vmId.toLowerCase()))
            fail(`${vp}.jobs[${ji}].vmId`, `no virtual machine '${j.vmId}' in the estate (set "vmDeleted": true if it was deleted on purpose)`);
        });
      });
    });
  });
  return data as Estate;
}

export function loadEstateFile(path: string): Estate {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new EstateError(`cannot read estate file '${path}': ${(e as Error).message}`, '(file)');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new EstateError(`estate file '${path}' is not valid JSON: ${(e as Error).message}`, '(file)');
  }
  return validateEstate(raw);
}
