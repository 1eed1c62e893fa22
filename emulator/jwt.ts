// JWT-shaped bearer tokens. Nothing verifies a signature here (the emulator trusts loopback); the
// shape matters because @azure/identity, MSAL and the Azure CLI decode the claims (tid, oid, exp).
import { randomUUID } from 'node:crypto';

export const DEFAULT_TENANT_ID = '72f988bf-0000-4000-8000-00000000e001';
export const DEFAULT_PRINCIPAL_ID = '00000000-0000-4000-8000-0000000a11ce';

function b64url(obj: unknown): string {
  return Buffer.from(JSON.stringify(obj)).toString('base64url');
}

export interface TokenClaims {
  tid: string;
  oid: string;
  aud: string;
  iat: number;
  exp: number;
  [k: string]: unknown;
}

export function makeJwt(opts: { tenantId?: string; oid?: string; audience?: string; lifetimeSeconds?: number; nowSeconds?: number }): string {
  const iat = opts.nowSeconds ?? Math.floor(Date.now() / 1000);
  const tid = opts.tenantId ?? DEFAULT_TENANT_ID;
  const oid = opts.oid ?? DEFAULT_PRINCIPAL_ID;
  const claims: TokenClaims = {
    aud: opts.audience ?? 'https://management.azure.com/',
    iss: `https://sts.windows.net/${tid}/`,
    iat,
    nbf: iat,
    exp: iat + (opts.lifetimeSeconds ?? 3600),
    tid,
    oid,
    sub: oid,
    appid: oid,
    idtyp: 'app',
    uti: randomUUID(),
  };
  return `${b64url({ typ: 'JWT', alg: 'RS256', kid: 'emulator' })}.${b64url(claims)}.${Buffer.from('emulator-signature').toString('base64url')}`;
}

/** The claims of a JWT-shaped token, or undefined when it is not one. */
export function decodeJwt(token: string): Partial<TokenClaims> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return typeof claims === 'object' && claims !== null ? claims : undefined;
  } catch {
    return undefined;
  }
}
