// What the compiled ARM template cannot tell: every .bicep file parses (tree-sitter, so this holds
// even on a machine without the Bicep compiler), azure.yaml names the service the Bicep tags,
// local.settings.json.example, .funcignore and docs/deploy.md. The template itself is checked
// after compilation by test/infra-arm.test.ts; function registrations by test/function-metadata.test.ts.

import { readFileSync } from 'fs';
import { join } from 'path';
import { DEFAULT_SETTINGS, loadSettings, SETTING_NAMES } from '../lib/config';
import {
  BicepFile,
  declarations,
  descendants,
  findBicepFiles,
  parseBicep,
  path,
  propertyKey,
  syntaxProblems,
} from './helpers/bicep';

const INFRA = join(__dirname, '..', 'infra');
const files = new Map<string, BicepFile>();
const file = (rel: string): BicepFile => {
  const f = files.get(rel);
  if (!f) throw new Error(`infra/${rel} was not parsed`);
  return f;
};

beforeAll(async () => {
  for (const p of findBicepFiles(INFRA)) files.set(p.slice(INFRA.length + 1), await parseBicep(p));
});

const sorted = (xs: Iterable<string>): string[] => [...xs].sort((a, b) => a.localeCompare(b));

describe('syntax', () => {
  it('finds every template', () => {
    expect(sorted(files.keys())).toEqual([
      'main.bicep',
      'modules/alerts.bicep',
      'modules/events.bicep',
      'modules/function-app.bicep',
      'modules/identity.bicep',
      'modules/monitoring.bicep',
      'modules/remediator-role-assignment.bicep',
      'modules/remediator-roles.bicep',
      'modules/storage.bicep',
      'modules/workbook.bicep',
    ]);
  });

  it('parses every .bicep file with no ERROR or MISSING node', () => {
    const problems = [...files.values()].flatMap((f) => syntaxProblems(f.root).map((p) => ({ file: f.path, ...p })));
    expect(problems).toEqual([]);
  });

  it('reports broken Bicep (the check above can fail)', async () => {
    const broken = await parseBicep('broken.bicep', "resource x 'Microsoft.Web/sites@2024-04-01' = {\n  name: 'a'\n  properties: {\n");
    expect(syntaxProblems(broken.root).length).toBeGreaterThan(0);
    const garbage = await parseBicep('garbage.bicep', 'param x string = \nvar = ]\n');
    expect(syntaxProblems(garbage.root).length).toBeGreaterThan(0);
  });

  it('every module path used by main.bicep exists and was parsed', () => {
    const paths = declarations(file('main.bicep'), 'module_declaration').map((m) => m.typeOrPath);
    expect(sorted(paths.map(String))).toEqual(
      sorted([
        'modules/identity.bicep',
        'modules/storage.bicep',
        'modules/monitoring.bicep',
        'modules/function-app.bicep',
        'modules/events.bicep',
        'modules/remediator-roles.bicep',
        'modules/remediator-role-assignment.bicep',
        'modules/remediator-role-assignment.bicep', // again for the guest-fix role, when enabled
        'modules/workbook.bicep',
        'modules/alerts.bicep',
      ]),
    );
    for (const p of paths) expect(files.has(String(p))).toBe(true);
  });
});

describe('azd wiring', () => {
  it('azure.yaml deploys the service azd tags on the Function App', () => {
    const yaml = readFileSync(join(__dirname, '..', 'azure.yaml'), 'utf8');
    expect(yaml).toMatch(/^services:\n {2}remediator:\n {4}project: \.\n {4}language: ts\n {4}host: function$/m);
    expect(yaml).toMatch(/^infra:\n {2}provider: bicep\n {2}path: infra\n/m);
    // the service name and the tag must agree, or `azd deploy` finds no target
    expect(descendants(file('modules/function-app.bicep').root, 'object_property').some((p) => propertyKey(p) === 'azd-service-name')).toBe(true);
  });
});

describe('local settings, package and docs', () => {
  const ROOT = join(__dirname, '..');

  it('local.settings.json.example sets every setting the code reads and loads as the defaults', () => {
    const example = JSON.parse(readFileSync(join(ROOT, 'local.settings.json.example'), 'utf8')) as { Values: Record<string, string> };
    expect([...SETTING_NAMES, 'AZURE_CLIENT_ID', 'AzureWebJobsStorage', 'FUNCTIONS_WORKER_RUNTIME'].filter((n) => !(n in example.Values))).toEqual([]);
    expect(example.Values.FUNCTIONS_WORKER_RUNTIME).toBe('node');
    const loaded = loadSettings(example.Values);
    expect({ ...loaded, subscriptions: [] }).toEqual({ ...DEFAULT_SETTINGS, subscriptions: [] });
  });

  it('.funcignore keeps what the Functions host runs', () => {
    const patterns = readFileSync(join(ROOT, '.funcignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    for (const kept of ['dist/', 'dist/functions/', 'host.json', 'package.json', 'node_modules/']) expect(patterns).not.toContain(kept);
    expect(patterns).toEqual(expect.arrayContaining(['/test/', '/infra/', 'local.settings.json', '*.ts']));
  });

  it('docs/deploy.md documents every azd variable, both roles and the rollback', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'deploy.md'), 'utf8');
    const json = JSON.parse(readFileSync(join(INFRA, 'main.parameters.json'), 'utf8')) as { parameters: Record<string, { value: string }> };
    const vars = Object.values(json.parameters).map((p) => /^\$\{([A-Z_]+)/.exec(p.value)?.[1]);
    expect(vars.filter((v) => !v || !doc.includes(`\`${v}\``))).toEqual([]);
    for (const s of ['azd up', 'azd env set REMEDIATION_MODE apply', 'alertsForAllJobFailures', 'azd down', 'REMEDIATION_KILL_SWITCH']) {
      expect(doc).toContain(s);
    }
  });
});
