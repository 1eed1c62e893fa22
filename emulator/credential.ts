// A fixed bearer token for tests: no identity provider, no network. The emulator reads the
// principal from the token's `oid`, which is what throttling buckets and the request log key on.
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { makeJwt } from './jwt';

export function staticTokenCredential(token?: string): TokenCredential {
  const value = token ?? makeJwt({ lifetimeSeconds: 24 * 3600 });
  return {
    async getToken(): Promise<AccessToken> {
      return { token: value, expiresOnTimestamp: Date.now() + 3600_000 };
    },
  };
}

/** A token for a named principal, so tests can exercise per-principal throttling buckets. */
export function principalTokenCredential(oid: string, tenantId?: string): TokenCredential {
  return staticTokenCredential(makeJwt({ oid, tenantId, lifetimeSeconds: 24 * 3600 }));
}
