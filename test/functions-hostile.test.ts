// The hostile-input corpus (issue 10), on an app in APPLY mode with a resource-group allow-list, so a
// slip would write or read outside the scope. Each input gets a 4xx or a recorded, logged ignore.
// Across the corpus: zero ARM requests (so zero writes and zero reads outside the scope), zero 5xx,
// zero throws, and no secret in any answer or log line.

import { HttpRequest, InvocationContext } from '@azure/functions';
import { alertWebhook } from '../functions/alert-webhook';
import { eventGridIntake } from '../functions/event-grid';
import { decideApprovalHttp, listApprovalsHttp } from '../functions/approvals';
import { remediate } from '../functions/http';
import { remediateVm, remediateVmPoison } from '../functions/queue';
import { decodeMessage, MAX_MESSAGE_BYTES } from '../lib/storage/queue';
import { looksSecret } from '../lib/redact';
import { useAzurite } from './helpers/azurite';
import { functionsEnv, type FunctionsEnv } from './helpers/functions';
import { failedJob, ids, oneVaultEstate, RG, SUB, VAULT, vmSpec } from './helpers/harness';

const azurite = useAzurite();
const OTHER_RG = 'rg-other';
const OTHER_VAULT = 'rsv-other';
const JOB = '00000000-0000-4000-8000-0000000000a1';
const OTHER_JOB = '00000000-0000-4000-8000-0000000000b1';
const VM = ids.vm(SUB, RG, 'vm-a');
const ITEM = ids.protectedItem(SUB, RG, VAULT, RG, 'vm-a');
const OTHER_VAULT_ID = ids.vault(SUB, OTHER_RG, OTHER_VAULT);
const SECRETS = ['hunter2', 'SECRETSIG123', 'S3cr3tAccountKey', 'eyJhbGciOiJIUzI1NiJ9'];

/** rg-app (in scope): vm-a and its vault. rg-other (excluded by the allow-list): vm-b and another vault. */
function estate() {
  const e = oneVaultEstate({ vms: [vmSpec('vm-a')], jobs: [failedJob(JOB, 'vm-a', 'ExtensionOperationFailedForManagedDisks')] });
  const vmB = ids.vm(SUB, OTHER_RG, 'vm-b');
  e.subscriptions[0].resourceGroups.push({
    name: OTHER_RG, location: 'westeurope', tags: {}, locks: [], virtualMachines: [vmSpec('vm-b')], restorePointCollections: [],
    vaults: [{ name: OTHER_VAULT, protectedItems: [{ vmId: vmB, policy: 'DefaultPolicy' }], jobs: [{ ...failedJob(OTHER_JOB, 'vm-b', 'ExtensionOperationFailedForManagedDisks'), vmId: vmB }] }],
  } as never);
  return e;
}

/** Every line a handler logs through its InvocationContext. */
const lines: string[] = [];
function ctx(functionName: string, triggerMetadata: Record<string, unknown> = {}): InvocationContext {
  return new InvocationContext({ functionName, triggerMetadata, logHandler: (_level, ...args) => void lines.push(args.map(String).join(' ')) });
}

function request(url: string, body: string, contentType: string | undefined): HttpRequest {
  const headers: Record<string, string> = contentType === undefined ? {} : { 'content-type': contentType };
  return new HttpRequest({ method: 'POST', url: `http://localhost:7071/api/${url}`, body: { string: body }, headers });
}

const nest = (depth: number, leaf: unknown = 1): unknown => {
  let v: unknown = leaf;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
};

function alert(mutate: (a: any) => void = () => undefined): any {
  const a = {
    schemaId: 'azureMonitorCommonAlertSchema',
    data: {
      essentials: { alertId: 'a-1', alertRule: 'Backup Failure', monitoringService: 'Azure Backup', monitorCondition: 'Fired', alertTargetIDs: [ids.vault(SUB, RG, VAULT)] },
      alertContext: { protectedItemId: ITEM, linkedResourceId: VM, sourceType: 'AzureVM', extendedInfo: { jobId: JOB } },
    },
  };
  mutate(a);
  return a;
}

const vmWith = (rg: string, name: string) => ids.vm(SUB, rg, name);
const badVmIds: [string, string][] = [
  ['resource group "."', vmWith('.', 'vm-a')],
  ['resource group ending in a period', vmWith('rg-app.', 'vm-a')],
  ['fullwidth full stop in the resource group', vmWith('rg\uFF0Eapp', 'vm-a')],
  ['ideographic full stop in the resource group', vmWith('rg\u3002app', 'vm-a')],
  ['one-dot leader in the VM name', vmWith(RG, 'vm\u2024a')],
  ['fullwidth VM name', vmWith(RG, '\uFF56\uFF4D-a')],
  ['lone surrogate in the VM name', vmWith(RG, 'vm-\uD800')],
  ['VM name of 65 characters', vmWith(RG, 'v'.repeat(65))],
  ['VM name ending in a hyphen', vmWith(RG, 'vm-a-')],
  ['Cyrillic look-alike in the VM name', vmWith(RG, 'vm-\u0430')],
];

const http: { name: string; body: string; type?: string; status: number; code: string }[] = [
  { name: 'duplicate mode (dry-run then apply)', body: `{"vmId":${JSON.stringify(VM)},"mode":"dry-run","mode":"apply"}`, status: 400, code: 'DuplicateKey' },
  { name: 'duplicate mode spelt with an escape', body: `{"vmId":${JSON.stringify(VM)},"mo\\u0064e":"apply","mode":"dry-run"}`, status: 400, code: 'DuplicateKey' },
  { name: 'duplicate vmId, the second out of scope', body: `{"vmId":${JSON.stringify(VM)},"vmId":${JSON.stringify(vmWith(OTHER_RG, 'vm-b'))}}`, status: 400, code: 'DuplicateKey' },
  { name: 'text/plain with a JSON body', body: JSON.stringify({ vmId: VM }), type: 'text/plain', status: 415, code: 'UnsupportedMediaType' },
  { name: 'no Content-Type', body: JSON.stringify({ vmId: VM }), type: '', status: 415, code: 'UnsupportedMediaType' },
  { name: 'JSON in Latin-1', body: JSON.stringify({ vmId: VM }), type: 'application/json; charset=iso-8859-1', status: 415, code: 'UnsupportedMediaType' },
  { name: 'application/jsonp', body: JSON.stringify({ vmId: VM }), type: 'application/jsonp', status: 415, code: 'UnsupportedMediaType' },
  { name: '10,000 nested arrays', body: '['.repeat(10_000) + ']'.repeat(10_000), status: 400, code: 'TooDeep' },
  { name: '5,000 nested objects', body: '{"a":'.repeat(5_000) + '1' + '}'.repeat(5_000), status: 400, code: 'TooDeep' },
  { name: 'VM in an excluded resource group', body: JSON.stringify({ vmId: vmWith(OTHER_RG, 'vm-b') }), status: 403, code: 'OutOfScope' },
  { name: 'SAS signature in the id', body: JSON.stringify({ vmId: `${VM}?sig=SECRETSIG123` }), status: 400, code: 'InvalidResourceId' },
  { name: 'password field', body: JSON.stringify({ vmId: VM, password: 'hunter2' }), status: 400, code: 'InvalidBody' },
  { name: 'userinfo URL as the id', body: JSON.stringify({ vmId: 'https://admin:hunter2@management.azure.com/subscriptions/x' }), status: 400, code: 'InvalidResourceId' },
  ...badVmIds.map(([name, vmId]) => ({ name: `vmId: ${name}`, body: JSON.stringify({ vmId }), status: 400, code: 'InvalidResourceId' })),
];

const alerts: [string, string, string | undefined, number][] = [
  ['nested duplicate monitorCondition', JSON.stringify(alert()).replace('"monitorCondition":"Fired"', '"monitorCondition":"Resolved","monitorCondition":"Fired"'), 'application/json', 400],
  ['text/plain', JSON.stringify(alert()), 'text/plain', 415],
  ['item whose resource group is "."', JSON.stringify(alert((a) => {
    a.data.alertContext.protectedItemId = ITEM.replace(/;rg-app;vm-a/g, ';.;vm-a');
    delete a.data.alertContext.linkedResourceId;
  })), 'application/json', 400],
  ['item whose VM name is "."', JSON.stringify(alert((a) => {
    a.data.alertContext.protectedItemId = ITEM.replace(/;vm-a/g, ';.');
    delete a.data.alertContext.linkedResourceId;
  })), 'application/json', 400],
  ['item in a vault of an excluded resource group', JSON.stringify(alert((a) => (a.data.alertContext.protectedItemId = ids.protectedItem(SUB, OTHER_RG, OTHER_VAULT, RG, 'vm-a')))), 'application/json', 403],
  ['alert nested 40 levels deep', JSON.stringify(alert((a) => (a.data.alertContext.extra = nest(40)))), 'application/json', 400],
];

const eg = (data: unknown, id = 'evt-h') => ({ id, eventType: 'Contoso.Backup.Failed', subject: 'vm-a', eventTime: '2026-11-20T05:00:00Z', dataVersion: '1', data });
const events: [string, unknown][] = [
  ['job in a vault of an excluded resource group', eg({ jobId: OTHER_JOB, vaultId: OTHER_VAULT_ID })],
  ['in-scope VM with a job of an excluded vault', eg({ vmId: VM, jobId: `${OTHER_VAULT_ID}/backupJobs/${OTHER_JOB}` })],
  ['protected item of an excluded vault', eg({ protectedItemId: ids.protectedItem(SUB, OTHER_RG, OTHER_VAULT, OTHER_RG, 'vm-b') })],
  ['protected item whose resource group is "."', eg({ protectedItemId: ITEM.replace(/;rg-app;vm-a/g, ';.;vm-a') })],
  ['vaultId that is not the job\'s vault', eg({ jobId: `${ids.vault(SUB, RG, VAULT)}/backupJobs/${JOB}`, vaultId: OTHER_VAULT_ID })],
  ['fullwidth VM name', eg({ vmId: vmWith(RG, '\uFF56\uFF4D-a') })],
  ['data nested 10,000 levels', eg(nest(10_000))],
  ['event nested 10,000 levels', nest(10_000)],
  ['CloudEvent naming a VM of an excluded resource group', { specversion: '1.0', id: 'c-1', type: 't', source: 's', data: { vmId: vmWith(OTHER_RG, 'vm-b') } }],
  ['alert of an excluded vault via Event Grid', eg(alert((a) => (a.data.alertContext.protectedItemId = ids.protectedItem(SUB, OTHER_RG, OTHER_VAULT, RG, 'vm-a'))))],
];

/** POST /api/approvals/{id}: the id as the route gives it, the body as sent. */
function approvalRequest(id: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }): HttpRequest {
  return new HttpRequest({ method: 'POST', url: `http://localhost:7071/api/approvals/${encodeURIComponent(id)}`, body: { string: body }, headers, params: { id } });
}

/** Proposals seeded before the corpus: ids by role (the replayed one, an expired one, one outside the scope). */
const seeded: Record<'replayed' | 'expired' | 'outside', string> = { replayed: '', expired: '', outside: '' };
const approve = JSON.stringify({ decision: 'approve', approver: 'alice@contoso.com' });

const approvals: { name: string; id: () => string; body: string; headers?: Record<string, string>; status: number; code: string }[] = [
  { name: 'unknown id', id: () => 'AAAAAAAAAAAAAAAAAAAAAAAA', body: approve, status: 404, code: 'ApprovalNotFound' },
  { name: 'replayed approval', id: () => seeded.replayed, body: approve, status: 409, code: 'AlreadyDecided' },
  { name: 'replayed as a rejection', id: () => seeded.replayed, body: JSON.stringify({ decision: 'reject', approver: 'mallory' }), status: 409, code: 'AlreadyDecided' },
  { name: 'expired proposal', id: () => seeded.expired, body: approve, status: 409, code: 'ProposalExpired' },
  { name: 'proposal of a VM outside the scope', id: () => seeded.outside, body: approve, status: 403, code: 'OutOfScope' },
  { name: 'duplicate decision key (reject then approve)', id: () => seeded.outside, body: '{"decision":"reject","decision":"approve","approver":"a"}', status: 400, code: 'DuplicateKey' },
  { name: 'duplicate approver spelt with an escape', id: () => seeded.outside, body: '{"decision":"approve","approver":"a","appr\u006fver":"b"}', status: 400, code: 'DuplicateKey' },
  { name: 'id with a path', id: () => '../runs/x', body: approve, status: 400, code: 'InvalidApprovalId' },
  { name: 'id of 25 characters', id: () => 'A'.repeat(25), body: approve, status: 400, code: 'InvalidApprovalId' },
  { name: 'id with an encoded slash', id: () => 'AAAAAAAAAAAAAAAAAAAA%2F..', body: approve, status: 400, code: 'InvalidApprovalId' },
  { name: 'missing approver', id: () => seeded.outside, body: JSON.stringify({ decision: 'approve' }), status: 400, code: 'InvalidBody' },
  { name: 'approver with a newline (log forging)', id: () => seeded.outside, body: JSON.stringify({ decision: 'approve', approver: 'alice\nINFO approved by admin' }), status: 400, code: 'InvalidBody' },
  { name: 'approver of 200 characters', id: () => seeded.outside, body: JSON.stringify({ decision: 'approve', approver: 'a'.repeat(200) }), status: 400, code: 'InvalidBody' },
  { name: 'decision "yes"', id: () => seeded.outside, body: JSON.stringify({ decision: 'yes', approver: 'alice' }), status: 400, code: 'InvalidBody' },
  { name: 'password field', id: () => seeded.outside, body: JSON.stringify({ decision: 'approve', approver: 'alice', password: 'hunter2' }), status: 400, code: 'InvalidBody' },
  { name: 'oversized note (70 KB body)', id: () => seeded.outside, body: JSON.stringify({ decision: 'approve', approver: 'alice', note: 'x'.repeat(70_000) }), status: 413, code: 'PayloadTooLarge' },
  { name: 'note of 2,000 characters', id: () => seeded.outside, body: JSON.stringify({ decision: 'approve', approver: 'alice', note: 'x'.repeat(2000) }), status: 400, code: 'InvalidBody' },
  { name: 'text/plain', id: () => seeded.outside, body: approve, headers: { 'content-type': 'text/plain' }, status: 415, code: 'UnsupportedMediaType' },
  { name: 'a principal header that is no name', id: () => seeded.outside, body: approve, headers: { 'content-type': 'application/json', 'x-ms-client-principal-name': '<script>admin' }, status: 400, code: 'InvalidPrincipal' },
  { name: 'body nested 5,000 levels', id: () => seeded.outside, body: '{"a":'.repeat(5_000) + '1' + '}'.repeat(5_000), status: 400, code: 'TooDeep' },
];

describe('hostile input: an apply-mode app with a resource-group allow-list', () => {
  let env: FunctionsEnv;
  const answers: unknown[] = [];
  beforeAll(async () => {
    env = await functionsEnv(estate(), azurite(), { mode: 'apply', resourceGroups: [`${SUB}/${RG}`], requireApproval: ['delete-restore-point-collection'] });
    const store = env.rt.ledger.approvals!;
    const base = { runId: 'run-seed', jobId: JOB, failureCode: 'UserErrorRpCollectionLimitReached', kind: 'delete-restore-point-collection' as const, script: '', reason: 'seed', evidence: {}, ttlMs: 3_600_000 };
    const rpc = (rg: string, vm: string) => `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.Compute/restorePointCollections/AzureBackup_${vm}_1`;
    seeded.replayed = (await store.propose({ ...base, vmId: VM, target: rpc(RG, 'vm-a') })).proposal.id;
    seeded.outside = (await store.propose({ ...base, vmId: vmWith(OTHER_RG, 'vm-b'), target: rpc(OTHER_RG, 'vm-b') })).proposal.id;
    seeded.expired = (await store.propose({ ...base, vmId: VM, target: rpc(RG, 'vm-a2'), ttlMs: 1 })).proposal.id;
    await new Promise((r) => setTimeout(r, 5));
    // The first approval is the one the corpus replays; it is a 200, and reaches no ARM either.
    const first = await decideApprovalHttp(approvalRequest(seeded.replayed, approve), ctx('decideApproval'));
    expect(first).toMatchObject({ status: 200, jsonBody: { status: 'approved', decidedBy: 'alice@contoso.com' } });
    env.emu.requests.reset();
  });
  afterAll(async () => {
    // Not one ARM request: so no write and no read outside the scope either.
    expect(env.armRequests()).toEqual([]);
    const text = [...lines, ...answers.map((a) => JSON.stringify(a))];
    for (const secret of SECRETS) expect(text.filter((l) => l.includes(secret))).toEqual([]);
    expect(text.filter((l) => looksSecret(l))).toEqual([]);
    await env.stop();
  });

  it.each(http.map((c) => [c.name, c] as const))('POST /api/remediate: %s', async (_n, c) => {
    const res = await remediate(request('remediate', c.body, c.type ?? 'application/json'), ctx('remediate'));
    answers.push(res.jsonBody);
    expect(res.status).toBe(c.status);
    expect((res.jsonBody as any).error.code).toBe(c.code);
  });

  it.each(approvals.map((c) => [c.name, c] as const))('POST /api/approvals/{id}: %s', async (_n, c) => {
    const res = await decideApprovalHttp(approvalRequest(c.id(), c.body, c.headers), ctx('decideApproval'));
    answers.push(res.jsonBody);
    expect(res.status).toBe(c.status);
    expect((res.jsonBody as any).error.code).toBe(c.code);
  });

  it('GET /api/approvals: a bad status filter is a 400; the list leaves out the proposal outside the scope', async () => {
    const bad = await listApprovalsHttp(new HttpRequest({ method: 'GET', url: 'http://localhost:7071/api/approvals?status=%27%20or%201%20eq%201' }), ctx('listApprovals'));
    expect(bad).toMatchObject({ status: 400, jsonBody: { error: { code: 'InvalidStatus' } } });
    const res = await listApprovalsHttp(new HttpRequest({ method: 'GET', url: 'http://localhost:7071/api/approvals' }), ctx('listApprovals'));
    answers.push(res.jsonBody);
    const ids = (res.jsonBody as { approvals: { id: string }[] }).approvals.map((a) => a.id);
    expect(ids).toEqual(expect.arrayContaining([seeded.replayed, seeded.expired]));
    expect(ids).not.toContain(seeded.outside);
  });

  it.each(alerts)('POST /api/alerts: %s', async (_n, body, type, status) => {
    const res = await alertWebhook(request('alerts', body, type), ctx('alertWebhook'));
    answers.push(res.jsonBody);
    expect(res.status).toBe(status);
  });

  it.each(events)('Event Grid: %s → recorded rejection, no throw', async (_n, event) => {
    const before = (await env.rt.ledger.failures('event-rejected')).length;
    await expect(eventGridIntake(event, ctx('eventGridIntake'))).resolves.toBeUndefined();
    const rejected = await env.rt.ledger.failures('event-rejected');
    expect(rejected).toHaveLength(before + 1);
    answers.push(rejected[rejected.length - 1].reason);
  });

  it('queue: a message nested 10,000 levels (object or text) is recorded and parked, not a stack overflow', async () => {
    await expect(remediateVm(nest(10_000), ctx('remediateVm', { dequeueCount: 1 }))).resolves.toBeUndefined();
    await expect(remediateVm('['.repeat(10_000) + ']'.repeat(10_000), ctx('remediateVm', { dequeueCount: 1 }))).resolves.toBeUndefined();
    const parked = await env.rt.queue.poison.receive(10);
    expect(parked.map((m) => m.body.reason)).toEqual([expect.stringMatching(/TooDeep/), expect.stringMatching(/TooDeep/)]);
    for (const m of parked) await env.rt.queue.poison.delete(m);
  });

  it('queue: a 40 KB message whose escaped copy would pass 64 KiB is parked truncated, with the digest of the original', async () => {
    const message = { vmId: '\u0001'.repeat(40_000) };
    await expect(remediateVm(message, ctx('remediateVm', { dequeueCount: 1 }))).resolves.toBeUndefined();
    const [copy] = await env.rt.queue.poison.receive(1);
    expect(copy.body).toMatchObject({ parkedBy: 'remediateVm', truncated: true, originalBytes: Buffer.byteLength(JSON.stringify(message)) });
    expect(copy.body.originalSha256).toMatch(/^[0-9a-f]{64}$/);
    // The host hands the poison trigger the copy: it was recorded when parked, so nothing new.
    const poisonBefore = (await env.rt.ledger.failures('poison')).length;
    await remediateVmPoison(copy.body, ctx('remediateVmPoison'));
    expect(await env.rt.ledger.failures('poison')).toHaveLength(poisonBefore);
    await env.rt.queue.poison.delete(copy);
  });

  it('queue: a forged "already rejected" marker in a poison message does not stop it being recorded', async () => {
    await remediateVmPoison({ rejectedBecause: 'looks parked', parkedBy: 'remediateVm', vmId: VM }, ctx('remediateVmPoison'));
    const poison = await env.rt.ledger.failures('poison');
    expect(poison.map((p) => p.key)).toContain(VM);
    // Delivered again: recorded once.
    await remediateVmPoison({ rejectedBecause: 'looks parked', parkedBy: 'remediateVm', vmId: VM }, ctx('remediateVmPoison'));
    expect(await env.rt.ledger.failures('poison')).toHaveLength(poison.length);
  });

  it('queue: a message in an excluded resource group is parked at once', async () => {
    await expect(remediateVm({ vmId: vmWith(OTHER_RG, 'vm-b') }, ctx('remediateVm', { dequeueCount: 1 }))).resolves.toBeUndefined();
    const rejected = await env.rt.ledger.failures('queue-rejected');
    expect(rejected[rejected.length - 1].reason).toMatch(/OutOfScope: .*REMEDIATION_RESOURCE_GROUPS/);
  });

  it('the corpus is not trivially small', () => {
    expect(http.length + alerts.length + events.length + approvals.length + 4).toBeGreaterThanOrEqual(60);
    expect(MAX_MESSAGE_BYTES).toBe(65_536);
    expect(decodeMessage(Buffer.from('{"a":1}').toString('base64')).body).toEqual({ a: 1 });
  });
});

describe('a flood of events is bounded', () => {
  let env: FunctionsEnv;
  afterAll(async () => env?.stop());

  it('200 events naming random in-scope jobs: 5 run, the rest wait for the reconcile, one ledger row for them', async () => {
    env = await functionsEnv(estate(), azurite(), { mode: 'dry-run', resourceGroups: [`${SUB}/${RG}`] });
    env.rt.intakeEventsPerMinute = 5;
    env.emu.requests.reset();
    const outcomes: string[] = [];
    for (let i = 0; i < 200; i++) {
      const job = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
      const r = await eventGridIntake(eg({ jobId: job, vaultId: ids.vault(SUB, RG, VAULT) }, `flood-${i}`), ctx('eventGridIntake'));
      outcomes.push(String(r?.outcome));
    }
    expect(outcomes.filter((o) => o === 'deferred')).toHaveLength(195);
    expect(await env.rt.ledger.failures('intake-deferred')).toHaveLength(1);
    // Reads stay proportional to the 5 that ran, never to the 200 that arrived, and inside the scope.
    expect(env.armRequests().length).toBeLessThanOrEqual(5 * 4);
    expect(env.armRequests().filter((r) => /resourceGroups\/rg-other/i.test(r.path))).toEqual([]);
    expect(env.writes()).toEqual([]);
  });
});
