import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { classify, JobLike, UNCLASSIFIED } from '../lib/classify';
import { CATALOGUE, catalogueEntry } from '../lib/catalogue';

const detail = (d: { errorCode?: number | string; errorTitle?: string; errorString?: string }): JobLike => ({ errorDetails: [d] });
const SHARED_MESSAGE = 'VMSnapshot extension operation failed';

describe('classify from each kind of signal', () => {
  test.each(CATALOGUE.map((e) => [e.code]))('%s from its symbolic code (as sent, lower case, in the title)', (code) => {
    const entry = catalogueEntry(code)!;
    for (const job of [detail({ errorCode: code }), detail({ errorCode: code.toLowerCase() }), detail({ errorCode: 0, errorTitle: code })]) {
      const c = classify(job);
      expect(c.code).toBe(code);
      expect(c.automation).toBe(entry.automation);
      expect(c.docUrl).toBe(entry.docUrl);
      expect(c.conflicting).toBeUndefined();
    }
  });

  const aliases = CATALOGUE.flatMap((e) => e.aliases.map((a) => [a, e.code] as const));
  test.each(aliases)('alias %s classifies as %s', (alias, code) => {
    const c = classify(detail({ errorCode: alias }));
    expect(c.code).toBe(code);
    expect(c.signals[0]).toEqual({ source: 'errorCode', value: alias, matched: { by: 'symbolic', code } });
  });

  const numerics = CATALOGUE.flatMap((e) => e.numericCodes.map((n) => [n, e.code] as const));
  test.each(numerics)('numeric %d classifies as %s (number and numeric string)', (n, code) => {
    expect(classify(detail({ errorCode: n, errorString: '' })).code).toBe(code);
    const c = classify(detail({ errorCode: ` ${n} ` }));
    expect(c.code).toBe(code);
    expect(c.signals).toEqual([{ source: 'errorCode', value: String(n), matched: { by: 'numeric', code } }]);
  });

  const messages = CATALOGUE.flatMap((e) => e.messages.map((m) => [e.code, m.language, m.text] as const));
  test.each(messages)('%s from its %s message: %s', (code, language, text) => {
    // A message two codes share (the VMSnapshot one, in every language) alone names the code that owns
    // it, the first in catalogue order; the variant needs its code.
    const expected = CATALOGUE.find((e) => e.messages.some((m) => m.text === text))!.code;
    if (text === SHARED_MESSAGE) expect(expected).toBe('ExtensionOperationFailed');
    const c = classify(detail({ errorCode: 987654, errorString: text }));
    expect(c.code).toBe(expected);
    expect(c.signals[0]).toEqual({ source: 'errorString', value: text, matched: { by: 'message', code: expected, language } });
    expect(c.signals[1]).toEqual({ source: 'errorCode', value: '987654' });
  });

  test('every other field carries signals too: dynamicErrorMessage, propertyBag, tasksList, alert', () => {
    expect(classify({ extendedInfo: { dynamicErrorMessage: 'The VM is in failed provisioning state.' } }).code).toBe('UserErrorVmProvisioningStateFailed');
    expect(classify({ extendedInfo: { propertyBag: { 'Error Code': 'ExtensionStuckInDeletionState' } } }).code).toBe('ExtensionStuckInDeletionState');
    expect(classify({ extendedInfo: { tasksList: [{ taskId: 'Take Snapshot', errorCode: 'UserErrorFsFreezeFailed' }] } }).code).toBe('UserErrorFsFreezeFailed');
    const alert = classify({ alert: { code: 'UserErrorBackupOperationInProgress' } });
    expect(alert).toEqual({
      code: 'UserErrorBackupOperationInProgress',
      automation: 'auto',
      docUrl: catalogueEntry('UserErrorBackupOperationInProgress')!.docUrl,
      signals: [{ source: 'alert', value: 'UserErrorBackupOperationInProgress', matched: { by: 'symbolic', code: 'UserErrorBackupOperationInProgress' } }],
    });
  });

  test('recommendations are advice, not evidence', () => {
    const c = classify({ errorDetails: [{ errorString: '', recommendations: ['If this persists see UserErrorGuestAgentStatusUnavailable'] }] });
    expect(c.code).toBe(UNCLASSIFIED);
  });
});

describe('message robustness', () => {
  test('case, whitespace, quotes and trailing punctuation', () => {
    expect(classify(detail({ errorString: '  "the RESTORE point collection   max limit\nhas reached."  ' })).code).toBe('UserErrorRpCollectionLimitReached');
    expect(classify(detail({ errorString: '«Произошла внутренняя ошибка архивации. Повторите операцию через несколько минут».' })).code).toBe('BackUpOperationFailed');
    expect(classify(detail({ errorString: '“Backup failed with an internal error — Please retry the operation in a few minutes.”' })).code).toBe('BackUpOperationFailed');
  });

  test('full-width punctuation variants in zh-TW', () => {
    expect(classify(detail({ errorString: '因為虛擬機器沒有網路連線,所以快照集作業失敗。' })).code).toBe('ExtensionSnapshotFailedNoNetwork');
  });

  test('a message embedded in a longer sentence still matches on word boundaries', () => {
    const c = classify(detail({ errorString: 'Backup of app-01 failed: Snapshot operation failed due to COM+ error. See the job for details.' }));
    expect(c.code).toBe('ExtensionSnapshotFailedCOM');
  });

  test('a message that matches nothing stays Unclassified and is kept as evidence', () => {
    const c = classify(detail({ errorCode: 555000, errorString: 'The snapshot could not be completed.' }));
    expect(c).toEqual({
      code: UNCLASSIFIED,
      automation: 'report-only',
      signals: [
        { source: 'errorString', value: 'The snapshot could not be completed.' },
        { source: 'errorCode', value: '555000' },
      ],
    });
  });

  test('a near miss of a documented message is not a match (never act on a guess)', () => {
    expect(classify(detail({ errorString: 'VMSnapshot extension operation succeeded' })).code).toBe(UNCLASSIFIED);
    expect(classify(detail({ errorString: 'Backup failed with an internal error' })).code).toBe(UNCLASSIFIED);
  });
});

describe('the 2016 message-only form', () => {
  test('English and the Czech translations classify as the timeout entry', () => {
    for (const s of [
      'Could not communicate with the VM agent for snapshot status - Snapshot VM sub task timed out.',
      'could not communicate with the VM agent for snapshot status – snapshot VM sub task timed out',
      'Nelze komunikovat s agentem OM snímek stavu - vypršel časový limit snímek OM dílčí úkol.',
      'Nelze komunikovat s agentem OM snímek stavu - snímek OM dílčí úkol vypršení časového limitu',
    ]) {
      const c = classify(detail({ errorString: s }));
      expect(c.code).toBe('SnapshotVMSubTaskTimedOut');
      expect(c.automation).toBe('report-only');
      expect(c.signals.filter((x) => x.matched)).toHaveLength(1);
    }
  });

  test('the shorter current message alone is GuestAgentSnapshotTaskStatusError', () => {
    expect(classify(detail({ errorString: 'Could not communicate with the VM agent for snapshot status' })).code).toBe('GuestAgentSnapshotTaskStatusError');
  });
});

describe('substrings and look-alikes', () => {
  test('ExtensionOperationFailedForManagedDisks is its own code, never ExtensionOperationFailed', () => {
    const c = classify(detail({ errorCode: 'ExtensionOperationFailedForManagedDisks', errorString: 'VMSnapshot extension operation failed' }));
    expect(c.code).toBe('ExtensionOperationFailedForManagedDisks');
    expect(c.conflicting).toBeUndefined();
    expect(c.signals).toEqual([
      { source: 'errorCode', value: 'ExtensionOperationFailedForManagedDisks', matched: { by: 'symbolic', code: 'ExtensionOperationFailedForManagedDisks' } },
      { source: 'errorString', value: 'VMSnapshot extension operation failed', matched: { by: 'message', code: 'ExtensionOperationFailed', language: 'en' } },
    ]);
  });

  test('a code inside a longer identifier is not that code', () => {
    expect(classify(detail({ errorTitle: 'ExtensionOperationFailedWhileCopying' })).code).toBe(UNCLASSIFIED);
    expect(classify(detail({ errorTitle: 'PreUserErrorRpCollectionLimitReached' })).code).toBe(UNCLASSIFIED);
    expect(classify(detail({ errorTitle: 'UserErrorSomethingNew' })).code).toBe(UNCLASSIFIED);
  });

  test('a code next to punctuation is still found', () => {
    expect(classify(detail({ errorString: 'Error (UserErrorRpCollectionLimitReached): cleanup blocked' })).code).toBe('UserErrorRpCollectionLimitReached');
    expect(classify(detail({ errorString: 'code=BackUpOperationFailedV2;' })).code).toBe('BackUpOperationFailed');
  });
});

describe('conflicts and absence', () => {
  test('two different codes are Unclassified with both named', () => {
    const c = classify({ errorDetails: [{ errorCode: 'UserErrorRpCollectionLimitReached' }, { errorCode: 'ExtensionOperationFailed' }] });
    expect(c.code).toBe(UNCLASSIFIED);
    expect(c.automation).toBe('report-only');
    expect(c.conflicting).toEqual(['UserErrorRpCollectionLimitReached', 'ExtensionOperationFailed']);
    expect(c.docUrl).toBeUndefined();
  });

  test('a numeric code against a symbolic one conflicts', () => {
    const c = classify(detail({ errorCode: 380008, errorTitle: 'UserErrorGuestAgentStatusUnavailable' }));
    expect(c.code).toBe(UNCLASSIFIED);
    expect(c.conflicting).toEqual(['UserErrorGuestAgentStatusUnavailable', 'AzureVmOffline']);
  });

  test('the variant\'s code against another entry\'s message conflicts', () => {
    const c = classify(detail({ errorCode: 'ExtensionOperationFailedForManagedDisks', errorString: 'The VM is in failed provisioning state' }));
    expect(c.conflicting).toEqual(['ExtensionOperationFailedForManagedDisks', 'UserErrorVmProvisioningStateFailed']);
  });

  test('aliases and V2 forms of one code do not conflict with each other', () => {
    const c = classify({
      errorDetails: [{ errorCode: 'BackUpOperationFailedV2', errorTitle: 'BackUpOperationFailed', errorString: 'Backup failed with an internal error - Please retry the operation in a few minutes' }],
      alert: { code: 'backupoperationfailed' },
    });
    expect(c.code).toBe('BackUpOperationFailed');
    expect(c.signals.map((s) => s.matched?.by)).toEqual(['symbolic', 'symbolic', 'symbolic', 'message']);
  });

  test.each([
    ['no errorDetails', {}],
    ['empty errorDetails', { errorDetails: [] }],
    ['blank strings', { errorDetails: [{ errorCode: '', errorTitle: ' ', errorString: '' }] }],
  ])('%s is Unclassified with no signals', (_name, job) => {
    expect(classify(job as JobLike)).toEqual({ code: UNCLASSIFIED, automation: 'report-only', signals: [] });
  });

  test('malformed input never throws', () => {
    for (const junk of [null, undefined, 42, 'x', { errorDetails: 'nope' }, { errorDetails: [null, 7] }, { extendedInfo: { propertyBag: null, tasksList: 'x' } }, { alert: 5 }]) {
      expect(classify(junk as unknown as JobLike).code).toBe(UNCLASSIFIED);
    }
  });

  test('an unknown error code beside a known one is Unclassified: one of the job\'s errors is not understood', () => {
    const c = classify({ errorDetails: [{ errorCode: 'ExtensionOperationFailed' }, { errorCode: 'UserErrorSomethingNew', errorString: 'Something new went wrong' }] });
    expect(c.code).toBe(UNCLASSIFIED);
    expect(c.automation).toBe('report-only');
    expect(c.signals).toContainEqual({ source: 'errorCode', value: 'UserErrorSomethingNew' });
    // The same in one detail: the service's own code is unknown even though the message is a known one.
    expect(classify(detail({ errorCode: 'UserErrorSomethingNew', errorString: 'VMSnapshot extension operation failed' })).code).toBe(UNCLASSIFIED);
  });

  test('unknown code UserErrorSomethingNew is Unclassified and kept as evidence', () => {
    expect(classify(detail({ errorCode: 'UserErrorSomethingNew' }))).toEqual({
      code: UNCLASSIFIED,
      automation: 'report-only',
      signals: [{ source: 'errorCode', value: 'UserErrorSomethingNew' }],
    });
  });
});

describe('job fixtures', () => {
  const dir = join(__dirname, 'fixtures', 'jobs');
  const fixtures = readdirSync(dir).filter((f) => f.endsWith('.json'));

  test('the fixture set is present', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(9);
  });

  test.each(fixtures)('%s', (file) => {
    const fx = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { expect: string; conflicting?: string[]; job: JobLike };
    const c = classify(fx.job);
    expect(c.code).toBe(fx.expect);
    if (fx.conflicting) expect(c.conflicting).toEqual(fx.conflicting);
    if (fx.expect !== UNCLASSIFIED) expect(c.automation).toBe(catalogueEntry(fx.expect)!.automation);
  });
});
