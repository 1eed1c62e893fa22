// The deployment package: built as azd packages a Node Function App (test/helpers/app-package.ts:
// the built project minus .funcignore, production dependencies only), zipped, listed, checked for
// what must not ship and against a size budget, then extracted into a clean folder and loaded with
// Node 22 and only those dependencies: the cold load must register every function.
// Plus the rule that keeps it loadable: nothing the app runs imports a devDependency.

import { execFileSync } from 'child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'fs';
import { builtinModules } from 'module';
import { dirname, join } from 'path';
import { buildAppPackage, ROOT, type AppPackage } from './helpers/app-package';

/** Zip budget: 11.0 MB measured (OpenTelemetry distro included, CommonJS builds only); growth past this is a decision. */
const ZIP_BUDGET_BYTES = 16 * 1024 * 1024;
const NODE22 = join(ROOT, 'node_modules', '.bin', 'node');
const pkgJson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

let pkg: AppPackage;
beforeAll(() => {
  pkg = buildAppPackage();
}, 300_000);
afterAll(() => {
  if (pkg) rmSync(dirname(pkg.zip), { recursive: true, force: true });
});

describe('what the package holds', () => {
  it('only the built app (dist/functions, dist/lib), host.json, package files and node_modules', () => {
    const project = pkg.entries.filter((e) => !e.startsWith('node_modules/'));
    expect(project).toEqual(expect.arrayContaining(['host.json', 'package.json', 'dist/functions/index.js', 'dist/lib/engine.js']));
    // lib/guest/scripts: the reviewed guest scripts, shipped as they are (lib/guest/scripts.ts says why).
    expect(project.filter((e) => !/^(host\.json|package\.json|package-lock\.json|\.funcignore|dist\/(functions|lib)\/.+\.js|lib\/guest\/scripts\/[a-z-]+\.(ps1|sh))$/.test(e))).toEqual([]);
  });

  it('no tests, emulator, bench, CLI, fixtures, sources, source maps or local settings', () => {
    const project = pkg.entries.filter((e) => !e.startsWith('node_modules/'));
    const forbidden = /(^|\/)(test|tests|emulator|bench|cli|bin|fixtures|infra|docs)\/|\.ts$|\.map$|(^|\/)local\.settings\.json/;
    expect(project.filter((e) => forbidden.test(e) && !e.endsWith('.d.ts'))).toEqual([]);
    expect(pkg.entries.filter((e) => /(^|\/)local\.settings\.json$/.test(e))).toEqual([]);
    expect(project.filter((e) => /azurite/i.test(e))).toEqual([]);
  });

  it('every production dependency and no devDependency', () => {
    expect(Object.keys(pkgJson.dependencies).filter((d) => !pkg.packages.includes(d))).toEqual([]);
    // A devDependency may also ship when a production package needs it (the OpenTelemetry SDKs under
    // @azure/monitor-opentelemetry); none that only development needs does (the lock marks those dev).
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
    expect(Object.keys(pkgJson.devDependencies).filter((d) => pkg.packages.includes(d) && lock.packages[`node_modules/${d}`]?.dev === true)).toEqual([]);
    for (const devOnly of ['azurite', '@peculiar/x509', 'reflect-metadata', 'ajv', 'jest', 'typescript', 'oav', 'node']) {
      expect(pkg.packages).not.toContain(devOnly);
    }
  });

  it(`fits the size budget (${ZIP_BUDGET_BYTES / 1024 / 1024} MiB zipped)`, () => {
    process.stdout.write(`app package: ${(pkg.zipBytes / 1e6).toFixed(1)} MB zipped, ${pkg.entries.length} files, ${pkg.packages.length} packages\n`);
    expect(pkg.zipBytes).toBeLessThanOrEqual(ZIP_BUDGET_BYTES);
  });
});

describe('the extracted package loads on its own', () => {
  it('a cold load of main with Node 22 and only the packaged dependencies registers every function', () => {
    // No node_modules above the extraction folder may lend it a package.
    for (let d = dirname(pkg.extracted); d !== dirname(d); d = dirname(d)) expect(existsSync(join(d, 'node_modules'))).toBe(false);
    const node = existsSync(NODE22) ? NODE22 : process.execPath;
    const out = execFileSync(node, [join(__dirname, 'helpers', 'load-functions.js'), pkg.extracted], {
      cwd: pkg.extracted,
      env: { PATH: dirname(node) }, // no NODE_PATH, no NODE_OPTIONS, no settings: what a fresh worker has before app settings
      encoding: 'utf8',
    });
    const loaded = JSON.parse(out) as { node: string; functions: { name: string }[]; hooks: string[]; loadMs: number };
    expect(loaded.node).toMatch(/^v22\./);
    expect(loaded.functions.map((f) => f.name).sort()).toEqual(
      ['alertWebhook', 'decideApproval', 'eventGridIntake', 'getRun', 'listApprovals', 'reconcile', 'remediate', 'remediateVm', 'remediateVmPoison'].sort(),
    );
    expect(loaded.hooks).toEqual(['appStart']);
  });

  it('every guest script ships byte for byte where the built catalogue loads it (hash-checked)', () => {
    const node = existsSync(NODE22) ? NODE22 : process.execPath;
    const script = "const { GUEST_SCRIPTS } = require('./dist/lib/guest/scripts.js'); const { scriptLines } = require('./dist/lib/guest/script-text.js'); console.log(JSON.stringify(GUEST_SCRIPTS.map((s) => [s.file, scriptLines(s)[0]])));";
    const out = execFileSync(node, ['-e', script], { cwd: pkg.extracted, env: { PATH: dirname(node) }, encoding: 'utf8' });
    const loaded = JSON.parse(out.trim().split('\n').pop()!) as [string, string][];
    expect(loaded.length).toBe(6);
    for (const [file, header] of loaded) {
      expect(pkg.entries).toContain(`lib/guest/scripts/${file}`);
      expect(header).toMatch(/^# backup-remediator-script: [a-z-]+@\d+$/);
    }
  });

  it('every production dependency loads from the package (pruned builds included), even those loaded lazily', () => {
    const node = existsSync(NODE22) ? NODE22 : process.execPath;
    const names = JSON.stringify(Object.keys(pkgJson.dependencies));
    const script = `const failed = []; for (const n of ${names}) { try { require(n); } catch (e) { failed.push(n + ': ' + e.message.split('\\n')[0]); } } console.log(JSON.stringify(failed));`;
    const out = execFileSync(node, ['-e', script], { cwd: pkg.extracted, env: { PATH: dirname(node) }, encoding: 'utf8' });
    expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual([]);
  });
});

describe('nothing the app runs imports a devDependency', () => {
  const sources = (dir: string): string[] =>
    readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
    );
  const packageOf = (spec: string) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);

  it('lib/ and functions/ import only production dependencies, Node built-ins and each other', () => {
    const bad: string[] = [];
    for (const f of [...sources('lib'), ...sources('functions')]) {
      const text = readFileSync(join(ROOT, f), 'utf8');
      for (const m of text.matchAll(/(?:^import\s[^'"]*?from\s|^import\s|require\(|import\()\s*'([^']+)'/gm)) {
        const spec = m[1];
        if (spec.startsWith('.')) {
          if (/\/(emulator|cli|bench|test)\//.test(`/${spec}`)) bad.push(`${f}: ${spec}`);
          continue;
        }
        const name = packageOf(spec.replace(/^node:/, ''));
        if (builtinModules.includes(name) || name in pkgJson.dependencies) continue;
        if (/^import\s+type\s/m.test(m[0])) continue;
        bad.push(`${f}: ${spec}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
