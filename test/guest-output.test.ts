// Reading what Run Command answered for a catalogue script (lib/guest/output.ts): the Windows and
// Linux result shapes, the script's JSON line validated, bad or foreign JSON refused with a reason,
// huge output clipped and anything secret-looking redacted.
import { clipOutput, OUTPUT_CLIP_CHARS, parseScriptJson, scriptEvidence, splitOutput } from '../lib/guest/output';
import { guestScript } from '../lib/guest/scripts';

const diag = guestScript('windows-guest-diagnose')!;
const linux = guestScript('linux-guest-diagnose')!;
const fix = guestScript('vss-restart-writer-services')!;

const DIAG_JSON = JSON.stringify({
  script: 'windows-guest-diagnose@1',
  writers: [{ name: 'SqlServerWriter', state: 'Failed', lastError: 'Timed out', service: 'SQLWriter' }, { name: 'System Writer', state: 'Stable', lastError: 'No error', service: 'CryptSvc' }],
  services: { VSS: 'Running', COMSysApp: 'Running', MSDTC: 'Running', SQLWriter: 'Running' },
  registry: { SnapshotMethod: null, CalculateSnapshotTimeFromHost: null, SnapshotWithoutThreads: null },
});

function windows(stdout: string, stderr = '') {
  return [
    { code: 'ComponentStatus/StdOut/succeeded', level: 'Info', displayStatus: 'Provisioning succeeded', message: stdout },
    { code: 'ComponentStatus/StdErr/succeeded', level: 'Info', displayStatus: 'Provisioning succeeded', message: stderr },
  ];
}
function linuxShape(stdout: string, stderr = '') {
  return [{ code: 'ProvisioningState/succeeded', level: 'Info', displayStatus: 'Provisioning succeeded', message: `Enable succeeded: \n[stdout]\n${stdout}\n[stderr]\n${stderr}` }];
}

describe('Run Command result shapes', () => {
  it('Windows: stdout and stderr from their two statuses', () => {
    expect(splitOutput(windows('a\nb', 'warn'))).toEqual({ shape: 'windows', stdout: 'a\nb', stderr: 'warn' });
  });

  it('Linux: stdout and stderr out of the one provisioning message', () => {
    expect(splitOutput(linuxShape('{"x":1}', 'oops'))).toEqual({ shape: 'linux', stdout: '{"x":1}', stderr: 'oops' });
    expect(splitOutput(linuxShape('', ''))).toEqual({ shape: 'linux', stdout: '', stderr: '' });
  });

  it('anything else is kept as unknown output, never guessed into a shape', () => {
    expect(splitOutput([{ code: 'Something/else', message: 'hello' }])).toEqual({ shape: 'unknown', stdout: 'hello', stderr: '' });
    expect(splitOutput([])).toEqual({ shape: 'unknown', stdout: '', stderr: '' });
  });
});

describe('the script JSON line', () => {
  it('a Windows diagnostic: the last non-empty line, validated', () => {
    const ev = scriptEvidence(diag, windows(`noise before\r\n${DIAG_JSON}\r\n\r\n`));
    expect(ev.problem).toBeUndefined();
    expect(ev.script).toBe('windows-guest-diagnose@1');
    expect(ev.output).toEqual(JSON.parse(DIAG_JSON));
  });

  it('a Linux diagnostic and a fix', () => {
    const l = scriptEvidence(linux, linuxShape('{"script":"linux-guest-diagnose@1","services":{"walinuxagent":"active"}}'));
    expect(l.output).toEqual({ script: 'linux-guest-diagnose@1', services: { walinuxagent: 'active' } });
    const f = scriptEvidence(fix, windows('{"script":"vss-restart-writer-services@1","changed":["restarted SQLWriter"],"skipped":[],"failed":[]}'));
    expect(f.output).toEqual({ script: 'vss-restart-writer-services@1', changed: ['restarted SQLWriter'], skipped: [], failed: [] });
  });

  it.each([
    ['nothing printed', '', /printed nothing/],
    ['not JSON', 'Writer name: SqlServerWriter', /not JSON/],
    ['JSON of another shape', '{"script":"windows-guest-diagnose@1","writers":"all fine"}', /expected shape/],
    ['JSON naming another script', DIAG_JSON.replace('windows-guest-diagnose@1', 'windows-guest-diagnose@2'), /names script windows-guest-diagnose@2/],
    ['an unknown script answering like a fix', '{"script":"evil@1","changed":[]}', /expected shape|names script evil@1/],
  ])('%s: a problem, no output', (_what, stdout, problem) => {
    const ev = scriptEvidence(diag, windows(stdout));
    expect(ev.output).toBeUndefined();
    expect(ev.problem).toMatch(problem);
  });

  it('a JSON line too long to parse is refused without parsing it', () => {
    expect(parseScriptJson(diag, `{"script":"${'x'.repeat(70_000)}"}`)).toEqual({ problem: expect.stringMatching(/characters long/) });
  });
});

describe('output as evidence: clipped and redacted', () => {
  it('huge output is clipped to the budget, head and tail kept', () => {
    const huge = `${'A'.repeat(300_000)}MIDDLE${'Z'.repeat(300_000)}`;
    const c = clipOutput(huge);
    expect(c.length).toBeLessThan(OUTPUT_CLIP_CHARS + 100);
    expect(c).toMatch(/^A+/);
    expect(c).toMatch(/Z+$/);
    expect(c).toMatch(/\[\d+ characters clipped\]/);
    const ev = scriptEvidence(diag, windows(`${'noise '.repeat(100_000)}\n${DIAG_JSON}`, 'E'.repeat(50_000)));
    expect(ev.output).toBeDefined(); // the JSON line is read from the whole stdout before clipping
    expect(ev.stdout.length).toBeLessThan(OUTPUT_CLIP_CHARS + 100);
    expect(ev.stderr.length).toBeLessThan(OUTPUT_CLIP_CHARS + 100);
  });

  it('secrets in stdout, stderr and the JSON never reach the evidence', () => {
    const token = `eyJhbGciOiJSUzI1NiJ9.${'e'.repeat(30)}.${'s'.repeat(30)}`;
    const json = JSON.parse(DIAG_JSON) as { writers: { lastError: string }[] };
    json.writers[0].lastError = 'login failed: Password=hunter2;';
    const ev = scriptEvidence(diag, windows(`Authorization: Bearer ${'k'.repeat(40)}\n${JSON.stringify(json)}`, `connection AccountKey=${'Q'.repeat(20)}; token ${token}`));
    const all = JSON.stringify(ev);
    for (const secret of ['hunter2', 'k'.repeat(40), 'Q'.repeat(20), token]) expect(all).not.toContain(secret);
    expect(all).toContain('[REDACTED]');
    expect((ev.output as { writers: { lastError: string }[] }).writers[0].lastError).toBe('login failed: Password=[REDACTED];');
  });
});
