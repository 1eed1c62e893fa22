// The proposal store (lib/approvals/store.ts), the same cases on Azurite and on the CLI's in-process
// tables (cli/local-tables.ts): idempotent propose by key, list, ETag-conditional decisions (a replay
// or a late second decision is refused with the state), expiry, claim once, close with why.

import { createLocalTables } from '../cli/local-tables';
import { PROPOSAL_ID } from '../lib/approvals/ids';
import { createProposalStore } from '../lib/approvals/store';
import type { ProposalInput, ProposalStore } from '../lib/approvals/types';
import { createLedger } from '../lib/ledger';
import { uniquePrefix, useAzurite } from './helpers/azurite';

const azurite = useAzurite();

const SUB = '11111111-1111-4111-8111-111111111111';
const VM = `/subscriptions/${SUB}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/web1`;
const RPC = `/subscriptions/${SUB}/resourceGroups/rg-app/providers/Microsoft.Compute/restorePointCollections/AzureBackup_web1_1`;
const HOUR = 3_600_000;

function input(over: Partial<ProposalInput> = {}): ProposalInput {
  return {
    runId: 'run-1', vmId: VM, jobId: `${VM}/job`, failureCode: 'UserErrorRpCollectionLimitReached', kind: 'delete-restore-point-collection',
    target: RPC, script: '', reason: 'at the limit', evidence: { totalPoints: 18, token: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl' }, ttlMs: 24 * HOUR, ...over,
  };
}

const who = { approver: 'alice@contoso.com', via: 'request-body' as const };

describe.each([
  ['Azurite', () => ({ connectionString: azurite().connectionString })],
  ['the CLI\'s in-process tables', () => ({ tableClient: createLocalTables() })],
])('on %s', (_name, storage) => {
  let clock: Date;
  let store: ProposalStore;
  beforeEach(() => {
    clock = new Date('2026-11-20T06:00:00Z');
    store = createProposalStore({ ...storage(), prefix: uniquePrefix('ap'), now: () => clock });
  });

  test('propose is idempotent by key; another key, script or failure is another proposal', async () => {
    const a = await store.propose(input());
    expect(a.created).toBe(true);
    expect(a.proposal.id).toMatch(PROPOSAL_ID);
    expect(a.proposal).toMatchObject({ status: 'pending', runId: 'run-1', expiresAt: new Date('2026-11-21T06:00:00Z') });
    // Same key from another run, ids in another case: the same proposal.
    const again = await store.propose(input({ runId: 'run-2', vmId: VM.toUpperCase(), target: RPC.toLowerCase() }));
    expect(again).toMatchObject({ created: false, proposal: { id: a.proposal.id, runId: 'run-1' } });
    const other = await store.propose(input({ failureCode: 'Other' }));
    const script = await store.propose(input({ script: 'vss-restart-service@1' }));
    expect(new Set([a.proposal.id, other.proposal.id, script.proposal.id]).size).toBe(3);
    expect((await store.list()).map((p) => p.id).sort()).toEqual([a.proposal.id, other.proposal.id, script.proposal.id].sort());
    expect(await store.list({ status: 'approved' })).toEqual([]);
  });

  test('the evidence is kept redacted', async () => {
    const { proposal } = await store.propose(input());
    const stored = await store.get(proposal.id);
    expect(stored!.evidence.totalPoints).toBe(18);
    expect(JSON.stringify(stored!.evidence)).not.toContain('eyJhbGciOiJIUzI1NiJ9');
  });

  test('decide once: a replay or a second decision is refused with the state', async () => {
    const { proposal } = await store.propose(input());
    const ok = await store.decide(proposal.id, { decision: 'approve', ...who, note: 'change #42' });
    expect(ok).toMatchObject({ ok: true, proposal: { status: 'approved', decidedBy: 'alice@contoso.com', decidedVia: 'request-body', note: 'change #42' } });
    expect(await store.decide(proposal.id, { decision: 'approve', ...who })).toMatchObject({ ok: false, why: 'already-decided', proposal: { status: 'approved' } });
    expect(await store.decide(proposal.id, { decision: 'reject', approver: 'mallory', via: 'request-body' })).toMatchObject({ ok: false, why: 'already-decided' });
    expect(await store.decide('AAAAAAAAAAAAAAAAAAAAAAAA', { decision: 'approve', ...who })).toEqual({ ok: false, why: 'not-found' });
  });

  test('two decisions at once: exactly one wins (ETag)', async () => {
    const { proposal } = await store.propose(input());
    const results = await Promise.all([
      store.decide(proposal.id, { decision: 'approve', ...who }),
      store.decide(proposal.id, { decision: 'reject', approver: 'bob', via: 'request-body' }),
    ]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
  });

  test('expiry: no decision after it; the next propose closes the old one and proposes again', async () => {
    const { proposal } = await store.propose(input());
    clock = new Date(clock.getTime() + 25 * HOUR);
    expect(await store.decide(proposal.id, { decision: 'approve', ...who })).toMatchObject({ ok: false, why: 'expired', proposal: { status: 'expired' } });
    const { proposal: p2 } = await store.propose(input({ runId: 'run-3' }));
    expect(p2.id).not.toBe(proposal.id);
    // An approved one past its expiry is closed by the next propose and reported as such.
    await store.decide(p2.id, { decision: 'approve', ...who });
    clock = new Date(clock.getTime() + 25 * HOUR);
    const next = await store.propose(input({ runId: 'run-4' }));
    expect(next.expired).toMatchObject({ id: p2.id, status: 'expired', closedByRun: 'run-4' });
    expect(next).toMatchObject({ created: true, proposal: { status: 'pending' } });
  });

  test('a rejection stands until it expires: propose returns it, not a new one', async () => {
    const { proposal } = await store.propose(input());
    await store.decide(proposal.id, { decision: 'reject', ...who });
    expect(await store.propose(input())).toMatchObject({ created: false, proposal: { id: proposal.id, status: 'rejected' } });
  });

  test('claim once (approved → executed), record the outcome; close only what is live', async () => {
    const { proposal } = await store.propose(input());
    expect(await store.claim(proposal.id, 'run-9')).toBeUndefined(); // not approved yet
    await store.decide(proposal.id, { decision: 'approve', ...who });
    const claims = await Promise.all([store.claim(proposal.id, 'run-9'), store.claim(proposal.id, 'run-10')]);
    expect(claims.filter(Boolean)).toHaveLength(1);
    await store.recordOutcome(proposal.id, 'applied: deleted');
    expect(await store.get(proposal.id)).toMatchObject({ status: 'executed', outcome: 'applied: deleted' });
    expect(await store.close(proposal.id, 'refused', 'late')).toBeUndefined();
    const { proposal: fresh } = await store.propose(input());
    expect(fresh.id).not.toBe(proposal.id);
    expect(await store.close(fresh.id, 'refused', 'failure resolved', 'run-11')).toMatchObject({ status: 'refused', closedReason: 'failure resolved', closedByRun: 'run-11' });
  });
});

test('the ledger opens the Approvals table next to its others', async () => {
  const prefix = uniquePrefix('lg');
  const ledger = await createLedger({ connectionString: azurite().connectionString, prefix });
  expect(ledger.approvals?.table).toBe(`${prefix}Approvals`);
  expect(await ledger.approvals!.list()).toEqual([]);
});
