import { KqlError, parseKql, runKql, type KqlTable, type Row } from '../emulator/kql';

const NOW = new Date('2026-11-20T06:00:00Z');

function job(name: string, status: string, startTime: string, extra: Record<string, unknown> = {}): Row {
  return {
    id: `/subscriptions/s1/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v/backupJobs/${name}`,
    name,
    type: 'microsoft.recoveryservices/vaults/backupjobs',
    subscriptionId: 's1',
    resourceGroup: 'rg',
    properties: { status, operation: 'Backup', backupManagementType: 'AzureIaasVM', startTime, entityFriendlyName: name.toUpperCase(), ...extra },
  };
}

const JOBS: Row[] = [
  job('j1', 'Failed', '2026-11-20T01:00:00Z', { errorDetails: [{ errorCode: 400236 }] }),
  job('j2', 'Completed', '2026-11-19T05:00:00Z'),
  job('j3', 'Failed', '2026-11-18T01:00:00Z'),
  job('j4', 'InProgress', '2026-11-20T05:30:00Z'),
  { ...job('j5', 'Failed', '2026-11-20T02:00:00Z'), properties: { status: 'Failed', operation: 'ConfigureBackup', backupManagementType: 'AzureIaasVM', startTime: '2026-11-20T02:00:00Z' } },
];
const TABLES: Record<string, KqlTable> = {
  recoveryservicesresources: { columns: ['id', 'name', 'type', 'subscriptionId', 'resourceGroup', 'properties'], rows: JOBS },
};
const source = (t: string) => TABLES[t.toLowerCase()];
const run = (q: string) => runKql(q, source, NOW);
const names = (q: string) => run(q).rows.map((r) => r['name']);

describe('KQL subset', () => {
  it('answers the engine query: type, management type, operation and a todatetime window', () => {
    const q = `RecoveryServicesResources
      | where type =~ 'Microsoft.RecoveryServices/vaults/backupJobs'
      | where properties.backupManagementType =~ 'AzureIaasVM' and properties.operation =~ 'Backup'
      | where todatetime(properties.startTime) >= datetime(2026-11-19T06:00:00Z)
      | project id, name, subscriptionId, resourceGroup, properties`;
    const r = run(q);
    expect(r.columns).toEqual(['id', 'name', 'subscriptionId', 'resourceGroup', 'properties']);
    expect(r.rows.map((x) => x['name'])).toEqual(['j1', 'j4']);
  });

  it('== is case-sensitive, =~ is not; in~ and !in', () => {
    expect(names(`RecoveryServicesResources | where properties.status == 'failed'`)).toEqual([]);
    expect(names(`RecoveryServicesResources | where properties.status =~ 'failed'`)).toEqual(['j1', 'j3', 'j5']);
    expect(names(`RecoveryServicesResources | where properties.status in~ ('FAILED', 'inprogress')`)).toEqual(['j1', 'j3', 'j4', 'j5']);
    expect(names(`RecoveryServicesResources | where properties.status !in ('Failed', 'InProgress')`)).toEqual(['j2']);
    expect(names(`RecoveryServicesResources | where properties.status != 'Failed'`)).toEqual(['j2', 'j4']);
    // in (case-sensitive) over string literals, and a list mixing types (no Set shortcut): the same rules.
    expect(names(`RecoveryServicesResources | where properties.status in ('failed', 'InProgress')`)).toEqual(['j4']);
    expect(names(`RecoveryServicesResources | where tostring(properties.status) in ('Failed', 1)`)).toEqual(['j1', 'j3', 'j5']);
    expect(names(`RecoveryServicesResources | where properties.status in~ ('')`)).toEqual([]);
  });

  it('ago(), now() arithmetic, or with parentheses, contains/startswith', () => {
    expect(names(`RecoveryServicesResources | where todatetime(properties.startTime) > ago(1d)`)).toEqual(['j1', 'j4', 'j5']);
    expect(names(`RecoveryServicesResources | where todatetime(properties.startTime) > now() - 2h`)).toEqual(['j4']);
    expect(names(`RecoveryServicesResources | where (properties.status == 'Completed' or properties.status == 'InProgress') and name startswith 'J'`)).toEqual(['j2', 'j4']);
    expect(names(`RecoveryServicesResources | where id contains '/BACKUPJOBS/j3'`)).toEqual(['j3']);
    expect(names(`RecoveryServicesResources | where name !contains 'j' `)).toEqual([]);
  });

  it('project names bare paths like ARG, extend and tostring, order by (desc default), take', () => {
    const r = run(`RecoveryServicesResources | extend st = todatetime(properties.startTime) | order by st | take 2 | project name, properties.status, code = tostring(properties.errorDetails[0].errorCode)`);
    expect(r.columns).toEqual(['name', 'properties_status', 'code']);
    expect(r.rows).toEqual([
      { name: 'j4', properties_status: 'InProgress', code: '' },
      { name: 'j5', properties_status: 'Failed', code: '' },
    ]);
    expect(names(`RecoveryServicesResources | order by name asc | limit 3`)).toEqual(['j1', 'j2', 'j3']);
    expect(run(`RecoveryServicesResources | where name == 'j1' | project code = toint(properties.errorDetails[0].errorCode)`).rows).toEqual([{ code: 400236 }]);
  });

  it('summarize count() by, arg_max(..., *) by, count', () => {
    expect(run(`RecoveryServicesResources | summarize n = count() by status = tostring(properties.status) | order by status asc`).rows).toEqual([
      { status: 'Completed', n: 1 },
      { status: 'Failed', n: 3 },
      { status: 'InProgress', n: 1 },
    ]);
    const latest = run(`RecoveryServicesResources | extend st = todatetime(properties.startTime) | summarize arg_max(st, *) by subscriptionId`);
    expect(latest.rows).toHaveLength(1);
    expect(latest.rows[0]!['name']).toBe('j4');
    expect(latest.columns.slice(0, 2)).toEqual(['subscriptionId', 'st']);
    expect(run(`RecoveryServicesResources | where properties.status == 'Failed' | count`).rows).toEqual([{ Count: 3 }]);
  });

  it('reduces in the query: arg_max over a conditional datetime with maxif beside it, strcat and split', () => {
    const r = run(`RecoveryServicesResources
      | extend st = todatetime(properties.startTime), status = tolower(tostring(properties.status))
      | extend item = strcat(tostring(split(tolower(id), '/backupjobs/')[0]), '|', subscriptionId)
      | extend failedAt = iff(status == 'failed', st, datetime(null))
      | summarize arg_max(failedAt, *), laterAt = maxif(st, status in ('inprogress', 'completed')), n = count() by item
      | where isnotnull(failedAt)
      | project item, name, failedAt, laterAt, n`);
    expect(r.rows).toEqual([
      {
        item: '/subscriptions/s1/resourcegroups/rg/providers/microsoft.recoveryservices/vaults/v|s1',
        name: 'j5',
        failedAt: new Date('2026-11-20T02:00:00Z'),
        laterAt: new Date('2026-11-20T05:30:00Z'),
        n: 5,
      },
    ]);
    expect(() => run('RecoveryServicesResources | summarize arg_max(name, *), arg_min(name, *)')).toThrow(/more than one arg_max/);
  });

  it.each([
    ['RecoveryServicesResources | join (Resources) on id', /unsupported KQL: tabular operator 'join'/],
    ['RecoveryServicesResources | mv-expand properties.errorDetails', /unsupported KQL: tabular operator 'mv-expand'/],
    ['RecoveryServicesResources | where properties.startTime >= ago(1d)', /dynamic and datetime/],
    ['RecoveryServicesResources | where name matches regex "j.*"', /unsupported KQL/],
    ['RecoveryServicesResources | where parse_json(name) == 1', /unsupported KQL: function 'parse_json\(\)'/],
    ['SecurityResources | take 1', /unsupported KQL: table 'SecurityResources'/],
    ['RecoveryServicesResources | where nosuch == 1', /unknown column 'nosuch'/],
    ['RecoveryServicesResources | where name = 1', /use '=='/],
    ['RecoveryServicesResources | project tolower(name)', /give 'tolower\(name\)' a name/],
    ['', /empty/],
  ])('refuses %s', (q, msg) => {
    expect(() => run(q)).toThrow(KqlError);
    expect(() => run(q)).toThrow(msg);
  });

  it('parses datetime literals quoted and unquoted and keeps comments out', () => {
    const p = parseKql(`Resources // all of them
      | where todatetime(x) > datetime("2026-01-01") and todatetime(x) < datetime(2026-01-02 10:00)`);
    expect(p.table).toBe('Resources');
    expect(p.ops).toHaveLength(1);
  });
});
