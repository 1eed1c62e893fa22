// Checks the deployment templates in infra/ as data: they parse, the custom roles hold exactly
// the intended ARM operations, roles are assigned only at the target subscriptions, no storage
// secret reaches the app settings, the app runs Node 22 with every setting the code reads.

import { isReadOnlyOperation } from '../lib/arm/permissions';
import { readFileSync } from 'fs';
import { join } from 'path';
import { DEFAULT_SETTINGS, loadSettings, SETTING_NAMES } from '../lib/config';
import {
  BicepFile,
  BicepValue,
  declaration,
  declarations,
  descendants,
  evaluate,
  findBicepFiles,
  forParts,
  isExpr,
  parseBicep,
  path,
  prop,
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
const lower = (xs: Iterable<string>): string[] => sorted([...xs].map((x) => x.toLowerCase()));
const strings = (v: BicepValue): string[] => {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new Error(`not a string list: ${JSON.stringify(v)}`);
  return v as string[];
};
const obj = (v: BicepValue): Record<string, BicepValue> => {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || isExpr(v)) throw new Error(`not an object: ${JSON.stringify(v)}`);
  return v as Record<string, BicepValue>;
};

describe('syntax', () => {
  it('finds every template', () => {
    expect(sorted(files.keys())).toEqual([
      'main.bicep',
      'modules/events.bicep',
      'modules/function-app.bicep',
      'modules/identity.bicep',
      'modules/monitoring.bicep',
      'modules/remediator-role-assignment.bicep',
      'modules/remediator-roles.bicep',
      'modules/storage.bicep',
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
      ]),
    );
    for (const p of paths) expect(files.has(String(p))).toBe(true);
  });
});

describe('least-privilege roles', () => {
  const READER = [
    'Microsoft.RecoveryServices/Vaults/read',
    'Microsoft.RecoveryServices/Vaults/backupJobs/read',
    'Microsoft.RecoveryServices/Vaults/backupFabrics/protectionContainers/read',
    'Microsoft.RecoveryServices/Vaults/backupFabrics/protectionContainers/protectedItems/read',
    'Microsoft.RecoveryServices/Vaults/backupProtectedItems/read',
    'Microsoft.Compute/virtualMachines/read',
    'Microsoft.Compute/virtualMachines/instanceView/read',
    'Microsoft.Compute/virtualMachines/extensions/read',
    'Microsoft.Compute/restorePointCollections/read',
    'Microsoft.Compute/restorePointCollections/restorePoints/read',
    'Microsoft.Authorization/locks/read',
    'Microsoft.ResourceGraph/resources/read',
    'Microsoft.Resources/subscriptions/resourceGroups/read',
    'Microsoft.Network/networkInterfaces/read',
    'Microsoft.Network/networkInterfaces/effectiveNetworkSecurityGroups/action',
    'Microsoft.Network/networkInterfaces/effectiveRouteTable/action',
    'Microsoft.Network/locations/operations/read',
    'Microsoft.Network/locations/operationResults/read',
  ];
  const WRITES = [
    'Microsoft.Compute/virtualMachines/extensions/delete',
    'Microsoft.Compute/restorePointCollections/delete',
    'Microsoft.RecoveryServices/Vaults/backupFabrics/protectionContainers/protectedItems/backup/action',
  ];
  const POLLING = [
    'Microsoft.Compute/locations/operations/read',
    'Microsoft.RecoveryServices/Vaults/backupFabrics/protectionContainers/protectedItems/operationResults/read',
    'Microsoft.RecoveryServices/Vaults/backupFabrics/protectionContainers/protectedItems/operationsStatus/read',
  ];

  const roleDefinitions = () =>
    declarations(file('modules/remediator-roles.bicep'), 'resource_declaration').filter((d) =>
      d.typeOrPath?.startsWith('Microsoft.Authorization/roleDefinitions@'),
    );
  const permissions = (name: string) => {
    const d = roleDefinitions().find((r) => r.name === name);
    if (!d) throw new Error(`no role definition ${name}`);
    const perms = evaluate(file('modules/remediator-roles.bicep'), path(d.value, 'properties.permissions'));
    expect(Array.isArray(perms) && perms.length).toBe(1);
    return obj((perms as BicepValue[])[0]);
  };
  // Reads, and the POST actions that only read (a NIC's effective rules and routes).
  const isRead = (a: string) => isReadOnlyOperation(a);

  it('declares exactly two custom roles, in one module', () => {
    expect(sorted(roleDefinitions().map((d) => d.name))).toEqual(['operatorRole', 'readerRole']);
    for (const [rel, f] of files) {
      if (rel === 'modules/remediator-roles.bicep') continue;
      const defs = declarations(f, 'resource_declaration').filter((d) => d.typeOrPath?.startsWith('Microsoft.Authorization/roleDefinitions@'));
      expect({ rel, defs: defs.map((d) => d.name) }).toEqual({ rel, defs: [] });
    }
  });

  it('reader role holds exactly the dry-run reads and nothing that writes', () => {
    const p = permissions('readerRole');
    const actions = strings(p.actions);
    expect(lower(actions)).toEqual(lower(READER));
    expect(actions.filter((a) => !isRead(a) || a.includes('*'))).toEqual([]);
    expect(p.notActions).toEqual([]);
    expect(p.dataActions).toEqual([]);
    expect(p.notDataActions).toEqual([]);
  });

  it('operator role = reader + exactly the three remediation writes + the polling reads', () => {
    const reader = lower(strings(permissions('readerRole').actions));
    const operator = strings(permissions('operatorRole').actions);
    expect(new Set(lower(operator)).size).toBe(operator.length); // no duplicates
    expect(lower(operator)).toEqual(lower([...READER, ...WRITES, ...POLLING]));
    for (const a of reader) expect(lower(operator)).toContain(a);
    const extras = operator.filter((a) => !reader.includes(a.toLowerCase()));
    expect(lower(extras.filter((a) => !isRead(a)))).toEqual(lower(WRITES));
    expect(lower(extras.filter(isRead))).toEqual(lower(POLLING));
    expect(operator.filter((a) => a.includes('*'))).toEqual([]);
    expect(permissions('operatorRole').dataActions).toEqual([]);
  });

  it('both roles are assignable only at the target subscriptions', () => {
    const f = file('modules/remediator-roles.bicep');
    expect(evaluate(f, declaration(f, 'target_scope_assignment', '').value)).toBe('subscription');
    for (const d of roleDefinitions()) {
      expect(path(d.value, 'properties.assignableScopes')?.text).toBe('assignableScopes');
      expect(evaluate(f, path(d.value, 'properties.type'))).toBe('CustomRole');
    }
    const scopes = declaration(f, 'variable_declaration', 'assignableScopes').value;
    if (!scopes) throw new Error('assignableScopes has no value');
    const loop = forParts(scopes);
    expect(loop.source.text).toBe('targetSubscriptionIds');
    expect(loop.body.text).toBe(`'/subscriptions/\${${loop.itemName}}'`);
  });
});

describe('role assignment scopes', () => {
  it('no template targets a management group or the tenant, and no scope is set to one', () => {
    for (const f of files.values()) {
      const ts = declarations(f, 'target_scope_assignment')[0];
      const scope = ts ? evaluate(f, ts.value) : 'resourceGroup';
      expect({ file: f.path, scope }).toEqual({ file: f.path, scope: expect.stringMatching(/^(subscription|resourceGroup)$/) });
      expect(f.source).not.toMatch(/managementGroup\s*\(/i);
      for (const d of declarations(f).filter((x) => x.kind === 'resource_declaration' || x.kind === 'module_declaration')) {
        const s = prop(d.value, 'scope')?.text;
        if (s !== undefined) expect({ file: f.path, decl: d.name, s }).not.toEqual({ file: f.path, decl: d.name, s: expect.stringMatching(/tenant\(|managementGroup/i) });
      }
    }
  });

  it('the remediator role is assigned once per target subscription, at that subscription', () => {
    const main = file('main.bicep');
    const assigning = declarations(main, 'module_declaration').filter((m) => m.typeOrPath === 'modules/remediator-role-assignment.bicep');
    expect(assigning.map((m) => m.name)).toEqual(['remediatorAccess']);
    const m = assigning[0];
    expect(m.loop?.source.text).toBe('targets');
    expect(prop(m.value, 'scope')?.text).toBe(`subscription(${m.loop?.itemName})`);
    expect(prop(prop(m.value, 'params'), 'roleDefinitionName')?.text).toBe(
      "mode == 'apply' ? roles.outputs.operatorRoleDefinitionName : roles.outputs.readerRoleDefinitionName",
    );
    // targets come only from the operator's parameters (or this subscription when none given)
    expect(declaration(main, 'variable_declaration', 'targets').value?.text).toBe(
      'empty(requestedTargets) ? [ subscription().subscriptionId ] : requestedTargets',
    );
    expect(declaration(main, 'variable_declaration', 'requestedTargets').value?.text).toBe(
      "union(targetSubscriptionIds, filter(csvTargets, id => !empty(id)))",
    );
    const mode = declaration(main, 'parameter_declaration', 'mode');
    expect(mode.decorators).toContain("@allowed([ 'dry-run', 'apply' ])");
    expect(evaluate(main, mode.value)).toBe('dry-run');
  });

  it('the assignment module assigns at its own (subscription) scope with no scope override', () => {
    const f = file('modules/remediator-role-assignment.bicep');
    expect(evaluate(f, declarations(f, 'target_scope_assignment')[0].value)).toBe('subscription');
    const ras = declarations(f, 'resource_declaration');
    expect(ras.map((r) => r.typeOrPath)).toEqual(['Microsoft.Authorization/roleAssignments@2022-04-01']);
    expect(prop(ras[0].value, 'scope')).toBeUndefined();
    expect(path(ras[0].value, 'properties.roleDefinitionId')?.text).toBe(
      "subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionName)",
    );
    expect(evaluate(f, path(ras[0].value, 'properties.principalType'))).toBe('ServicePrincipal');
  });

  it('every other role assignment is scoped to a resource the app owns', () => {
    const found: string[] = [];
    for (const [rel, f] of files) {
      if (rel === 'modules/remediator-role-assignment.bicep') continue;
      for (const d of declarations(f, 'resource_declaration')) {
        if (!d.typeOrPath?.startsWith('Microsoft.Authorization/roleAssignments@')) continue;
        found.push(`${rel}:${d.name}:${prop(d.value, 'scope')?.text}`);
      }
    }
    expect(sorted(found)).toEqual(['modules/monitoring.bicep:publisher:appInsights', 'modules/storage.bicep:dataRoles:storage']);
  });

  it('the app identity gets the storage data roles and Monitoring Metrics Publisher', () => {
    const st = file('modules/storage.bicep');
    const roles = declaration(st, 'resource_declaration', 'dataRoles');
    const ids = strings(evaluate(st, roles.loop?.source)).map(String);
    expect(sorted(ids)).toEqual(
      sorted([
        'b7e6dc6d-f1e8-4753-8033-0f276bb0955b', // Storage Blob Data Owner
        '974c5e8b-45b9-4653-ba55-5f855dd0fb88', // Storage Queue Data Contributor
        '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3', // Storage Table Data Contributor
      ]),
    );
    const mon = file('modules/monitoring.bicep');
    expect(evaluate(mon, declaration(mon, 'variable_declaration', 'monitoringMetricsPublisher').value)).toBe(
      '3913510d-42f4-4e42-8a64-420c390055eb',
    );
    expect(evaluate(mon, path(declaration(mon, 'resource_declaration', 'appInsights').value, 'properties.DisableLocalAuth'))).toBe(true);
  });
});

describe('function app', () => {
  const fa = () => file('modules/function-app.bicep');
  const site = () => declaration(fa(), 'resource_declaration', 'app').value;

  const appSettings = (): Record<string, BicepValue> => {
    // appSettings: [for s in items(union(hostSettings, remediationSettings)): { name: s.key, value: s.value }]
    const loop = forParts(path(site(), 'properties.siteConfig.appSettings')!);
    expect(loop.source.text).toBe('items(union(hostSettings, remediationSettings))');
    expect(loop.body.text.replace(/\s+/g, ' ')).toBe(`{ name: ${loop.itemName}.key value: ${loop.itemName}.value }`);
    const host = obj(evaluate(fa(), declaration(fa(), 'variable_declaration', 'hostSettings').value));
    // remediationSettings is the module parameter main.bicep fills from its own var.
    const main = file('main.bicep');
    const mod = declaration(main, 'module_declaration', 'functionApp');
    expect(prop(prop(mod.value, 'params'), 'remediationSettings')?.text).toBe('remediationSettings');
    const remediation = obj(evaluate(main, declaration(main, 'variable_declaration', 'remediationSettings').value));
    return { ...host, ...remediation };
  };

  it('runs on Flex Consumption (FC1) with Node 22', () => {
    const plan = declaration(fa(), 'resource_declaration', 'plan');
    expect(evaluate(fa(), prop(plan.value, 'sku'))).toEqual({ name: 'FC1', tier: 'FlexConsumption' });
    const cfg = obj(evaluate(fa(), path(site(), 'properties.functionAppConfig')));
    expect(cfg.runtime).toEqual({ name: 'node', version: '22' });
    expect(obj(cfg.scaleAndConcurrency)).toEqual({
      instanceMemoryMB: { expr: 'instanceMemoryMB' },
      maximumInstanceCount: { expr: 'maximumInstanceCount' },
    });
    const storage = obj(obj(cfg.deployment).storage);
    expect(storage.type).toBe('blobContainer');
    expect(storage.authentication).toEqual({ type: 'UserAssignedIdentity', userAssignedIdentityResourceId: { expr: 'identityId' } });
    expect(evaluate(fa(), path(site(), 'kind'))).toBe('functionapp,linux');
  });

  it('sets every app setting the code reads, and no REMEDIATION_* setting the code ignores', () => {
    const settings = appSettings();
    const read = [...SETTING_NAMES, 'AZURE_CLIENT_ID'];
    expect(read.filter((n) => !(n in settings))).toEqual([]);
    expect(sorted(Object.keys(settings).filter((k) => /^(REMEDIATION_|ARM_)/.test(k)))).toEqual(sorted(SETTING_NAMES));
    // the design.md settings table, which the operator reads, agrees with what is deployed
    const design = readFileSync(join(__dirname, '..', 'docs', 'design.md'), 'utf8');
    const documented = [...design.matchAll(/^\| `([A-Za-z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.length).toBeGreaterThanOrEqual(19);
    const expected = documented.map((n) => (n === 'AzureWebJobsStorage' ? 'AzureWebJobsStorage__accountName' : n));
    expect(expected.filter((n) => !(n in settings))).toEqual([]);
  });

  it('connects to storage and App Insights with the managed identity, never a key', () => {
    const settings = appSettings();
    expect(settings.AzureWebJobsStorage__accountName).toEqual({ expr: 'storageAccountName' });
    expect(settings.AzureWebJobsStorage__credential).toBe('managedidentity');
    expect(settings.AzureWebJobsStorage__clientId).toEqual({ expr: 'identityClientId' });
    expect(settings.AZURE_CLIENT_ID).toEqual({ expr: 'identityClientId' });
    expect(settings.APPLICATIONINSIGHTS_AUTHENTICATION_STRING).toBe('ClientId=${identityClientId};Authorization=AAD');
    expect('AzureWebJobsStorage' in settings).toBe(false);
    const keyish = Object.keys(settings).filter((k) => /key|secret|password|sas|connection/i.test(k));
    expect(keyish).toEqual(['APPLICATIONINSIGHTS_CONNECTION_STRING']); // ikey + endpoint; local auth is off
    expect(settings.APPLICATIONINSIGHTS_CONNECTION_STRING).toEqual({ expr: 'appInsightsConnectionString' });
    const main = file('main.bicep');
    const mod = declaration(main, 'module_declaration', 'functionApp');
    expect(prop(prop(mod.value, 'params'), 'appInsightsConnectionString')?.text).toBe('monitoring.outputs.connectionString');
  });

  it('no template fetches or embeds a storage key, SAS or connection string', () => {
    const forbidden = /listKeys\s*\(|listAccountSas|listServiceSas|listSecrets\s*\(|listConnectionStrings|AccountKey|DefaultEndpointsProtocol|SharedAccessSignature|primaryKey|secondaryKey|@secure\(\)/i;
    const hits = [...files.values()].filter((f) => forbidden.test(f.source)).map((f) => `${f.path}: ${f.source.match(forbidden)?.[0]}`);
    expect(hits).toEqual([]);
    expect(forbidden.test("value: storage.listKeys().keys[0].value")).toBe(true);
    expect(forbidden.test('DefaultEndpointsProtocol=https;AccountName=x;AccountKey=y')).toBe(true);
  });

  it('storage accepts only Entra auth over TLS 1.2 HTTPS and holds the work queues', () => {
    const st = file('modules/storage.bicep');
    const p = obj(evaluate(st, path(declaration(st, 'resource_declaration', 'storage').value, 'properties')));
    expect(p.allowSharedKeyAccess).toBe(false);
    expect(p.minimumTlsVersion).toBe('TLS1_2');
    expect(p.supportsHttpsTrafficOnly).toBe(true);
    expect(p.allowBlobPublicAccess).toBe(false);
    expect(p.defaultToOAuthAuthentication).toBe(true);
    expect(evaluate(st, prop(declaration(st, 'resource_declaration', 'workQueue').value, 'name'))).toEqual({ expr: 'queueName' });
    expect(evaluate(st, prop(declaration(st, 'resource_declaration', 'poisonQueue').value, 'name'))).toBe('${queueName}-poison');
    const main = file('main.bicep');
    expect(evaluate(main, declaration(main, 'variable_declaration', 'queueName').value)).toBe('remediate-vm');
  });

  it('secure site defaults: HTTPS only, TLS 1.2, FTP off, basic publishing credentials off', () => {
    const p = obj(evaluate(fa(), path(site(), 'properties')));
    expect(p.httpsOnly).toBe(true);
    const sc = obj(p.siteConfig);
    expect(sc.minTlsVersion).toBe('1.2');
    expect(sc.scmMinTlsVersion).toBe('1.2');
    expect(sc.ftpsState).toBe('Disabled');
    const policies = declarations(fa(), 'resource_declaration').filter((d) =>
      d.typeOrPath?.startsWith('Microsoft.Web/sites/basicPublishingCredentialsPolicies@'),
    );
    expect(sorted(policies.map((d) => String(evaluate(fa(), prop(d.value, 'name')))))).toEqual(['ftp', 'scm']);
    for (const d of policies) {
      expect(evaluate(fa(), prop(d.value, 'parent'))).toEqual({ expr: 'app' });
      expect(evaluate(fa(), path(d.value, 'properties.allow'))).toBe(false);
    }
    expect(obj(evaluate(fa(), prop(site(), 'identity'))).type).toBe('UserAssigned');
    expect(evaluate(fa(), path(site(), 'tags'))).toEqual({ expr: "union(tags, { 'azd-service-name': 'remediator' })" });
  });
});

describe('events', () => {
  const ev = () => file('modules/events.bicep');
  const res = (name: string) => declaration(ev(), 'resource_declaration', name);

  it('the action group calls alertWebhook (route alerts) with the common alert schema', () => {
    const props = obj(evaluate(ev(), path(res('actionGroup').value, 'properties')));
    const receivers = props.azureFunctionReceivers as BicepValue[];
    expect(receivers).toHaveLength(1);
    expect(obj(receivers[0])).toEqual({
      name: 'remediator-alert-intake',
      functionAppResourceId: { expr: 'functionAppId' },
      functionName: 'alertWebhook',
      httpTriggerUrl: 'https://${functionAppHostName}/api/alerts',
      useCommonAlertSchema: true,
    });
    expect(String(props.groupShortName).length).toBeLessThanOrEqual(12);
  });

  it('the alert processing rule routes Azure Backup failures of the target subscriptions only', () => {
    const r = res('backupFailureRouting');
    expect(r.typeOrPath).toBe('Microsoft.AlertsManagement/actionRules@2021-08-08');
    const props = obj(evaluate(ev(), path(r.value, 'properties')));
    expect(props.conditions).toEqual([
      { field: 'MonitorService', operator: 'Equals', values: ['Azure Backup'] },
      { field: 'AlertRuleName', operator: 'Equals', values: ['Backup Failure'] },
    ]);
    expect(props.actions).toEqual([{ actionType: 'AddActionGroups', actionGroupIds: [{ expr: 'actionGroup.id' }] }]);
    const loop = forParts(path(r.value, 'properties.scopes')!);
    expect(loop.source.text).toBe('targetSubscriptionIds');
    expect(loop.body.text).toBe(`'/subscriptions/\${${loop.itemName}}'`);
    const main = file('main.bicep');
    expect(prop(prop(declaration(main, 'module_declaration', 'events').value, 'params'), 'targetSubscriptionIds')?.text).toBe('targets');
  });

  it('the Event Grid topic delivers to eventGridIntake as an Azure Function endpoint', () => {
    expect(obj(evaluate(ev(), path(res('topic').value, 'properties'))).inputSchema).toBe('CloudEventSchemaV1_0');
    const sub = res('intake');
    expect(evaluate(ev(), prop(sub.value, 'parent'))).toEqual({ expr: 'topic' });
    expect(sub.condition).toBe("(enableEventSubscription == 'true')");
    const dest = obj(evaluate(ev(), path(sub.value, 'properties.destination')));
    expect(dest.endpointType).toBe('AzureFunction');
    expect(obj(dest.properties).resourceId).toBe('${functionAppId}/functions/eventGridIntake');
  });
});

describe('azd wiring', () => {
  it('main.bicep is subscription-scoped and creates the resource group', () => {
    const main = file('main.bicep');
    expect(evaluate(main, declarations(main, 'target_scope_assignment')[0].value)).toBe('subscription');
    expect(declarations(main, 'resource_declaration').map((d) => d.typeOrPath)).toEqual(['Microsoft.Resources/resourceGroups@2024-03-01']);
  });

  it('main.parameters.json feeds exactly main.bicep parameters, azd-style, with every required one', () => {
    const main = file('main.bicep');
    const params = declarations(main, 'parameter_declaration');
    const json = JSON.parse(readFileSync(join(INFRA, 'main.parameters.json'), 'utf8')) as { parameters: Record<string, { value: unknown }> };
    const names = params.map((p) => p.name);
    expect(Object.keys(json.parameters).filter((k) => !names.includes(k))).toEqual([]);
    const required = params.filter((p) => p.value === undefined).map((p) => p.name);
    expect(sorted(required)).toEqual(['environmentName', 'location']);
    expect(json.parameters.environmentName.value).toBe('${AZURE_ENV_NAME}');
    expect(json.parameters.location.value).toBe('${AZURE_LOCATION}');
    expect(json.parameters.mode.value).toBe('${REMEDIATION_MODE=dry-run}');
    expect(json.parameters.targetSubscriptionIdsCsv.value).toBe('${REMEDIATION_SUBSCRIPTIONS=}');
    for (const [k, v] of Object.entries(json.parameters)) expect({ k, v: v.value }).toEqual({ k, v: expect.stringMatching(/^\$\{[A-Z_]+(=[^}]*)?\}$/) });
    // parameter defaults in the file agree with the Bicep defaults
    for (const p of params) {
      const v = json.parameters[p.name]?.value;
      const m = typeof v === 'string' ? /^\$\{[A-Z_]+=(.*)\}$/.exec(v) : null;
      if (m && p.value) expect({ p: p.name, d: String(evaluate(main, p.value)) }).toEqual({ p: p.name, d: m[1] });
    }
  });

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

  it('the Bicep defaults load without a configuration error and equal the code defaults', () => {
    const main = file('main.bicep');
    const settings = obj(evaluate(main, declaration(main, 'variable_declaration', 'remediationSettings').value));
    const env: Record<string, string> = {};
    for (const [name, v] of Object.entries(settings)) {
      // values are parameters (or the fixed queue name): resolve them to the parameter defaults
      const param = isExpr(v) ? declarations(main, 'parameter_declaration').find((p) => p.name === v.expr) : undefined;
      const value = param ? evaluate(main, param.value) : v;
      if (typeof value === 'string') env[name] = value;
    }
    expect(Object.keys(env).length).toBeGreaterThanOrEqual(SETTING_NAMES.length - 1); // all but the computed subscriptions
    expect({ ...loadSettings(env), subscriptions: [] }).toEqual({ ...DEFAULT_SETTINGS, subscriptions: [] });
  });

  it('.funcignore keeps what the Functions host runs', () => {
    const patterns = readFileSync(join(ROOT, '.funcignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    for (const kept of ['dist/', 'dist/functions/', 'host.json', 'package.json', 'node_modules/']) expect(patterns).not.toContain(kept);
    expect(patterns).toEqual(expect.arrayContaining(['test/', 'infra/', 'local.settings.json', '*.ts']));
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

describe('templates and function registrations agree', () => {
  const src = (f: string) => readFileSync(join(__dirname, '..', 'functions', f), 'utf8');

  it('the functions the action group and Event Grid call are registered under those names and routes', () => {
    expect(src('alert-webhook.ts')).toMatch(/app\.http\('alertWebhook', \{[^}]*route: 'alerts'[^}]*authLevel: 'function'/);
    expect(src('event-grid.ts')).toMatch(/app\.eventGrid\('eventGridIntake',/);
    for (const f of ['http.ts', 'alert-webhook.ts']) {
      const levels = [...src(f).matchAll(/authLevel: '(\w+)'/g)].map((m) => m[1]);
      expect(levels.length).toBeGreaterThan(0);
      expect(levels.filter((l) => l !== 'function')).toEqual([]);
    }
  });

  it('the timer reads its schedule from the REMEDIATION_SCHEDULE app setting the Bicep sets', () => {
    expect(src('timer.ts')).toContain("schedule: '%REMEDIATION_SCHEDULE%'");
  });
});
