// Which credential the Function App signs in with. In Azure the app has a user-assigned managed
// identity whose client id is AZURE_CLIENT_ID: ManagedIdentityCredential asks for exactly that
// identity (the production guidance), instead of DefaultAzureCredential probing a chain of sources.
// Outside Azure (`func start` on a laptop) no managed-identity endpoint exists, so the developer's
// own sign-in (DefaultAzureCredential: environment, workload identity, az, azd...) is used. The
// CLI always uses DefaultAzureCredential (cli/target.ts).

import type { TokenCredential } from '@azure/core-auth';
import type * as Identity from '@azure/identity';

export type CredentialChoice = 'managed-identity (user-assigned)' | 'managed-identity (system-assigned)' | 'default-chain';

/** The App Service / Functions runtime sets these when the app has a managed identity. */
function inAzure(env: Record<string, string | undefined>): boolean {
  return Boolean(env.IDENTITY_ENDPOINT?.trim() || env.MSI_ENDPOINT?.trim());
}

export function chooseCredential(env: Record<string, string | undefined>): CredentialChoice {
  if (!inAzure(env)) return 'default-chain';
  return env.AZURE_CLIENT_ID?.trim() ? 'managed-identity (user-assigned)' : 'managed-identity (system-assigned)';
}

export function appCredential(env: Record<string, string | undefined> = process.env): TokenCredential {
  const clientId = env.AZURE_CLIENT_ID?.trim() || undefined;
  // @azure/identity (and MSAL under it) is loaded at the first runtime, not when the app loads.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { DefaultAzureCredential, ManagedIdentityCredential } = require('@azure/identity') as typeof Identity;
  switch (chooseCredential(env)) {
    case 'managed-identity (user-assigned)':
      return new ManagedIdentityCredential({ clientId: clientId! });
    case 'managed-identity (system-assigned)':
      return new ManagedIdentityCredential();
    case 'default-chain':
      return new DefaultAzureCredential(clientId ? { managedIdentityClientId: clientId } : {});
  }
}
