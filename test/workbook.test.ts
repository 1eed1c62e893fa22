// The operators' workbook and alert rules, checked against what the code really emits: the
// workbook JSON parses and holds the six panels; every KQL query reads only the dimensions
// lib/telemetry.ts puts on log records, log messages the code writes, and outcome and action
// values the code produces; main.bicep wires both modules, with e-mail receivers as a parameter.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ITEM_OUTCOMES } from '../lib/report/outcome';
import { ITEM_OUTCOME_MESSAGE, TELEMETRY_DIMENSIONS } from '../lib/telemetry';
import { ACTION_KINDS } from '../lib/types';
import { declarations, parseBicep, syntaxProblems } from './helpers/bicep';

const root = join(__dirname, '..');
const read = (rel: string): string => readFileSync(join(root, rel), 'utf8');

interface WorkbookItem { type: number; name: string; content: { query?: string; title?: string; visualization?: string; resourceType?: string } }
const workbook = JSON.parse(read('infra/modules/remediation-workbook.json')) as { version: string; items: WorkbookItem[] };
const panels = workbook.items.filter((i) => i.type === 3);
const alertQueries = [...read('infra/modules/alerts.bicep').matchAll(/query: '''([\s\S]*?)'''/g)].map((m) => m[1]);
const queries = [...panels.map((p) => p.content.query!), ...alertQueries];

// Attributes on log records besides the six dimensions (lib/telemetry.ts itemRecord).
const EXTRA_ATTRIBUTES = ['nextStep', 'mode', 'findings', 'proposalId', 'expiresAt'];
// Action statuses of the write log lines (lib/execute.ts) besides the item outcomes.
const ACTION_STATUSES = ['applied', 'failed'];
const sources = ['lib/engine.ts', 'lib/execute.ts', 'lib/service.ts', 'lib/telemetry.ts'].map(read).join('\n');

describe('workbook', () => {
  it('is a workbook of the six panels an operator asked for, each a query over Application Insights', () => {
    expect(workbook.version).toBe('Notebook/1.0');
    expect(panels.map((p) => p.name)).toEqual(['runs-over-time', 'failures-by-error-code', 'fixes-by-kind', 'resolved-vs-escalated', 'escalated-vms', 'pending-approvals']);
    for (const p of panels) {
      expect(p.content.query!.trim().startsWith('traces')).toBe(true);
      expect(p.content.resourceType).toBe('microsoft.insights/components');
      expect(p.content.title!.length).toBeGreaterThan(0);
    }
    expect(panels.find((p) => p.name === 'escalated-vms')!.content.query).toMatch(/nextStep/);
  });

  it('has three alert queries: escalations (split per VM), the poison queue and pending approvals', () => {
    expect(alertQueries).toHaveLength(3);
    expect(alertQueries[0]).toMatch(/"escalated"/);
    expect(alertQueries[1]).toMatch(/poison message recorded/);
    expect(alertQueries[2]).toMatch(/message == "approval pending"/);
  });

  it.each(queries.map((q, i) => [i, q]))('query %i reads only dimensions the code emits', (_i, query) => {
    const used = [...String(query).matchAll(/customDimensions\.(\w+)/g)].map((m) => m[1]);
    for (const d of used) expect([...TELEMETRY_DIMENSIONS, ...EXTRA_ATTRIBUTES]).toContain(d);
  });

  it.each(queries.map((q, i) => [i, q]))('query %i matches messages, outcomes and actions the code produces', (_i, query) => {
    const q = String(query);
    for (const [, msg] of q.matchAll(/message == "([^"]+)"/g)) {
      if (msg === ITEM_OUTCOME_MESSAGE) continue;
      // A log line the engine or the service writes, word for word.
      expect(sources).toContain(`'${msg}'`);
    }
    const outcomeValues = [...q.matchAll(/outcome\)? (?:==|in) \(?("[^)\n]+)/g)].flatMap((m) => [...m[1].matchAll(/"([^"]+)"/g)].map((x) => x[1]));
    for (const o of outcomeValues) expect([...ITEM_OUTCOMES, ...ACTION_STATUSES]).toContain(o);
    const actionValues = [...q.matchAll(/action in \(([^)]+)\)/g)].flatMap((m) => [...m[1].matchAll(/"([^"]+)"/g)].map((x) => x[1]));
    expect(actionValues.sort()).toEqual(actionValues.length ? [...ACTION_KINDS].sort() : []);
  });

  it('every dimension of the telemetry is used by some query (the workbook covers them all)', () => {
    const used = new Set(queries.flatMap((q) => [...q.matchAll(/customDimensions\.(\w+)/g)].map((m) => m[1])));
    for (const d of TELEMETRY_DIMENSIONS) expect(used).toContain(d);
  });
});

describe('bicep wiring', () => {
  it('main.bicep deploys the workbook and the alerts over the monitoring module, e-mails from a parameter', async () => {
    const main = await parseBicep(join(root, 'infra/main.bicep'));
    const alerts = await parseBicep(join(root, 'infra/modules/alerts.bicep'));
    const workbookModule = await parseBicep(join(root, 'infra/modules/workbook.bicep'));
    for (const f of [main, alerts, workbookModule]) expect(syntaxProblems(f.root)).toEqual([]);
    const modules = declarations(main, 'module_declaration').map((m) => String(m.typeOrPath));
    expect(modules).toEqual(expect.arrayContaining(['modules/workbook.bicep', 'modules/alerts.bicep']));
    expect(read('infra/main.bicep')).toMatch(/appInsightsId: monitoring\.outputs\.appInsightsId/);
    expect(declarations(alerts, 'parameter_declaration').map((p) => p.name)).toContain('alertEmailAddresses');
    expect(read('infra/modules/alerts.bicep')).toMatch(/emailReceivers: \[for \(address, i\) in alertEmailAddresses/);
    expect(read('infra/modules/workbook.bicep')).toMatch(/loadTextContent\('remediation-workbook\.json'\)/);
    expect(JSON.parse(read('infra/main.parameters.json')).parameters.alertEmails.value).toBe('${REMEDIATION_ALERT_EMAILS=}');
  });
});
