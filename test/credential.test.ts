// The Function App's credential: in Azure (a managed-identity endpoint present) it is
// ManagedIdentityCredential for the user-assigned identity named by AZURE_CLIENT_ID, and the token
// request really names that client id (the emulator's token endpoint logs it); locally it is the
// developer's DefaultAzureCredential.

import { DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import { start, type Emulator } from '../emulator';
import { appCredential, chooseCredential } from '../lib/credential';

const CLIENT_ID = '0c0ffee0-1111-4222-8333-444455556666';

describe('app credential', () => {
  it('chooses by what the host provides', () => {
    expect(chooseCredential({ IDENTITY_ENDPOINT: 'http://localhost:8081/msi/token', AZURE_CLIENT_ID: CLIENT_ID })).toBe('managed-identity (user-assigned)');
    expect(chooseCredential({ IDENTITY_ENDPOINT: 'http://localhost:8081/msi/token' })).toBe('managed-identity (system-assigned)');
    expect(chooseCredential({ AZURE_CLIENT_ID: CLIENT_ID })).toBe('default-chain');
    expect(chooseCredential({})).toBe('default-chain');
    expect(appCredential({})).toBeInstanceOf(DefaultAzureCredential);
  });

  describe('in Azure (managed-identity endpoint served by the emulator)', () => {
    let emu: Emulator;
    const saved = { ...process.env };
    beforeAll(async () => {
      emu = await start({ port: 0 });
      process.env.IDENTITY_ENDPOINT = `http://127.0.0.1:${new URL(emu.endpoint).port}/msi/token`;
      process.env.IDENTITY_HEADER = 'x';
    }, 60_000);
    afterAll(async () => {
      for (const k of ['IDENTITY_ENDPOINT', 'IDENTITY_HEADER']) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
      await emu?.stop();
    });

    it('asks the token endpoint for the user-assigned identity AZURE_CLIENT_ID names', async () => {
      const credential = appCredential({ ...process.env, AZURE_CLIENT_ID: CLIENT_ID });
      expect(credential).toBeInstanceOf(ManagedIdentityCredential);
      const token = await credential.getToken('https://management.azure.com/.default');
      expect(token?.token.split('.')).toHaveLength(3);
      const asked = emu.requests.all().filter((r) => r.category === 'token');
      expect(asked.length).toBeGreaterThan(0);
      expect(asked.every((r) => new URLSearchParams(r.query).get('client_id') === CLIENT_ID)).toBe(true);
    });
  });
});
