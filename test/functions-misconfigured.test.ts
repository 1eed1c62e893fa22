// A worker whose storage settings are wrong answers as misconfigured (500 naming the setting), not as
// an upstream Azure failure (502), and makes no ARM request.

import { remediate } from '../functions/http';
import { setRuntime } from '../lib/runtime';
import { context, post } from './helpers/functions';

const VM = '/subscriptions/11111111-1111-4111-8111-111111111111/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm-a';

describe('storage settings are part of the configuration', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
    setRuntime(undefined);
  });

  it.each([
    ['a connection string that is not one', { AzureWebJobsStorage: 'not-a-connection-string' }, 'AzureWebJobsStorage'],
    ['no storage at all', {}, 'AzureWebJobsStorage'],
    ['a bad account name', { AzureWebJobsStorage__accountName: 'Bad_Name' }, 'AzureWebJobsStorage__accountName'],
  ])('%s → 500 Misconfigured naming the setting', async (_name, env, setting) => {
    delete process.env.AzureWebJobsStorage;
    delete process.env.AzureWebJobsStorage__accountName;
    Object.assign(process.env, { REMEDIATION_SUBSCRIPTIONS: '11111111-1111-4111-8111-111111111111' }, env);
    setRuntime(undefined);
    const res = await remediate(post('remediate', JSON.stringify({ vmId: VM })), context('remediate'));
    expect(res.status).toBe(500);
    expect((res.jsonBody as any).error.code).toBe('Misconfigured');
    expect((res.jsonBody as any).error.message).toContain(setting);
  });
});
