// `backup-remediator approvals list | approve <id> | reject <id>` over a ledger in Azurite: the same
// use cases as the HTTP API, the approver from --by or the OS user (recorded with how it was known),
// and the exit codes of cli/exit-codes.ts (a decided, unknown or malformed id is bad input: 2).

import { userInfo } from 'node:os';
import { PassThrough } from 'node:stream';
import type { CliIo } from '../cli/io';
import { main } from '../cli/main';
import { isProposalId, newProposalId } from '../lib/approvals/ids';
import { createLedger } from '../lib/ledger';
import { uniquePrefix, useAzurite } from './helpers/azurite';

const azurite = useAzurite();
const SUB = '11111111-1111-4111-8111-111111111111';
const VM = `/subscriptions/${SUB}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/web1`;
const prefix = uniquePrefix('cli');

async function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (s: string) => (stdout += s), columns: 200 },
    stderr: { write: (s: string) => (stderr += s) },
    stdin: new PassThrough(),
    env: { AzureWebJobsStorage: azurite().connectionString, REMEDIATION_LEDGER_PREFIX: prefix, REMEDIATION_SUBSCRIPTIONS: SUB, ...env },
  };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

async function seed(n: number): Promise<string> {
  const ledger = await createLedger({ connectionString: azurite().connectionString, prefix });
  const target = `/subscriptions/${SUB}/resourceGroups/rg-app/providers/Microsoft.Compute/restorePointCollections/AzureBackup_web1_${n}`;
  const { proposal } = await ledger.approvals!.propose({ runId: 'run-seed', vmId: VM, jobId: 'j', failureCode: 'UserErrorRpCollectionLimitReached', kind: 'delete-restore-point-collection', target, script: '', reason: 'r', evidence: {}, ttlMs: 3_600_000 });
  return proposal.id;
}

test('list, approve with --by and --note, a replay is refused; reject defaults to the OS user', async () => {
  const a = await seed(1);
  const b = await seed(2);
  const listed = await cli(['approvals', 'list', '--status', 'pending']);
  expect(listed.code).toBe(0);
  expect((JSON.parse(listed.stdout) as { approvals: { id: string }[] }).approvals.map((p) => p.id).sort()).toEqual([a, b].sort());

  const approved = await cli(['approvals', 'approve', a, '--by', 'alice@contoso.com', '--note', 'CAB 7']);
  expect(approved.code).toBe(0);
  expect(JSON.parse(approved.stdout)).toMatchObject({ id: a, status: 'approved', decidedBy: 'alice@contoso.com', decidedVia: 'cli-flag', note: 'CAB 7' });
  const replay = await cli(['approvals', 'reject', a, '--by', 'mallory']);
  expect(replay.code).toBe(2);
  expect(replay.stderr).toMatch(/already approved by alice@contoso.com/);

  const rejected = await cli(['approvals', 'reject', b]);
  expect(rejected.code).toBe(0);
  expect(JSON.parse(rejected.stdout)).toMatchObject({ status: 'rejected', decidedBy: userInfo().username, decidedVia: 'cli-user' });
});

test('bad input exits 2 with one line: malformed or unknown id, bad status, bad --by, no ledger, out of scope', async () => {
  const id = await seed(3);
  const cases: [string[], Record<string, string | undefined>, RegExp][] = [
    [['approvals', 'approve', '../etc'], {}, /approval id must be 24 characters/],
    [['approvals', 'approve', 'AAAAAAAAAAAAAAAAAAAAAAAA', '--by', 'a'], {}, /not found/],
    [['approvals', 'list', '--status', 'bogus'], {}, /status must be one of/],
    [['approvals', 'approve', id, '--by', 'a\nb'], {}, /--by|approver/],
    [['approvals', 'list'], { AzureWebJobsStorage: undefined }, /no ledger configured/],
    [['approvals', 'approve', id, '--by', 'a'], { REMEDIATION_SUBSCRIPTIONS: '22222222-2222-4222-8222-222222222222' }, /not in REMEDIATION_SUBSCRIPTIONS/],
  ];
  for (const [args, env, message] of cases) {
    const r = await cli(args, env);
    expect({ args, code: r.code }).toEqual({ args, code: 2 });
    expect(r.stderr).toMatch(message);
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  }
  expect((await cli(['approvals', '--help'])).stdout).toMatch(/approvals approve <id> --by/);
});

test('ids are safe to type as an argument: none starts with - or _; an older one that does is decided after --', async () => {
  const ids = Array.from({ length: 4000 }, () => newProposalId());
  expect(ids.filter((id) => !/^[A-Za-z0-9]/.test(id))).toEqual([]);
  expect(ids.every(isProposalId)).toBe(true);
  // An id of the earlier format (leading '-') still parses; after `--` it is looked up, not read as an option.
  const old = await cli(['approvals', 'approve', '--by', 'a', '--', '-AAAAAAAAAAAAAAAAAAAAAAA']);
  expect({ code: old.code, stderr: old.stderr }).toMatchObject({ code: 2, stderr: expect.stringMatching(/not found/) });
});
