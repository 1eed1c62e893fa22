// The function metadata the Functions host will read: dist/functions/index.js is loaded in a fresh
// Node 22 process with a recording stand-in for the worker's @azure/functions-core, so the real
// @azure/functions library produces the real registrations (names, bindings, types, directions,
// schedule, routes, methods, auth levels, queue names, connections). They are checked as such and
// against the compiled infra: the Event Grid subscription's function, the action group's function
// and route, the queues in storage, and the app settings that %...% and connections refer to.

import { execFileSync } from 'child_process';
import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import { compiledTemplate, deploy, deployedAppSettings, deployedQueues, type Value } from './helpers/arm-template';

const ROOT = join(__dirname, '..');
const NODE22 = join(ROOT, 'node_modules', '.bin', 'node');

interface Binding {
  type: string;
  direction: 'in' | 'out';
  name: string;
  [k: string]: unknown;
}
interface FunctionMetadata {
  name: string;
  bindings: Record<string, Binding>;
}
interface Loaded {
  node: string;
  functions: FunctionMetadata[];
  hooks: string[];
}

let loaded: Loaded;
beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist', 'functions', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does)');
  const node = existsSync(NODE22) ? NODE22 : process.execPath;
  loaded = JSON.parse(execFileSync(node, [join(__dirname, 'helpers', 'load-functions.js'), ROOT], { encoding: 'utf8' })) as Loaded;
}, 60_000);

const fn = (name: string): FunctionMetadata => {
  const f = loaded.functions.find((x) => x.name === name);
  if (!f) throw new Error(`function ${name} is not registered`);
  return f;
};
/** Bindings without their generated names (the library derives them from a hash). */
const bindings = (name: string) =>
  Object.entries(fn(name).bindings).map(([key, b]) => {
    const { name: _generated, properties: _props, ...rest } = b;
    return { key: key === '$return' ? '$return' : 'trigger', ...rest };
  });
const trigger = (name: string) => Object.values(fn(name).bindings).find((b) => b.direction === 'in' && /Trigger$/.test(b.type))!;

describe('registrations as the host receives them', () => {
  it('runs on Node 22 and registers exactly the nine functions plus the appStart hook', () => {
    expect(loaded.node).toMatch(/^v22\./);
    expect(loaded.functions.map((f) => f.name).sort()).toEqual(
      ['alertWebhook', 'decideApproval', 'eventGridIntake', 'getRun', 'listApprovals', 'reconcile', 'remediate', 'remediateVm', 'remediateVmPoison'].sort(),
    );
    expect(loaded.hooks).toEqual(['appStart']);
  });

  it('timer, Event Grid and queue triggers', () => {
    expect(bindings('reconcile')).toEqual([{ key: 'trigger', type: 'timerTrigger', direction: 'in', schedule: '%REMEDIATION_SCHEDULE%', runOnStartup: false }]);
    expect(bindings('eventGridIntake')).toEqual([{ key: 'trigger', type: 'eventGridTrigger', direction: 'in' }]);
    expect(bindings('remediateVm')).toEqual([{ key: 'trigger', type: 'queueTrigger', direction: 'in', queueName: '%REMEDIATION_QUEUE%', connection: 'AzureWebJobsStorage' }]);
    expect(bindings('remediateVmPoison')).toEqual([
      { key: 'trigger', type: 'queueTrigger', direction: 'in', queueName: '%REMEDIATION_QUEUE%-poison', connection: 'AzureWebJobsStorage' },
    ]);
  });

  it('HTTP functions: routes, methods, function-key auth, an http return binding', () => {
    const http = (route: string, method: string) => [
      { key: 'trigger', type: 'httpTrigger', direction: 'in', route, methods: [method], authLevel: 'function' },
      { key: '$return', type: 'http', direction: 'out' },
    ];
    expect(bindings('alertWebhook')).toEqual(http('alerts', 'POST'));
    expect(bindings('remediate')).toEqual(http('remediate', 'POST'));
    expect(bindings('getRun')).toEqual(http('runs/{runId}', 'GET'));
    expect(bindings('listApprovals')).toEqual(http('approvals', 'GET'));
    expect(bindings('decideApproval')).toEqual(http('approvals/{id}', 'POST'));
    expect(loaded.functions.flatMap((f) => Object.values(f.bindings)).filter((b) => b.type === 'httpTrigger' && b.authLevel !== 'function')).toEqual([]);
  });
});

const template = compiledTemplate();
const describeInfra = template ? describe : describe.skip;

describeInfra('registrations agree with the compiled infra', () => {
  const deployed = deploy(template!, { environmentName: 'ci', location: 'westeurope' });
  const settings = deployedAppSettings(deployed);
  /** `%NAME%` expressions resolved against the deployed app settings, as the host does. */
  const resolve = (s: string) =>
    s.replace(/%([^%]+)%/g, (_, n: string) => {
      const v: Value | undefined = settings[n];
      if (typeof v !== 'string') throw new Error(`%${n}% refers to an app setting the infra does not set to a known value`);
      return v;
    });

  it("the Event Grid subscription's function is registered with an Event Grid trigger", () => {
    const sub = deployed.resources.find((r) => r.type === 'Microsoft.EventGrid/topics/eventSubscriptions')!;
    const target = JSON.stringify(sub.raw.properties).match(/'Microsoft\.Web\/sites\/functions', parameters\('functionAppName'\), '(\w+)'/)?.[1];
    expect(target).toBe('eventGridIntake');
    expect(trigger(target!).type).toBe('eventGridTrigger');
  });

  it("the action group's function is registered as HTTP POST at the route its URL calls", () => {
    // The app's action group is the one with a function receiver (the operators' group only e-mails).
    const ag = deployed.resources.find((r) => r.type === 'Microsoft.Insights/actionGroups' && Array.isArray((r.raw.properties as { azureFunctionReceivers?: unknown }).azureFunctionReceivers))!;
    const receiver = (ag.raw.properties as { azureFunctionReceivers: { functionName: string; httpTriggerUrl: string }[] }).azureFunctionReceivers[0];
    const t = trigger(receiver.functionName);
    expect(t.type).toBe('httpTrigger');
    expect(t.methods).toContain('POST');
    const prefix = (JSON.parse(readFileSync(join(ROOT, 'host.json'), 'utf8')) as { extensions: { http: { routePrefix: string } } }).extensions.http.routePrefix;
    expect(receiver.httpTriggerUrl).toBe(`[format('https://{0}/${prefix}/${t.route}', parameters('functionAppHostName'))]`);
  });

  it('the queue triggers read the queues the storage account holds', () => {
    const queues = loaded.functions.map((f) => trigger(f.name)).filter((t) => t.type === 'queueTrigger').map((t) => resolve(String(t.queueName)));
    expect(queues.sort()).toEqual(deployedQueues(deployed));
  });

  it('every %SETTING% and connection refers to an app setting the infra sets', () => {
    const all = loaded.functions.flatMap((f) => Object.values(f.bindings));
    const referenced = all.flatMap((b) => JSON.stringify(b).match(/%[^%"]+%/g) ?? []).map((m) => m.slice(1, -1));
    expect(referenced.length).toBeGreaterThan(0);
    expect(referenced.filter((n) => !(n in settings))).toEqual([]);
    expect(resolve('%REMEDIATION_SCHEDULE%').split(' ')).toHaveLength(6); // NCRONTAB with seconds
    // An identity-based connection is the setting name plus __accountName / __credential / __clientId.
    const connections = [...new Set(all.map((b) => b.connection).filter((c): c is string => typeof c === 'string'))];
    expect(connections).toEqual(['AzureWebJobsStorage']);
    for (const c of connections) {
      expect(settings[`${c}__accountName`]).toBeDefined();
      expect(settings[`${c}__credential`]).toBe('managedidentity');
      expect(settings[`${c}__clientId`]).toBeDefined();
    }
  });
});
