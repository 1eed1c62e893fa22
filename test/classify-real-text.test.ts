// Real service text arrives wrapped: relay codes in front, recommendations and activity ids behind,
// compatibility characters inside. Classification reads the message core and treats advice as advice.
import { classify, UNCLASSIFIED } from '../lib/classify';
import { isRelayCode, normalizeServiceText, splitServiceText } from '../lib/catalogue/service-text';

const detail = (d: { errorCode?: number | string; errorTitle?: string; errorString?: string; recommendations?: string[] }) => ({ errorDetails: [d] });

describe('service text: the message core', () => {
  test('relay prefixes are cut off and kept as leading codes', () => {
    expect(splitServiceText('OperationNotAllowed : The Restore Point collection max limit has reached.')).toEqual({
      core: 'The Restore Point collection max limit has reached.', leadingCodes: ['OperationNotAllowed'], trailer: '',
    });
    expect(splitServiceText('(UserErrorKeyVaultPermissionsNotConfigured) Azure Backup Service does not have sufficient permissions').leadingCodes)
      .toEqual(['UserErrorKeyVaultPermissionsNotConfigured']);
    expect(splitServiceText('UserErrorVmProvisioningStateFailed - The VM is in failed provisioning state').core).toBe('The VM is in failed provisioning state');
  });

  test('trailing advice and bookkeeping are cut off, in the catalogue languages', () => {
    expect(splitServiceText('Snapshot operation failed due to COM+ error Recommended Action: Please restart windows service').core).toBe('Snapshot operation failed due to COM+ error');
    expect(splitServiceText('VMSnapshot extension operation failed. Activity ID: 1f2e-33').trailer).toBe('Activity ID: 1f2e-33');
    expect(splitServiceText('dosáhlo se maximálního limitu kolekce bodů obnovení. Doporučená akce: odeberte zámek').core).toBe('dosáhlo se maximálního limitu kolekce bodů obnovení.');
  });

  test('compatibility forms, typographic quotes and invisible characters fold', () => {
    expect(normalizeServiceText('\u201cThe\u00a0VM\u200b is in failed provisioning state\u201d\uff0e')).toBe('"The VM is in failed provisioning state".');
  });

  test('relay codes are wrappers, not failure codes', () => {
    expect(isRelayCode(' operationnotallowed ')).toBe(true);
    expect(isRelayCode('UserErrorSomethingNew')).toBe(false);
  });
});

describe('classification of wrapped text', () => {
  test('a relay errorCode does not make a documented message Unclassified', () => {
    const c = classify(detail({ errorCode: 'OperationNotAllowed', errorString: 'The number of restore points across restore point collections and resource groups for a VM cannot exceed 18.' }));
    expect(c.code).toBe('UserErrorRpCollectionLimitReached');
  });

  test('a sentence of advice quoting another message is not a second signal', () => {
    const c = classify(detail({ errorString: 'VMSnapshot extension operation failed. Recommended action: if the message says the VM is in failed provisioning state, fix the extension first.' }));
    expect(c.code).toBe('ExtensionOperationFailed');
    expect(c.conflicting).toBeUndefined();
  });

  test('codes in advice corroborate: they confirm, contradict, but never decide alone', () => {
    const agree = classify(detail({ errorString: 'Snapshot operation failed due to COM+ error', recommendations: ['See ExtensionSnapshotFailedCOM in the docs'] }));
    expect(agree.code).toBe('ExtensionSnapshotFailedCOM');
    expect(agree.signals.map((s) => s.source)).toEqual(['errorString', 'recommendation']);
    const contradict = classify(detail({ errorString: 'Snapshot operation failed due to COM+ error', recommendations: ['Related: UserErrorRpCollectionLimitReached'] }));
    expect(contradict.code).toBe(UNCLASSIFIED);
    expect(contradict.conflicting).toEqual(['ExtensionSnapshotFailedCOM', 'UserErrorRpCollectionLimitReached']);
    expect(classify(detail({ errorString: 'Something else. Recommended action: see UserErrorFsFreezeFailed' })).code).toBe(UNCLASSIFIED);
  });

  test('an undocumented integer never blocks a message; a documented one decides alone', () => {
    expect(classify(detail({ errorCode: 400236, errorString: 'VM is in Failed Provisioning State' })).code).toBe('UserErrorVmProvisioningStateFailed');
    expect(classify(detail({ errorCode: 320001 })).code).toBe('ResourceNotFound');
    expect(classify(detail({ errorCode: 400236 })).code).toBe(UNCLASSIFIED);
  });

  test('distinctive phrases and older wordings, any casing', () => {
    expect(classify(detail({ errorString: 'Backup pre-check: the VM AGENT is not responsive.' })).code).toBe('GuestAgentSnapshotTaskStatusError');
    expect(classify(detail({ errorString: 'snapshot operation failed due to vss writers in bad state' })).code).toBe('ExtensionFailedVssWriterInBadState');
    expect(classify(detail({ errorString: 'The specified disk configuration is not supported.' })).code).toBe('UserErrorUnsupportedDiskSize');
    // A fragment that is not distinctive stays unread.
    expect(classify(detail({ errorString: 'Backup failed with an internal error' })).code).toBe(UNCLASSIFIED);
  });
});
