// Managed-identity token endpoint, App Service protocol: @azure/identity (IDENTITY_ENDPOINT +
// X-IDENTITY-HEADER, api-version 2019-08-01) and the Azure CLI (MSI_ENDPOINT + `secret` header,
// api-version 2017-09-01) ask differently: GET with query parameters, or POST with a form body.
import type { IncomingHttpHeaders } from 'node:http';
import { armError, type ArmResponse } from '../errors';
import { makeJwt, DEFAULT_PRINCIPAL_ID } from '../jwt';

export const MSI_SECRET = 'emulator-identity-secret';

export function isTokenPath(path: string): boolean {
  return /^\/msi\/token\/?$/i.test(path);
}

function header(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** `MM/dd/yyyy hh:mm:ss AM +00:00`: the 2017-09-01 protocol's expires_on form. */
function legacyExpiry(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const h = d.getUTCHours();
  return `${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())}/${d.getUTCFullYear()} ${p(h % 12 || 12)}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} ${h < 12 ? 'AM' : 'PM'} +00:00`;
}

export function handleTokenRequest(method: string, query: URLSearchParams, headers: IncomingHttpHeaders, body: unknown, tenantId: string): ArmResponse {
  if (method !== 'GET' && method !== 'POST') return armError(405, 'MethodNotAllowed', 'Use GET or POST.');
  const form = body && typeof body === 'object' ? (body as Record<string, string>) : {};
  const param = (n: string) => query.get(n) ?? form[n];
  if (!header(headers, 'x-identity-header') && !header(headers, 'secret') && !header(headers, 'metadata'))
    return { status: 400, body: { statusCode: 400, message: 'Missing X-IDENTITY-HEADER (or secret) header.' } };
  const resource = param('resource') ?? (param('scope') ? String(param('scope')).replace(/\/\.default$/, '') : undefined);
  if (!resource) return { status: 400, body: { statusCode: 400, message: "The 'resource' parameter is required." } };
  const clientId = param('client_id') ?? param('clientid') ?? DEFAULT_PRINCIPAL_ID;
  const lifetime = 3600;
  const nowS = Math.floor(Date.now() / 1000);
  const token = makeJwt({ tenantId, oid: param('principal_id') ?? param('object_id') ?? DEFAULT_PRINCIPAL_ID, audience: resource, lifetimeSeconds: lifetime, nowSeconds: nowS });
  const legacy = (param('api-version') ?? '').startsWith('2017');
  return {
    status: 200,
    body: {
      access_token: token,
      expires_on: legacy ? legacyExpiry(new Date((nowS + lifetime) * 1000)) : String(nowS + lifetime),
      expires_in: lifetime,
      resource,
      token_type: 'Bearer',
      client_id: clientId,
    },
  };
}
