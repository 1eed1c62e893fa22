#!/usr/bin/env node
// Installs the PowerShell global tool (pinned) into .cache/pwsh so test/guest-scripts-parse.test.ts
// can parse the shipped guest scripts with PowerShell's own parser. Run by `npm test` through
// `pretest`, like infra/bicep/check.js: it arrives through NuGet (`dotnet tool install`), so no
// download URL is written anywhere, and it is never part of the Function App package. Without the
// .NET SDK it prints a notice and the test skips visibly; with CI=true a missing SDK fails.
'use strict';

const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..', '..');
const DIR = path.join(ROOT, '.cache', 'pwsh');
// 7.6.10: the newest the dotnet-kind machines install (7.7.0 does not run on .NET 10 here).
const VERSION = '7.6.10';
const required = process.env.CI === 'true';
const say = (line) => process.stdout.write(`[pwsh] ${line}\n`);

function installed() {
  const r = spawnSync(path.join(DIR, 'pwsh'), ['-NoProfile', '-NonInteractive', '-Command', '$PSVersionTable.PSVersion.ToString()'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function main() {
  const have = installed();
  if (have === VERSION) return say(`PowerShell ${have} in .cache/pwsh`);
  if (spawnSync('dotnet', ['--version'], { encoding: 'utf8' }).status !== 0) {
    const msg = 'no .NET SDK: PowerShell cannot be installed, the guest-script parse test skips';
    if (required) {
      process.stderr.write(`[pwsh] ${msg}; CI=true: required, failing.\n`);
      process.exit(1);
    }
    return say(`SKIPPED: ${msg}`);
  }
  fs.rmSync(DIR, { recursive: true, force: true });
  const r = spawnSync('dotnet', ['tool', 'install', '--tool-path', DIR, 'PowerShell', '--version', VERSION], { encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(`[pwsh] dotnet tool install PowerShell ${VERSION} failed:\n${r.stdout}${r.stderr}\n`);
    process.exit(1);
  }
  say(`installed PowerShell ${installed() ?? '(not runnable?)'} into .cache/pwsh`);
}

main();
