// GET/POST /api/approvals through the Functions handlers (real HttpRequest, ledger on Azurite): the
// list, a decision recorded with the App Service Authentication principal when the platform set one
// (the body's name kept beside it), and the body's name otherwise. No ARM request either way.

import { HttpRequest } from '@azure/functions';
import { decideApprovalHttp, listApprovalsHttp } from '../functions/approvals';
import { useAzurite } from './helpers/azurite';
import { context, functionsEnv, type FunctionsEnv } from './helpers/functions';
import { failedJob, ids, oneVaultEstate, RG, SUB, vmSpec } from './helpers/harness';

const azurite = useAzurite();
const VM = ids.vm(SUB, RG, 'vm-a');
let env: FunctionsEnv;

beforeAll(async () => {
  env = await functionsEnv(oneVaultEstate({ vms: [vmSpec('vm-a')], jobs: [failedJob('00000000-0000-4000-8000-0000000000c1', 'vm-a', 'UserErrorRpCollectionLimitReached')] }), azurite());
});
afterAll(async () => env.stop());

const seed = (target: string) =>
  env.rt.ledger.approvals!.propose({ runId: 'run-seed', vmId: VM, jobId: 'j', failureCode: 'UserErrorRpCollectionLimitReached', kind: 'delete-restore-point-collection', target, script: '', reason: 'r', evidence: {}, ttlMs: 3_600_000 });
const post = (id: string, body: unknown, headers: Record<string, string> = {}) =>
  new HttpRequest({ method: 'POST', url: `http://localhost:7071/api/approvals/${id}`, body: { string: JSON.stringify(body) }, headers: { 'content-type': 'application/json', ...headers }, params: { id } });
const list = (query = '') => listApprovalsHttp(new HttpRequest({ method: 'GET', url: `http://localhost:7071/api/approvals${query}` }), context('listApprovals'));

test('list, approve with the platform principal, reject with the body name; the list filters by status', async () => {
  env.emu.requests.reset();
  const a = (await seed(`${ids.collection(SUB, RG, 'AzureBackup_vm-a_1')}`)).proposal;
  const b = (await seed(`${ids.collection(SUB, RG, 'AzureBackup_vm-a_2')}`)).proposal;
  const pending = await list('?status=pending');
  expect(pending.status).toBe(200);
  expect((pending.jsonBody as { approvals: { id: string; status: string }[] }).approvals.map((x) => x.id).sort()).toEqual([a.id, b.id].sort());

  const approved = await decideApprovalHttp(post(a.id, { decision: 'approve', approver: 'someone-else', note: 'CAB #7' }, { 'x-ms-client-principal-name': 'alice@contoso.com' }), context('decideApproval'));
  expect(approved).toMatchObject({ status: 200, jsonBody: { id: a.id, status: 'approved', decidedBy: 'alice@contoso.com', decidedVia: 'app-service-authentication', claimedApprover: 'someone-else', note: 'CAB #7' } });
  const rejected = await decideApprovalHttp(post(b.id, { decision: 'reject', approver: 'bob' }), context('decideApproval'));
  expect(rejected).toMatchObject({ status: 200, jsonBody: { status: 'rejected', decidedBy: 'bob', decidedVia: 'request-body' } });

  const onlyApproved = (await list('?status=approved')).jsonBody as { approvals: { id: string }[] };
  expect(onlyApproved.approvals.map((x) => x.id)).toEqual([a.id]);
  expect(env.armRequests()).toEqual([]);
});
