// The guest script catalogue (lib/guest/scripts.ts): every script file is exactly the reviewed bytes
// of its version, starts with its header line, takes no parameters, and addresses only codes of the
// error catalogue. Changing a script means a new version and a new pinned hash below (append only).
import { readFileSync } from 'fs';
import { join } from 'path';
import { catalogueEntry } from '../lib/catalogue';
import { GUEST_FIXABLE_CODES } from '../lib/catalogue/guest';
import { causeSeen } from '../lib/guest/cause';
import { runCatalogueScript } from '../lib/guest/run-command';
import { scriptLines, scriptsFolder, sha256Of } from '../lib/guest/script-text';
import { WRITER_SERVICES } from '../emulator/guest';
import { fixScriptFor, GUEST_FIX_CODES, GUEST_SCRIPTS, guestScript, headerLine, scriptRef, type GuestScript } from '../lib/guest/scripts';

/**
 * The reviewed versions: `<id>@<version>` → sha256 of the file. Append a line for a new version; never
 * edit one (a script changed under the same version fails here even if its catalogue hash is updated).
 */
const REVIEWED: Record<string, string> = {
  'windows-guest-diagnose@1': 'f1de870512b02f1ec854b063cc0a184117ca8d413f560059881ca5a83efd895f',
  'vss-restart-writer-services@1': '1121ccd502d9bdda23d373b7c83f39ef7da9ce3cb641be7b06c313963e11c20c',
  'vss-restart-service@1': '0d6b9fed5ef6fe0bb5da6ae68a38d321785d5ea91d06e28788efd91d38273486',
  'complus-restart@1': 'f486851435eb6336c9f78261b704fb4d1d2536cf7c3b323754028e08916a4f8c',
  'snapshot-registry-set@1': '2e088b62809c506c15d292a634e71c9e0f7e7408636135db3b2c1e8a06a37c52',
  'linux-guest-diagnose@1': 'a9fa384c6f573e13cdf79ffbfac9bd1c6b59bfd435a8b441ba4f967b526748b9',
};

const text = (s: GuestScript) => readFileSync(join(scriptsFolder(), s.file), 'utf8');
const byId = GUEST_SCRIPTS.map((s) => [scriptRef(s), s] as const);

describe('the guest script catalogue', () => {
  it('has the six scripts of the contract, version 1 each, ids unique', () => {
    expect(GUEST_SCRIPTS.map(scriptRef).sort()).toEqual(Object.keys(REVIEWED).sort());
    expect(new Set(GUEST_SCRIPTS.map((s) => s.id)).size).toBe(GUEST_SCRIPTS.length);
  });

  test.each(byId)('%s: the file hashes to the catalogue entry and to its reviewed version', (ref, s) => {
    const bytes = readFileSync(join(scriptsFolder(), s.file));
    expect(sha256Of(bytes)).toBe(s.sha256);
    expect(REVIEWED[ref]).toBe(s.sha256);
  });

  test.each(byId)('%s: starts with its header line, LF endings, the right shell and command', (_ref, s) => {
    const t = text(s);
    expect(t.split('\n')[0]).toBe(headerLine(s));
    expect(t).not.toContain('\r');
    expect(s.file.endsWith(s.os === 'Windows' ? '.ps1' : '.sh')).toBe(true);
    expect(s.commandId).toBe(s.os === 'Windows' ? 'RunPowerShellScript' : 'RunShellScript');
    expect(scriptLines(s)[0]).toBe(headerLine(s));
  });

  test.each(byId)('%s: takes no parameters and prints its own id in its JSON', (ref, s) => {
    const t = text(s);
    if (s.os === 'Windows') {
      expect(t).not.toMatch(/^\s*param\s*\(/im); // no script-level param block
      expect(t).not.toMatch(/\$args\b/i);
      expect(t).toContain(`script = '${ref}'`);
    } else {
      expect(t).not.toMatch(/\$[0-9@*#]/); // no positional parameters
      expect(t).toContain(`"script":"${ref}"`);
    }
  });

  test.each(byId)('%s: codes are catalogue codes, a fix names a diagnostic of its OS', (_ref, s) => {
    for (const code of s.codes) expect(catalogueEntry(code)?.code).toBe(code);
    expect(s.docUrl).toMatch(/^https:\/\/learn\.microsoft\.com\/azure\/backup\/[a-z-]+#[a-z0-9-]+$/);
    if (s.purpose === 'fix') for (const code of s.codes) expect(s.docUrl).toBe(catalogueEntry(code)!.docUrl); // the code's own article section
    if (s.purpose === 'fix') {
      const d = guestScript(s.diagnostic ?? '');
      expect(d?.purpose).toBe('diagnostic');
      expect(d?.os).toBe(s.os);
      expect(s.codes.length).toBeGreaterThan(0);
      expect(d?.codes).toEqual(expect.arrayContaining([...s.codes]));
    } else {
      expect(s.changes).toMatch(/^nothing/);
    }
  });

  it('the codes with a fix script are exactly the catalogue entries that list run-guest-fix', () => {
    expect([...GUEST_FIX_CODES].sort()).toEqual([...GUEST_FIXABLE_CODES].sort());
    for (const code of GUEST_FIX_CODES) {
      expect(fixScriptFor(code, 'Windows')).toBeDefined();
      expect(fixScriptFor(code, 'Linux')).toBeUndefined();
      expect(fixScriptFor(code.toUpperCase(), 'Windows')).toBe(fixScriptFor(code, 'Windows'));
    }
  });

  it('the registry script writes exactly the documented values under the documented key', () => {
    const t = text(guestScript('snapshot-registry-set')!);
    expect(t).toContain("$key = 'HKLM:\\SOFTWARE\\Microsoft\\BcdrAgentPersistentKeys'");
    expect(t).toContain("SnapshotMethod = 'firstHostThenGuest'; CalculateSnapshotTimeFromHost = 'True'; SnapshotWithoutThreads = 'True'");
    expect(t).toContain('-PropertyType String'); // REG_SZ, as the article's REG ADD /t REG_SZ
  });

  it('the VSS scripts use the documented commands and services', () => {
    expect(text(guestScript('windows-guest-diagnose')!)).toContain('vssadmin list writers');
    expect(text(guestScript('vss-restart-writer-services')!)).toContain('vssadmin list writers');
    expect(text(guestScript('vss-restart-service')!)).toContain("Restart-Service -Name 'VSS'");
    expect(text(guestScript('complus-restart')!)).toContain("@('MSDTC', 'COMSysApp')");
  });

  it('a file that differs from its reviewed bytes is never loaded', () => {
    const s = guestScript('vss-restart-service')!;
    expect(() => scriptLines({ ...s, sha256: '0'.repeat(64) }, scriptsFolder())).toThrow(/does not match the reviewed vss-restart-service@1/);
  });

  it('the Run Command client refuses anything that is not a catalogue entry', async () => {
    const lookAlike = { ...guestScript('vss-restart-service')! };
    await expect(runCatalogueScript({} as never, { subscriptionId: 's', resourceGroup: 'r', name: 'v', id: 'x' }, lookAlike)).rejects.toThrow(/not in the guest script catalogue/);
  });

  it('every fix script has a cause check that a healthy guest clears', () => {
    const healthy = {
      script: 'windows-guest-diagnose@1',
      writers: [{ name: 'SqlServerWriter', state: 'Stable', lastError: 'No error', service: 'SQLWriter' }],
      services: { VSS: 'Running', COMSysApp: 'Running', MSDTC: 'Running' },
      registry: { SnapshotMethod: 'firstHostThenGuest', CalculateSnapshotTimeFromHost: 'True', SnapshotWithoutThreads: 'True' },
    };
    for (const s of GUEST_SCRIPTS.filter((x) => x.purpose === 'fix')) {
      expect(causeSeen(s, healthy)).toBeUndefined();
      expect(causeSeen(s, undefined)).toBeDefined();
    }
    const fix = (id: string) => guestScript(id)!;
    expect(causeSeen(fix('vss-restart-writer-services'), { ...healthy, writers: [{ name: 'SqlServerWriter', state: 'Failed', lastError: 'Timed out', service: 'SQLWriter' }] })).toMatch(/SqlServerWriter \(Failed\)/);
    expect(causeSeen(fix('vss-restart-service'), { ...healthy, services: { ...healthy.services, VSS: 'Stopped' } })).toMatch(/VSS service is Stopped/);
    expect(causeSeen(fix('complus-restart'), { ...healthy, services: { VSS: 'Running', COMSysApp: 'Stopped' } })).toMatch(/COMSysApp \(Stopped\), MSDTC \(not reported\)/);
    expect(causeSeen(fix('snapshot-registry-set'), { ...healthy, registry: { SnapshotMethod: null } })).toMatch(/SnapshotMethod, CalculateSnapshotTimeFromHost, SnapshotWithoutThreads/);
  });
});

describe('the fixed VSS writer -> service map', () => {
  // Each script is sent alone (Run Command runs one self-contained text), so the diagnostic and the
  // writer fix each carry the map, and the emulator models it: the three must say the same.
  function mapIn(file: string): Record<string, string> {
    const text = readFileSync(join(scriptsFolder(), file), 'utf8');
    const body = /\$writerServices = @\{([\s\S]*?)\n\}/.exec(text)?.[1];
    expect(body).toBeDefined();
    const pairs = [...body!.matchAll(/'([^']+)'\s*=\s*'([^']+)'/g)].map((m) => [m[1], m[2]] as const);
    expect(pairs.length).toBeGreaterThan(5);
    return Object.fromEntries(pairs);
  }

  test('windows-guest-diagnose.ps1, vss-restart-writer-services.ps1 and the emulator use one map', () => {
    const fix = mapIn('vss-restart-writer-services.ps1');
    expect(mapIn('windows-guest-diagnose.ps1')).toEqual(fix);
    expect(WRITER_SERVICES).toEqual(fix);
  });
});
