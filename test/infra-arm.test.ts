// Checks the ARM template the real Bicep compiler produced from infra/ (infra/bicep/check.js, run
// by `npm test`): what Azure would receive, not the Bicep text. Every resource type and API
// version, the custom roles, identity-only storage, the app settings against the code's settings,
// the queues and ledger tables against the code's names, and no secret anywhere in an output.
// Without the compiler (no .NET SDK on this machine) the suite is skipped with a notice; CI fails.

import { readFileSync } from 'fs';
import { join } from 'path';
import { isReadOnlyOperation, permissionFor, permissionKind } from '../lib/arm/permissions';
import { DEFAULT_SETTINGS, loadSettings, SETTING_NAMES } from '../lib/config';
import { createLedger } from '../lib/ledger';
import { createLocalTables } from '../cli/local-tables';
import { compiledTemplate, deploy, deployedAppSettings, deployedQueues, isUnresolved, type DeployedResource, type Value } from './helpers/arm-template';

const template = compiledTemplate();
const describeCompiled = template ? describe : describe.skip;
if (!template) console.warn('infra-arm: skipped, the Bicep compiler is not available here (see the [bicep] notice of `npm test`)');

const PARAMS = { environmentName: 'ci', location: 'westeurope' };
const deployed = template ? deploy(template, PARAMS) : { resources: [], deployments: [] };
const ofType = (type: string, mode = deployed) => mode.resources.filter((r) => r.type === type);
const one = (type: string, mode = deployed): DeployedResource => {
  const found = ofType(type, mode);
  if (found.length !== 1) throw new Error(`${found.length} resources of type ${type}`);
  return found[0];
};
const props = (r: DeployedResource) => r.resource.properties as Record<string, Value>;
const lower = (xs: Iterable<string>) => [...xs].map((x) => x.toLowerCase()).sort();

describeCompiled('compiled ARM template (infra/main.bicep through Bicep)', () => {
  it('holds exactly these resource types at these API versions', () => {
    const seen = deployed.resources.map((r) => `${r.type}@${r.apiVersion}`);
    expect([...new Set(seen)].sort()).toEqual(
      [
        'Microsoft.AlertsManagement/actionRules@2021-08-08',
        'Microsoft.Authorization/roleAssignments@2022-04-01',
        'Microsoft.Authorization/roleDefinitions@2022-04-01',
        'Microsoft.EventGrid/topics/eventSubscriptions@2022-06-15',
        'Microsoft.EventGrid/topics@2022-06-15',
        'Microsoft.Insights/actionGroups@2023-01-01',
        'Microsoft.Insights/components@2020-02-02',
        'Microsoft.Insights/metricAlerts@2018-03-01',
        'Microsoft.Insights/scheduledQueryRules@2023-12-01',
        'Microsoft.Insights/workbooks@2023-06-01',
        'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31',
        'Microsoft.OperationalInsights/workspaces@2023-09-01',
        'Microsoft.Resources/deployments@2025-04-01',
        'Microsoft.Resources/resourceGroups@2024-03-01',
        'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01',
        'Microsoft.Storage/storageAccounts/blobServices@2023-05-01',
        'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01',
        'Microsoft.Storage/storageAccounts/queueServices@2023-05-01',
        'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01',
        'Microsoft.Storage/storageAccounts/tableServices@2023-05-01',
        'Microsoft.Storage/storageAccounts@2023-05-01',
        'Microsoft.Web/serverfarms@2024-04-01',
        'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01',
        'Microsoft.Web/sites@2024-04-01',
      ].sort(),
    );
  });

  describe('custom roles', () => {
    const actions = (roleName: RegExp): string[] => {
      const role = ofType('Microsoft.Authorization/roleDefinitions').find((r) => roleName.test(String(props(r).roleName)));
      if (!role) throw new Error(`no role ${roleName}`);
      const perms = props(role).permissions as Record<string, Value>[];
      expect(perms).toHaveLength(1);
      expect([perms[0].notActions, perms[0].dataActions, perms[0].notDataActions]).toEqual([[], [], []]);
      return perms[0].actions as string[];
    };
    // The engine's ARM calls, one request per kind (see test/permissions.test.ts for the same
    // mapping over the request log of real engine runs): the roles must hold exactly what
    // lib/arm/permissions.ts derives from them.
    const SUB = '/subscriptions/00000000-0000-4000-8000-000000000001';
    const VM = `${SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm`;
    const VAULT = `${SUB}/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v`;
    const ITEM = `${VAULT}/backupFabrics/Azure/protectionContainers/c/protectedItems/i`;
    const RPC = `${SUB}/resourceGroups/rg/providers/Microsoft.Compute/restorePointCollections/AzureBackup_vm`;
    const READS: [string, string][] = [
      ['GET', `${SUB}/providers/Microsoft.RecoveryServices/vaults`],
      ['GET', `${VAULT}/backupJobs`],
      ['GET', `${VAULT}/backupFabrics/Azure/protectionContainers/c`],
      ['GET', ITEM],
      ['GET', `${VAULT}/backupProtectedItems`],
      ['GET', VM],
      ['GET', `${VM}/instanceView`],
      ['GET', `${VM}/extensions`],
      ['GET', RPC],
      ['GET', `${RPC}/restorePoints/p`],
      ['GET', `${SUB}/providers/Microsoft.Authorization/locks`],
      ['POST', '/providers/Microsoft.ResourceGraph/resources'],
      ['GET', `${SUB}/resourceGroups/rg`],
      // Confirmed network diagnosis: the NIC, its effective rules and routes (POSTs that only read) and their polling.
      ['GET', `${SUB}/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/nic`],
      ['POST', `${SUB}/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/nic/effectiveNetworkSecurityGroups`],
      ['POST', `${SUB}/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/nic/effectiveRouteTable`],
      ['GET', `${SUB}/providers/Microsoft.Network/locations/westeurope/operations/o`],
      ['GET', `${SUB}/providers/Microsoft.Network/locations/westeurope/operationResults/o`],
    ];
    const WRITES: [string, string][] = [
      ['DELETE', `${VM}/extensions/VMSnapshot`],
      ['DELETE', RPC],
      ['POST', `${ITEM}/backup`],
    ];
    const POLLING: [string, string][] = [
      ['GET', `${SUB}/providers/Microsoft.Compute/locations/westeurope/operations/o`],
      ['GET', `${ITEM}/operationResults/o`],
      ['GET', `${ITEM}/operationsStatus/o`],
    ];
    const derive = (calls: [string, string][]) => calls.map(([m, p]) => permissionFor(m, p) ?? `unmapped ${m} ${p}`);

    it('reader = the operations of the dry-run reads, all of them reads', () => {
      const reader = actions(/^Backup Remediator Reader \(ci\)$/);
      expect(lower(reader)).toEqual(lower(derive(READS)));
      expect(reader.filter((a) => (permissionKind(a) !== 'read' && !isReadOnlyOperation(a)) || a.includes('*'))).toEqual([]);
    });

    it('operator = reader + the three documented writes + the polling reads, no wildcard', () => {
      const operator = actions(/^Backup Remediator Operator \(ci\)$/);
      expect(new Set(lower(operator)).size).toBe(operator.length);
      expect(lower(operator)).toEqual(lower(derive([...READS, ...WRITES, ...POLLING])));
      expect(lower(operator.filter((a) => permissionKind(a) !== 'read' && !isReadOnlyOperation(a)))).toEqual(lower(derive(WRITES)));
      expect(operator.filter((a) => a.includes('*'))).toEqual([]);
    });

    it('both are assignable only at the target subscriptions, and the mode picks which is assigned', () => {
      for (const r of ofType('Microsoft.Authorization/roleDefinitions')) {
        expect(props(r).type).toBe('CustomRole');
        expect(r.raw.properties).toMatchObject({ assignableScopes: "[variables('assignableScopes')]" });
      }
      const roles = deployed.deployments.find((d) => d.name.join('/') === 'remediator-roles')!;
      expect(roles.template.variables).toMatchObject({
        copy: [{ name: 'assignableScopes', input: "[format('/subscriptions/{0}', parameters('targetSubscriptionIds')[copyIndex('assignableScopes')])]" }],
      });
      const assignmentName = (mode: string) => {
        const d = deploy(template!, { ...PARAMS, mode }).deployments.find((x) => x.name.join('/').includes('remediator-access'))!;
        return d.scope.parameters.roleDefinitionName;
      };
      const roleNames = ofType('Microsoft.Authorization/roleDefinitions').map((r) => r.resource.name);
      expect(assignmentName('dry-run')).toEqual(roleNames[0]);
      expect(assignmentName('apply')).toEqual(roleNames[1]);
      expect(roleNames.every(isUnresolved)).toBe(true); // guid(tenant()...) needs Azure; the two differ
      expect(roleNames[0]).not.toEqual(roleNames[1]);
    });

    describe('the guest-fix role (Run Command) is separate and exists only when guest fixes are enabled', () => {
      const guestRole = (d = deployed) => ofType('Microsoft.Authorization/roleDefinitions', d).find((r) => /Guest Fixer/.test(String(props(r).roleName)))!;
      const guestAccess = (d: typeof deployed) => d.resources.find((r) => r.type === 'Microsoft.Resources/deployments' && String(r.raw.name).includes('remediator-guest-access'))!;
      const enabled = (mode: string) => deploy(template!, { ...PARAMS, mode, guestFixesEnabled: 'true', guestFixCodes: 'ExtensionFailedVssWriterInBadState' });

      it('off by default: no role, no assignment, no guest fix code reaches the app', () => {
        expect(guestRole().resource.condition).toBe(false);
        expect(guestAccess(deploy(template!, { ...PARAMS, mode: 'apply', guestFixCodes: 'ExtensionFailedVssWriterInBadState' })).resource.condition).toBe(false);
        expect(deployedAppSettings(deploy(template!, { ...PARAMS, guestFixCodes: 'ExtensionFailedVssWriterInBadState' })).REMEDIATION_GUEST_FIX_CODES).toBe('');
      });

      it('enabled: the role holds exactly Run Command (no read, no wildcard), assigned only in apply mode', () => {
        const on = enabled('apply');
        expect(guestRole(on).resource.condition).toBe(true);
        const perms = props(guestRole(on)).permissions as Record<string, Value>[];
        expect(perms).toHaveLength(1);
        expect(lower(perms[0].actions as string[])).toEqual(lower(derive([['POST', `${VM}/runCommand`]])));
        expect([perms[0].notActions, perms[0].dataActions, perms[0].notDataActions]).toEqual([[], [], []]);
        expect(guestAccess(on).resource.condition).toBe(true);
        expect(guestAccess(enabled('dry-run')).resource.condition).toBe(false);
        const assignment = on.deployments.find((d) => d.name.join('/').includes('remediator-guest-access'))!;
        expect(assignment.scope.parameters.roleDefinitionName).toEqual(guestRole(on).resource.name);
        expect(deployedAppSettings(on).REMEDIATION_GUEST_FIX_CODES).toBe('ExtensionFailedVssWriterInBadState');
      });

      it('the operator role does not hold Run Command', () => {
        expect(lower(actions(/^Backup Remediator Operator \(ci\)$/))).not.toContain('microsoft.compute/virtualmachines/runcommand/action');
      });
    });

    it('every role assignment targets the target subscription or a resource the app owns', () => {
      const scopes = ofType('Microsoft.Authorization/roleAssignments').map((r) => `${r.deployment.join('/')}:${String(r.raw.scope ?? '(deployment scope)')}`);
      expect(scopes.map((s) => s.replace(/^\[format\('remediator-access-.*?:/, 'remediator-access:'))).toEqual(
        expect.arrayContaining([
          "storage:[resourceId('Microsoft.Storage/storageAccounts', parameters('name'))]",
          "monitoring:[resourceId('Microsoft.Insights/components', parameters('appInsightsName'))]",
          "events:[resourceId('Microsoft.Storage/storageAccounts/blobServices/containers', parameters('storageAccountName'), 'default', 'eventgrid-deadletter')]",
        ]),
      );
      // The fifth is the guest-fix role's, deployed only with guest fixes enabled in apply mode (see below).
      expect(scopes).toHaveLength(5);
      expect(scopes.filter((x) => x.startsWith("[format('remediator-guest-access-"))).toHaveLength(1);
      const access = deployed.resources.find((r) => r.type === 'Microsoft.Resources/deployments' && String(r.raw.name).includes('remediator-access'))!;
      expect(access.raw.subscriptionId).toBe("[variables('targets')[copyIndex()]]");
      expect(JSON.stringify(template)).not.toMatch(/managementGroup|tenantResourceId\(/);
    });
  });

  describe('storage', () => {
    it('accepts only Entra identities over HTTPS TLS 1.2: shared keys off', () => {
      expect(props(one('Microsoft.Storage/storageAccounts'))).toMatchObject({
        allowSharedKeyAccess: false,
        allowBlobPublicAccess: false,
        defaultToOAuthAuthentication: true,
        minimumTlsVersion: 'TLS1_2',
        supportsHttpsTrafficOnly: true,
      });
    });

    it('holds the queue the code uses and its poison queue', () => {
      expect(deployedQueues(deployed)).toEqual([DEFAULT_SETTINGS.queueName, `${DEFAULT_SETTINGS.queueName}-poison`]);
    });

    it('pre-creates exactly the ledger tables the code opens', async () => {
      const ledger = await createLedger({ tableClient: createLocalTables(), prefix: DEFAULT_SETTINGS.ledgerPrefix });
      const storage = deployed.deployments.find((d) => d.name.join('/') === 'storage')!;
      const prefix = deployed.deployments[0].scope.parameters.ledgerPrefix;
      const suffixes = (template!.variables as Record<string, string[]>).ledgerTableSuffixes;
      expect(suffixes.map((s) => `${prefix}${s}`).sort()).toEqual(Object.values(ledger.tables).sort());
      // main.bicep passes <prefix><suffix> for each suffix; the storage module creates one table per name
      const main = deployed.resources.find((r) => r.type === 'Microsoft.Resources/deployments' && r.raw.name === 'storage')!;
      expect((main.raw.properties as { parameters: Record<string, unknown> }).parameters.tableNames).toEqual({
        copy: [{ name: 'value', count: "[length(variables('ledgerTableSuffixes'))]", input: "[format('{0}{1}', parameters('ledgerPrefix'), variables('ledgerTableSuffixes')[copyIndex('value')])]" }],
      });
      const tables = ofType('Microsoft.Storage/storageAccounts/tableServices/tables')[0].raw;
      expect(tables.copy).toEqual({ name: 'tables', count: "[length(parameters('tableNames'))]" });
      expect(tables.name).toBe("[format('{0}/{1}/{2}', parameters('name'), 'default', parameters('tableNames')[copyIndex()])]");
      expect(storage.template.parameters).toHaveProperty('tableNames');
    });
  });

  describe('function app', () => {
    const site = () => one('Microsoft.Web/sites');
    const settings = (): Record<string, Value> => {
      // appSettings is a copy loop over items(union(hostSettings, remediationSettings)): evaluate its source.
      const raw = (site().raw.properties as { siteConfig: { copy: { name: string; count: string }[] } }).siteConfig.copy[0];
      expect(raw.name).toBe('appSettings');
      expect(raw.count).toBe("[length(items(union(variables('hostSettings'), parameters('remediationSettings'))))]");
      return deployedAppSettings(deployed);
    };

    it('runs on Flex Consumption with Node 22, deploys from its blob container with the identity', () => {
      expect(one('Microsoft.Web/serverfarms').resource.sku).toEqual({ name: 'FC1', tier: 'FlexConsumption' });
      expect(site().resource.kind).toBe('functionapp,linux');
      const cfg = props(site()).functionAppConfig as Record<string, Record<string, Value>>;
      expect(cfg.runtime).toEqual({ name: 'node', version: '22' });
      expect(cfg.deployment.storage).toMatchObject({ type: 'blobContainer', authentication: { type: 'UserAssignedIdentity' } });
      expect(cfg.scaleAndConcurrency).toEqual({ instanceMemoryMB: 2048, maximumInstanceCount: 40 });
    });

    it('sets every setting the code reads and no REMEDIATION_* setting the code ignores', () => {
      const names = Object.keys(settings());
      expect([...SETTING_NAMES, 'AZURE_CLIENT_ID'].filter((n) => !names.includes(n))).toEqual([]);
      expect(names.filter((k) => /^(REMEDIATION_|ARM_)/.test(k)).sort()).toEqual([...SETTING_NAMES].sort());
    });

    it('the deployed defaults load without a configuration error and equal the code defaults', () => {
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries(settings())) if (typeof v === 'string') env[k] = v;
      expect(env.ARM_ENDPOINT).toBe('https://management.azure.com/'); // environment().resourceManager in the public cloud
      expect({ ...loadSettings(env), subscriptions: [] }).toEqual({ ...DEFAULT_SETTINGS, subscriptions: [] });
    });

    it('connects to storage and App Insights with the managed identity, never a key', () => {
      const s = settings();
      expect(s.AzureWebJobsStorage__credential).toBe('managedidentity');
      expect('AzureWebJobsStorage' in s).toBe(false);
      expect(Object.keys(s).filter((k) => /key|secret|password|sas|connection/i.test(k))).toEqual(['APPLICATIONINSIGHTS_CONNECTION_STRING']);
      expect(s.APPLICATIONINSIGHTS_AUTHENTICATION_STRING).toBe('ClientId=«?»;Authorization=AAD'); // «?» = the identity's client id, known in Azure
      expect(one('Microsoft.Insights/components').resource.properties).toMatchObject({ DisableLocalAuth: true });
    });

    it('secure site: HTTPS only, TLS 1.2, FTP and basic publishing credentials off, user-assigned identity', () => {
      expect(props(site())).toMatchObject({ httpsOnly: true, siteConfig: { minTlsVersion: '1.2', scmMinTlsVersion: '1.2', ftpsState: 'Disabled' } });
      expect(site().resource.identity).toMatchObject({ type: 'UserAssigned' });
      const policies = ofType('Microsoft.Web/sites/basicPublishingCredentialsPolicies');
      expect(policies.map((p) => String(p.raw.name).match(/'(\w+)'\)\]$/)?.[1]).sort()).toEqual(['ftp', 'scm']);
      expect(policies.map((p) => props(p).allow)).toEqual([false, false]);
      expect(site().raw.tags).toBe("[union(parameters('tags'), createObject('azd-service-name', 'remediator'))]");
    });
  });

  describe('secrets', () => {
    it('no output of any deployment is secure or carries a key, and nothing lists keys', () => {
      const outputs = deployed.deployments.flatMap((d) =>
        Object.entries((d.template.outputs ?? {}) as Record<string, { type: string; value: string }>).map(([name, o]) => ({ at: d.name.join('/') || 'main', name, ...o })),
      );
      expect(outputs.length).toBeGreaterThan(10);
      expect(outputs.filter((o) => /secure/i.test(o.type) || /key|secret|password|sas/i.test(o.name))).toEqual([]);
      const text = JSON.stringify(template);
      expect(text).not.toMatch(/list[A-Za-z]*\(|securestring|secureObject|AccountKey=|SharedAccessSignature/i);
      // the Application Insights connection string is an ingestion endpoint, not a credential (local auth is off)
      expect(outputs.filter((o) => /connection/i.test(o.name)).map((o) => `${o.at}:${o.name}`)).toEqual(['monitoring:connectionString']);
    });
  });

  describe('alerts', () => {
    it('pending approvals raise a log alert to the operators\' action group, split per VM', () => {
      const rules = ofType('Microsoft.Insights/scheduledQueryRules');
      expect(rules.map((r) => r.deployment.join('/'))).toEqual(['alerts', 'alerts', 'alerts']);
      const approvals = rules.find((r) => /approval pending/.test(JSON.stringify(r.raw.properties)))!;
      expect(approvals).toBeDefined();
      const p = props(approvals) as { enabled: boolean; actions: { actionGroups: unknown[] }; criteria: { allOf: { threshold: number; dimensions: { name: string }[] }[] } };
      expect(p.enabled).toBe(true);
      expect(p.criteria.allOf[0]).toMatchObject({ threshold: 0, dimensions: [{ name: 'vmId' }] });
      // The same action group as the escalation alert: the operators'.
      const escalations = rules.find((r) => /escalated a VM/.test(JSON.stringify(r.raw.properties)))!;
      expect(p.actions.actionGroups).toEqual((props(escalations) as { actions: { actionGroups: unknown[] } }).actions.actionGroups);
      expect(JSON.stringify(p.actions.actionGroups)).toMatch(/Microsoft\.Insights\/actionGroups.*actionGroupName/);
    });
  });

  describe('events', () => {
    it('the action group calls alertWebhook on /api/alerts with the common alert schema', () => {
      // The events module's group calls the app; the alerts module's group (operators) only e-mails.
      const groups = ofType('Microsoft.Insights/actionGroups');
      expect(groups.map((g) => g.deployment.join('/')).sort()).toEqual(['alerts', 'events']);
      const appGroup = groups.find((g) => g.deployment.join('/') === 'events')!;
      const receivers = props(appGroup).azureFunctionReceivers as Record<string, Value>[];
      expect(receivers).toHaveLength(1);
      expect(receivers[0]).toMatchObject({ functionName: 'alertWebhook', useCommonAlertSchema: true });
      expect(props(groups.find((g) => g.deployment.join('/') === 'alerts')!).azureFunctionReceivers ?? []).toEqual([]);
      expect(appGroup.raw.properties).toMatchObject({
        azureFunctionReceivers: [{ httpTriggerUrl: "[format('https://{0}/api/alerts', parameters('functionAppHostName'))]" }],
      });
    });

    it('the Event Grid subscription exists only once enabled and targets eventGridIntake', () => {
      const sub = one('Microsoft.EventGrid/topics/eventSubscriptions');
      expect(sub.resource.condition).toBe(false);
      expect(one('Microsoft.EventGrid/topics/eventSubscriptions', deploy(template!, { ...PARAMS, enableEventSubscription: 'true' })).resource.condition).toBe(true);
      expect((sub.raw.properties as { destination: unknown }).destination).toMatchObject({
        endpointType: 'AzureFunction',
        properties: { resourceId: "[resourceId('Microsoft.Web/sites/functions', parameters('functionAppName'), 'eventGridIntake')]" },
      });
    });

    const actionRule = (mode = deployed) => {
      const rules = ofType('Microsoft.AlertsManagement/actionRules', mode);
      return { backup: rules.find((r) => !String(r.resource.name).endsWith('-health'))!, health: rules.find((r) => String(r.resource.name).endsWith('-health'))! };
    };

    it('Backup Health metric alerts reach the same action group only when asked', () => {
      expect(actionRule().health.resource.condition).toBe(false);
      const on = actionRule(deploy(template!, { ...PARAMS, routeBackupHealthMetricAlerts: true })).health;
      expect(on.resource.condition).toBe(true);
      expect(props(on)).toMatchObject({
        conditions: [
          { field: 'MonitorService', operator: 'Equals', values: ['Platform'] },
          { field: 'TargetResourceType', operator: 'Equals', values: ['microsoft.recoveryservices/vaults'] },
        ],
      });
    });

    it('undeliverable events are dead-lettered to a blob container by the topic\'s own identity, and alerted on', () => {
      const sub = one('Microsoft.EventGrid/topics/eventSubscriptions');
      const dl = (sub.raw.properties as { deadLetterWithResourceIdentity: { identity: unknown; deadLetterDestination: { endpointType: string; properties: Record<string, unknown> } } }).deadLetterWithResourceIdentity;
      expect(dl.identity).toEqual({ type: 'SystemAssigned' });
      expect(dl.deadLetterDestination.endpointType).toBe('StorageBlob');
      expect(dl.deadLetterDestination.properties.blobContainerName).toBe('eventgrid-deadletter');
      expect(one('Microsoft.EventGrid/topics').resource.identity).toEqual({ type: 'SystemAssigned' });
      const alert = one('Microsoft.Insights/metricAlerts');
      expect(JSON.stringify(alert.raw.properties)).toMatch(/DeadLetteredCount/);
    });

    it('the alert processing rule routes Azure Backup "Backup Failure" alerts to the action group', () => {
      expect(props(actionRule().backup)).toMatchObject({
        conditions: [
          { field: 'MonitorService', operator: 'Equals', values: ['Azure Backup'] },
          { field: 'AlertRuleName', operator: 'Equals', values: ['Backup Failure'] },
        ],
      });
    });
  });

  describe('azd wiring', () => {
    it('main.parameters.json feeds exactly the template parameters, with the same defaults', () => {
      const defs = template!.parameters as Record<string, { defaultValue?: unknown }>;
      const json = JSON.parse(readFileSync(join(__dirname, '..', 'infra', 'main.parameters.json'), 'utf8')) as { parameters: Record<string, { value: string }> };
      expect(Object.keys(json.parameters).filter((k) => !(k in defs))).toEqual([]);
      expect(Object.keys(defs).filter((k) => defs[k].defaultValue === undefined).sort()).toEqual(['environmentName', 'location']);
      for (const [k, v] of Object.entries(json.parameters)) {
        const m = /^\$\{[A-Z_]+=(.*)\}$/.exec(v.value);
        if (m && typeof defs[k].defaultValue !== 'object') expect({ k, d: String(defs[k].defaultValue) }).toEqual({ k, d: m[1] });
      }
    });
  });
});
