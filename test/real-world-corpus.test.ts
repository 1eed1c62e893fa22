// Real failure texts from public sources (test/fixtures/real-world-failures.json, each cited), classified
// twice: as they appeared (with the code the reporter saw) and message-only (the code removed, errorCode
// an integer nobody documented, as a REST client sees it). Then each classification goes through the
// real planner against a VM where every write would be possible, to count the writes it would propose.
import { readFileSync } from 'fs';
import { join } from 'path';
import { classify, UNCLASSIFIED, type JobLike } from '../lib/classify';
import { CATALOGUE, catalogueEntry } from '../lib/catalogue';
import { planItem } from '../lib/plan';
import type { Candidate } from '../lib/discover/types';
import type { Diagnosis } from '../lib/diagnose';
import type { ActionKind, Classification } from '../lib/types';

interface Case {
  id: string;
  source: string;
  kind: string;
  language: string;
  job: JobLike;
  expect: string;
  messageOnlyExpect?: string;
}

const corpus = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'real-world-failures.json'), 'utf8')) as { cases: Case[] };
const UNKNOWN_NUMBER = 987001;
const CODE_NAMES = CATALOGUE.flatMap((e) => [e.code, ...e.aliases]).sort((a, b) => b.length - a.length);

/** The same failure without its symbolic code: errorCode an undocumented integer, code names cut from the texts. */
function messageOnly(job: JobLike): JobLike {
  const strip = (s?: string) => {
    if (typeof s !== 'string') return s;
    let out = s;
    for (const name of CODE_NAMES) out = out.replace(new RegExp(`(?<![A-Za-z0-9_])${name}(?:V2)?(?![A-Za-z0-9_])`, 'gi'), '');
    return out;
  };
  return {
    errorDetails: (job.errorDetails ?? []).map((d) => ({
      errorCode: UNKNOWN_NUMBER,
      errorTitle: strip(d.errorTitle),
      errorString: strip(d.errorString),
      recommendations: d.recommendations?.map((r) => strip(r)!),
    })),
  };
}

// A VM on which every documented write is possible: agent Ready, running, a failed VMSnapshot
// extension, 18 restore points in its own collection, no locks, one protected item.
const SUB = '11111111-1111-1111-1111-111111111111';
const VM = `/subscriptions/${SUB}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/web1`;
const VAULT = `/subscriptions/${SUB}/resourceGroups/rg-bkp/providers/Microsoft.RecoveryServices/vaults/rsv1`;
const ITEM = `${VAULT}/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainerv2;rg-app;web1/protectedItems/VM;iaasvmcontainerv2;rg-app;web1`;
const candidate: Candidate = { vmId: VM, jobId: `${VAULT}/backupJobs/job-1`, vaultId: VAULT, protectedItemId: ITEM, job: { status: 'Failed', operation: 'Backup' }, inProgress: false };
const diagnosis: Diagnosis = {
  vm: { id: VM, exists: true, name: 'web1', resourceGroup: 'rg-app', subscriptionId: SUB, tags: {}, rgTags: {}, powerState: 'running', provisioningState: 'Failed', os: 'Windows' },
  agent: { status: 'Ready', version: '2.7.41491.1102' },
  snapshotExtension: { id: `${VM}/extensions/VMSnapshot`, name: 'VMSnapshot', type: 'VMSnapshot', publisher: 'Microsoft.Azure.RecoveryServices', provisioningState: 'Failed', source: 'extensions-list' },
  collections: [{
    id: `/subscriptions/${SUB}/resourceGroups/AzureBackupRG_westeurope_1/providers/Microsoft.Compute/restorePointCollections/AzureBackup_web1`,
    name: 'AzureBackup_web1', resourceGroup: 'AzureBackupRG_westeurope_1', sourceId: VM, pointCount: 18, locks: [],
  }],
  totalPoints: 18,
  protectedItems: [ITEM],
  backupInProgress: false,
  readErrors: [],
};
const ALL: ActionKind[] = ['remove-snapshot-extension', 'delete-restore-point-collection', 'trigger-backup'];

function writesFor(c: Classification): ActionKind[] {
  const item = planItem(candidate, c, diagnosis, catalogueEntry(c.code), {
    subscriptions: [SUB], resourceGroups: [], allowedActions: ALL, optInCodes: [], backupRetentionDays: 30, now: new Date('2026-11-20T06:00:00Z'),
  });
  return item.actions.map((a) => a.kind);
}

/** What the planner would write had the failure been read right. */
function rightWrites(code: string): ActionKind[] {
  if (code === UNCLASSIFIED) return [];
  const e = catalogueEntry(code)!;
  return writesFor({ code: e.code, signals: [], automation: e.automation, docUrl: e.docUrl });
}

const results = corpus.cases.map((k) => {
  const asAppeared = classify(k.job);
  const msgOnly = classify(messageOnly(k.job));
  const expectedMsgOnly = k.messageOnlyExpect ?? k.expect;
  return {
    k,
    asAppeared,
    msgOnly,
    expectedMsgOnly,
    rightAsAppeared: asAppeared.code === k.expect,
    rightMsgOnly: msgOnly.code === expectedMsgOnly,
    writesAsAppeared: writesFor(asAppeared),
    writesMsgOnly: writesFor(msgOnly),
  };
});

describe('real-world failure corpus', () => {
  test('holds at least 40 cited cases in several languages, from several kinds of source', () => {
    expect(corpus.cases.length).toBeGreaterThanOrEqual(40);
    expect(new Set(corpus.cases.map((k) => k.id)).size).toBe(corpus.cases.length);
    for (const k of corpus.cases) expect(k.source.length).toBeGreaterThan(10);
    expect(new Set(corpus.cases.map((k) => k.language)).size).toBeGreaterThanOrEqual(5);
    expect(new Set(corpus.cases.map((k) => k.kind)).size).toBeGreaterThanOrEqual(4);
    for (const k of corpus.cases) if (k.expect !== UNCLASSIFIED) expect(catalogueEntry(k.expect)?.code).toBe(k.expect);
  });

  test('classifies at least 90% right as it appeared and message-only; prints the figures', () => {
    const n = results.length;
    const right1 = results.filter((r) => r.rightAsAppeared).length;
    const right2 = results.filter((r) => r.rightMsgOnly).length;
    const misses = results.filter((r) => !r.rightAsAppeared || !r.rightMsgOnly)
      .map((r) => `${r.k.id}: as appeared ${r.asAppeared.code} (want ${r.k.expect}), message-only ${r.msgOnly.code} (want ${r.expectedMsgOnly})`);
    // eslint-disable-next-line no-console
    console.log([
      `real-world corpus: ${n} cases`,
      `  as appeared:  ${right1}/${n} right (${((100 * right1) / n).toFixed(1)}%)`,
      `  message-only: ${right2}/${n} right (${((100 * right2) / n).toFixed(1)}%)`,
      ...misses.map((m) => `  miss ${m}`),
    ].join('\n'));
    expect(right1 / n).toBeGreaterThanOrEqual(0.9);
    expect(right2 / n).toBeGreaterThanOrEqual(0.9);
  });

  test('no write a human would not make from a message-only match', () => {
    const wrong = results.filter((r) => r.writesMsgOnly.some((w) => !rightWrites(r.k.expect).includes(w)))
      .map((r) => `${r.k.id}: ${r.msgOnly.code} would ${r.writesMsgOnly.join('+')}`);
    expect(wrong).toEqual([]);
  });

  test('no write on anything Unclassified, in either form', () => {
    const unclassified = results.flatMap((r) => [
      ...(r.asAppeared.code === UNCLASSIFIED ? [r.writesAsAppeared] : []),
      ...(r.msgOnly.code === UNCLASSIFIED ? [r.writesMsgOnly] : []),
    ]);
    expect(unclassified.length).toBeGreaterThan(5);
    expect(unclassified.filter((w) => w.length > 0)).toEqual([]);
  });

  test('the harness can fail: a right auto classification does propose writes on this VM', () => {
    expect(rightWrites('BackUpOperationFailed')).toEqual(expect.arrayContaining(['trigger-backup']));
    expect(rightWrites('UserErrorRpCollectionLimitReached')).toContain('delete-restore-point-collection');
  });
});
