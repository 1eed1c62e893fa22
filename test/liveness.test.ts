// When a run is dead: its process gone on this host, or no heartbeat for longer than the staleness
// bound (wall time). A live process on this host, or a fresh heartbeat, never is.
import { spawnSync } from 'node:child_process';
import { hostIdentity as hostname } from '../lib/ledger/host';
import { deadRunReason, STALE_AFTER_MS, writeNotes } from '../lib/ledger/liveness';

const now = Date.now();

test('a run whose process on this host is gone is dead at once', () => {
  const pid = spawnSync(process.execPath, ['-e', '0']).pid!;
  expect(deadRunReason({ runId: 'r', host: hostname(), pid, heartbeatAt: new Date(now) }, now)).toMatch(new RegExp(`process ${pid} on .* no longer exists`));
});

test('this process, or a live one, with a fresh heartbeat is alive', () => {
  expect(deadRunReason({ runId: 'r', host: hostname(), pid: process.pid, heartbeatAt: new Date(now) }, now)).toBeUndefined();
  expect(deadRunReason({ runId: 'r', host: 'elsewhere', pid: 1, heartbeatAt: new Date(now - STALE_AFTER_MS + 1000) }, now)).toBeUndefined();
});

test('another host: dead only once the heartbeat is stale', () => {
  expect(deadRunReason({ runId: 'r', host: 'elsewhere', pid: 1, heartbeatAt: new Date(now - STALE_AFTER_MS - 1000) }, now)).toMatch(/^no heartbeat since /);
});

test('write notes: sent and answered, sent and never answered; not-sent rows are not writes', () => {
  const action = { kind: 'trigger-backup' as const, target: '/x/pi', method: 'POST' as const, reason: '', evidence: {} };
  const at = new Date('2026-11-20T06:00:00Z');
  expect(writeNotes([
    { runId: 'r', vmId: 'vm', at, phase: 'answered', action: { ...action, status: 'applied' } },
    { runId: 'r', vmId: 'vm', at, phase: 'intent', requestedAt: at, action },
    { runId: 'r', vmId: 'vm', at, phase: 'not-sent', action: { ...action, status: 'skipped' } },
  ]).map((n) => n.reason)).toEqual([
    'wrote POST /x/pi (trigger-backup): applied',
    'sent POST /x/pi (trigger-backup) at 2026-11-20T06:00:00.000Z; no answer was recorded: the run stopped before it came back',
  ]);
});
