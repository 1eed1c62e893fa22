#!/usr/bin/env node
// Compiles and lints infra/ with the real Bicep CLI (run by `npm test` through `pretest`).
//
// The CLI arrives through NuGet: `dotnet restore` of bicep-cli.proj (a PackageDownload of
// Azure.Bicep.CommandLine.linux-x64 at the version pinned there) into .cache/bicep/packages, so
// no download URL is written anywhere. Then:
//   bicep build infra/main.bicep  → .cache/bicep/main.json (read by test/infra-arm.test.ts)
//   bicep lint  every infra/**/*.bicep with infra/bicepconfig.json (core rules = errors)
// Any error or warning fails. Without the .NET SDK (a contributor's laptop) it prints a notice
// and skips; with CI=true (or BICEP_REQUIRED=true) it must run, so a missing SDK fails.
// Once restored, nothing here needs a network: the compiler works offline.
'use strict';

const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..', '..');
const INFRA = path.join(ROOT, 'infra');
const PROJ = path.join(__dirname, 'bicep-cli.proj');
const CACHE = process.env.BICEP_CACHE_DIR ? path.resolve(process.env.BICEP_CACHE_DIR) : path.join(ROOT, '.cache', 'bicep');
const OUT = path.join(CACHE, 'main.json');
const PACKAGE = 'Azure.Bicep.CommandLine.linux-x64';
const required = process.env.CI === 'true' || process.env.BICEP_REQUIRED === 'true';

const say = (line) => process.stdout.write(`[bicep] ${line}\n`);

function skip(reason) {
  const banner = `[bicep] SKIPPED: ${reason}. The Bicep compile/lint and the compiled-template tests did not run.`;
  if (required) {
    process.stderr.write(`${banner}\n[bicep] CI=true: this step is required, failing.\n`);
    process.exit(1);
  }
  process.stdout.write(`\n${'!'.repeat(banner.length)}\n${banner}\n${'!'.repeat(banner.length)}\n\n`);
  process.exit(0);
}

function pinnedVersion() {
  const m = new RegExp(`PackageDownload Include="${PACKAGE.replace(/\./g, '\\.')}" Version="\\[([^\\]]+)\\]"`).exec(fs.readFileSync(PROJ, 'utf8'));
  if (!m) throw new Error(`no pinned ${PACKAGE} version in ${PROJ}`);
  return m[1];
}

function run(cmd, args, opts = {}) {
  return spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...opts });
}

function restore(version) {
  // NuGet lays packages out as <packages>/<lower-case id>/<version>/; the package's own
  // build/*.props puts the binary at tools/bicep (tools/bicep.exe on Windows).
  const binary = path.join(CACHE, 'packages', PACKAGE.toLowerCase(), version, 'tools', 'bicep');
  if (fs.existsSync(binary)) return binary;
  if (process.platform !== 'linux' || process.arch !== 'x64') skip(`the pinned Bicep CLI package is for linux-x64, this is ${process.platform}-${process.arch}`);
  const dotnet = run('dotnet', ['--version']);
  if (dotnet.error || dotnet.status !== 0) skip('the .NET SDK (dotnet) is not installed; it is how the Bicep CLI arrives (NuGet)');
  say(`restoring ${PACKAGE} ${version} with the .NET SDK ${dotnet.stdout.trim()} into ${path.relative(ROOT, CACHE)}/packages`);
  const env = { ...process.env, DOTNET_NOLOGO: '1', DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_SKIP_FIRST_TIME_EXPERIENCE: '1' };
  const r = run('dotnet', ['restore', PROJ, '--packages', path.join(CACHE, 'packages'), `-p:MSBuildProjectExtensionsPath=${path.join(CACHE, 'obj')}${path.sep}`], { env });
  if (r.status !== 0) {
    process.stderr.write(`${r.stdout}${r.stderr}`);
    throw new Error(`dotnet restore of ${PACKAGE} ${version} failed (exit ${r.status})`);
  }
  if (!fs.existsSync(binary)) throw new Error(`restore succeeded but ${binary} is missing: has the package layout changed?`);
  fs.chmodSync(binary, 0o755);
  return binary;
}

function bicepFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return bicepFiles(p);
    return e.name.endsWith('.bicep') ? [p] : [];
  });
}

/** Diagnostics lines (`file(line,col) : Warning|Error code: message`) of one bicep run. */
function diagnostics(r) {
  return `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => /\) : (Warning|Error|Info) /.test(l));
}

function main() {
  const version = pinnedVersion();
  fs.rmSync(OUT, { force: true }); // never let the tests read a template from an earlier run
  const bicep = restore(version);
  const v = run(bicep, ['--version']);
  if (v.status !== 0) throw new Error(`${bicep} --version failed: ${v.stderr}`);
  say(v.stdout.trim());
  fs.mkdirSync(CACHE, { recursive: true });
  const problems = [];
  const build = run(bicep, ['build', path.join(INFRA, 'main.bicep'), '--outfile', OUT]);
  problems.push(...diagnostics(build));
  if (build.status !== 0 && problems.length === 0) problems.push(`bicep build exited ${build.status}: ${build.stderr.trim()}`);
  say(`build infra/main.bicep → ${path.relative(ROOT, OUT)}: ${build.status === 0 ? 'ok' : 'FAILED'}`);
  // One process for every file (each bicep start costs seconds); infra/bicepconfig.json applies.
  const files = bicepFiles(INFRA).map((f) => path.relative(ROOT, f));
  const lint = run(bicep, ['lint', '--pattern', 'infra/**/*.bicep']);
  const found = diagnostics(lint);
  if (lint.status !== 0 && found.length === 0) found.push(`bicep lint exited ${lint.status}: ${lint.stderr.trim()}`);
  problems.push(...found);
  say(`lint ${files.length} files (${files.join(', ')}) with infra/bicepconfig.json: ${found.length === 0 ? 'clean' : `${found.length} problem(s)`}`);
  const unique = [...new Set(problems)];
  const count = (kind) => unique.filter((l) => l.includes(`) : ${kind} `)).length;
  say(`${count('Error')} errors, ${count('Warning')} warnings, ${count('Info')} infos`);
  if (unique.length > 0) {
    fs.rmSync(OUT, { force: true });
    for (const l of unique) process.stderr.write(`${l}\n`);
    process.exit(1);
  }
}

try {
  main();
} catch (e) {
  process.stderr.write(`[bicep] ${e.message}\n`);
  process.exit(1);
}
