// Builds the Function App deployment package the way azd packages a Node Function App: the
// project folder after `npm run build`, minus what .funcignore (gitignore syntax) excludes, with
// the production dependency tree only. Production packages are copied from this checkout's
// node_modules as package-lock.json resolves them (every `packages` entry not marked dev), which
// is what `npm ci --omit=dev` would install, without a network or a second install (seconds, not
// minutes, on a 2-core machine). `zip` makes the archive azd would upload; `unzip` lists and
// extracts it into a folder of its own.

import { execFileSync } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'fs';
import ignore from 'ignore';
import { tmpdir } from 'os';
import { join, relative, sep } from 'path';

export const ROOT = join(__dirname, '..', '..');

interface LockEntry {
  dev?: boolean;
  devOptional?: boolean;
  optional?: boolean;
  link?: boolean;
}

/** node_modules/... paths of the production dependency tree, from package-lock.json. */
export function productionPackages(root = ROOT): string[] {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  return Object.entries(lock.packages)
    .filter(([path, e]) => path.startsWith('node_modules/') && !e.dev && !e.devOptional && !e.link)
    .map(([path]) => path);
}

/** Project files (outside node_modules) that .funcignore keeps, relative to root, '/'-separated. */
export function keptProjectFiles(root = ROOT): string[] {
  const rules = ignore().add(readFileSync(join(root, '.funcignore'), 'utf8'));
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const rel = relative(root, join(dir, e.name)).split(sep).join('/');
      if (rel === 'node_modules' || rel === '.git') continue;
      if (rules.ignores(e.isDirectory() ? `${rel}/` : rel)) continue;
      if (e.isDirectory()) walk(join(dir, e.name));
      else out.push(rel);
    }
  };
  walk(root);
  return out.sort();
}

/** Files of one installed package, without its nested node_modules (lock entries of their own). */
function packageFiles(root: string, pkgPath: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
      const child = `${rel}/${e.name}`;
      if (e.isDirectory() && e.name !== 'node_modules') walk(child);
      else if (e.isFile()) out.push(child);
    }
  };
  walk(pkgPath);
  return out;
}

export interface AppPackage {
  zip: string;
  zipBytes: number;
  /** Entries of the archive (files only). */
  entries: string[];
  /** The archive extracted into a fresh folder of its own. */
  extracted: string;
  /** Packages present under node_modules/ of the archive (names, scoped ones as @scope/name). */
  packages: string[];
}

/** Stages, zips, lists and extracts the package; everything lives under one temp folder. */
export function buildAppPackage(root = ROOT): AppPackage {
  if (!existsSync(join(root, 'dist', 'functions', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does)');
  const work = mkdtempSync(join(tmpdir(), 'app-package-'));
  const files = [...keptProjectFiles(root)];
  // .funcignore applies to node_modules too (its rules there drop builds Node never requires).
  const rules = ignore().add(readFileSync(join(root, '.funcignore'), 'utf8'));
  for (const p of productionPackages(root)) {
    // Optional packages for other platforms are in the lock but not on disk: npm skips them too.
    if (existsSync(join(root, p))) files.push(...packageFiles(root, p).filter((f) => !rules.ignores(f)));
  }
  // zip reads the list from stdin, paths relative to the checkout: no staging copy.
  const zip = join(work, 'app.zip');
  execFileSync('zip', ['-q', '-X', zip, '-@'], { cwd: root, input: files.join('\n'), maxBuffer: 64 * 1024 * 1024 });
  const entries = execFileSync('unzip', ['-Z1', zip], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 })
    .split('\n')
    .filter((l) => l && !l.endsWith('/'));
  const extracted = join(work, 'extracted');
  mkdirSync(extracted);
  execFileSync('unzip', ['-q', zip, '-d', extracted]);
  const packages = [...new Set(entries.flatMap((e) => /^node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(e)?.[1] ?? []))].sort();
  return { zip, zipBytes: statSync(zip).size, entries, extracted, packages };
}
