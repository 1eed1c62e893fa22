// Redaction: what looks like a credential never leaves the process, and no input makes it slow.

import { looksSecret, redact, REDACTED } from '../lib/redact';

describe('redact', () => {
  it.each([
    ['URL userinfo', 'ARM_ENDPOINT https://admin:hunter2@arm.example.com/ is invalid', 'hunter2'],
    ['connection-string AccountKey', 'DefaultEndpointsProtocol=https;AccountName=sa;AccountKey=S3cr3tAccountKey==;EndpointSuffix=core.windows.net', 'S3cr3tAccountKey'],
    ['SAS signature', 'https://sa.blob.core.windows.net/c?sv=2022-11-02&sig=SECRETSIG123%3D&se=2026', 'SECRETSIG123'],
    ['bearer token', 'Authorization: Bearer abcdefghijklmnop.qrstu', 'abcdefghijklmnop'],
    ['JWT', 'token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl', 'eyJhbGciOiJIUzI1NiJ9'],
    ['JSON password field', '{"password":"hunter2","user":"x"}', 'hunter2'],
    ['JSON client secret with an escaped quote', '{"clientSecret":"hun\\"ter2"}', 'ter2'],
    ['function key in a URL', 'https://app.azurewebsites.net/api/alerts?code=FuNcTiOnKeY123', 'FuNcTiOnKeY123'],
    ['storage account key', `key ${'A'.repeat(86)}==`, 'A'.repeat(86)],
  ])('%s', (_name, text, secret) => {
    const out = redact(text);
    expect(out).not.toContain(secret);
    expect(out).toContain(REDACTED);
    expect(looksSecret(text)).toBe(true);
    expect(looksSecret(out)).toBe(false);
  });

  it('leaves ordinary text alone', () => {
    const text = '/subscriptions/11111111-1111-4111-8111-111111111111/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm-a: {"signals":["x"],"code":"UserErrorX"}';
    expect(redact(text)).toBe(text);
    expect(looksSecret(text)).toBe(false);
  });

  it('stays linear on long hostile strings (a 1 MB run of each shape finishes within the test timeout)', () => {
    for (const unit of ['u0001', 'a', 'https://', '"x', 'eyJ', 'a=b;', '@']) redact(unit.repeat(Math.ceil(1_000_000 / unit.length)));
  });
});
