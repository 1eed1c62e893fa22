// The shipped guest scripts parse: every PowerShell script with PowerShell's own parser (the pinned
// PowerShell tool that `pretest` installs into .cache/pwsh through NuGet, test/tools/install-pwsh.js)
// and every shell script with `sh -n` and `bash -n`. The scripts cannot run here (vssadmin, services
// and the registry are Windows's), but a script that does not even parse would fail in every guest;
// this catches it before a human approves it. Without the tool (no .NET SDK) the PowerShell part
// skips visibly; in CI (CI=true) pretest fails first.
import { spawnSync } from 'child_process';
import { existsSync } from 'fs';
import { join, resolve } from 'path';
import { GUEST_SCRIPTS } from '../lib/guest/scripts';

const ROOT = resolve(__dirname, '..');
const FOLDER = join(ROOT, 'lib', 'guest', 'scripts');
const PWSH = join(ROOT, '.cache', 'pwsh', 'pwsh');
const powershell = GUEST_SCRIPTS.filter((s) => s.commandId === 'RunPowerShellScript');
const shell = GUEST_SCRIPTS.filter((s) => s.commandId === 'RunShellScript');

/** Parses the files in one PowerShell process; one line per file: `<file>\t<error count>\t<first errors>`. */
function parseWithPowerShell(files: string[]): Map<string, string> {
  const command = [
    'foreach ($f in $args) {',
    '  $tokens = $null; $errors = $null',
    '  [void][System.Management.Automation.Language.Parser]::ParseFile($f, [ref]$tokens, [ref]$errors)',
    '  $text = ($errors | Select-Object -First 3 | ForEach-Object { "line $($_.Extent.StartLineNumber): $($_.Message)" }) -join "; "',
    '  "$([System.IO.Path]::GetFileName($f))`t$($errors.Count)`t$text"',
    '}',
  ].join('\n');
  const r = spawnSync(PWSH, ['-NoProfile', '-NonInteractive', '-Command', `& { ${command} }`, ...files], { encoding: 'utf8', timeout: 60_000 });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return new Map(r.stdout.trim().split('\n').map((line) => [line.split('\t')[0]!, line.split('\t').slice(1).join('\t').trim()]));
}

(existsSync(PWSH) ? describe : describe.skip)('PowerShell guest scripts parse with PowerShell\'s parser', () => {
  test('every .ps1 of the catalogue: zero parse errors', () => {
    expect(powershell.length).toBeGreaterThanOrEqual(5);
    const results = parseWithPowerShell(powershell.map((s) => join(FOLDER, s.file)));
    expect(Object.fromEntries(powershell.map((s) => [s.file, results.get(s.file)]))).toEqual(Object.fromEntries(powershell.map((s) => [s.file, '0'])));
  });

  test('the check can fail: a script with a syntax error is reported', () => {
    const bad = join(ROOT, 'test', 'fixtures', 'guest-broken.ps1');
    const results = parseWithPowerShell([bad]);
    expect(results.get('guest-broken.ps1')).toMatch(/^[1-9]\d*\tline 3: /);
  });
});

describe('shell guest scripts parse', () => {
  test.each(shell.map((s) => s.file))('%s: sh -n and bash -n', (file) => {
    for (const interpreter of ['sh', 'bash']) {
      const r = spawnSync(interpreter, ['-n', join(FOLDER, file)], { encoding: 'utf8' });
      expect({ interpreter, status: r.status, stderr: r.stderr }).toEqual({ interpreter, status: 0, stderr: '' });
    }
  });
});
