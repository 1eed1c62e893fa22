// Sign-in and access problems, turned into one line that says how to fix them. An operator who is
// not signed in, whose token expired, who is in the wrong tenant or who lacks a role on the
// subscription gets the `az` command or the role to assign, exit 2, and no stack (--verbose adds it).

import { UsageError } from './exit-codes';

export type AccessProblem = 'no-credential' | 'expired' | 'wrong-tenant' | 'no-access' | 'unknown-subscription';

/** A UsageError for Azure access; `cause` is the original error, printed with --verbose. */
export class AzureAccessError extends UsageError {
  constructor(
    readonly problem: AccessProblem,
    message: string,
    override readonly cause: unknown,
  ) {
    super(message);
    this.name = 'AzureAccessError';
  }
}

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  statusCode?: unknown;
  errors?: unknown;
}

const text = (e: ErrorLike): string => (typeof e.message === 'string' ? e.message : '');

// Entra ID error numbers (AADSTS...) for a sign-in that is too old, and for a tenant mismatch.
const EXPIRED_AADSTS = /AADSTS(70043|700082|700084|50173|50078|50076)\b/;
const TENANT_AADSTS = /AADSTS(50020|90002|700016|500011)\b/;

/** What kind of access problem an error is, or undefined when it is something else. */
export function accessProblemOf(err: unknown): AccessProblem | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const e = err as ErrorLike;
  const code = typeof e.code === 'string' ? e.code : '';
  const msg = text(e);
  if (code === 'ExpiredAuthenticationToken' || e.name === 'AuthenticationRequiredError' || EXPIRED_AADSTS.test(msg)) return 'expired';
  if (code === 'InvalidAuthenticationTokenTenant' || TENANT_AADSTS.test(msg)) return 'wrong-tenant';
  if (code === 'AuthorizationFailed' || e.statusCode === 403) return 'no-access';
  if (code === 'SubscriptionNotFound' || code === 'InvalidSubscriptionId') return 'unknown-subscription';
  // An aggregate of unavailable credentials means nothing could sign in; look inside for a more precise cause.
  if (e.name === 'AggregateAuthenticationError' && Array.isArray(e.errors)) {
    for (const inner of e.errors) {
      const p = accessProblemOf(inner);
      if (p && p !== 'no-credential') return p;
    }
    return 'no-credential';
  }
  if (e.name === 'CredentialUnavailableError' || e.name === 'AuthenticationError') return 'no-credential';
  if (e.statusCode === 401) return 'expired';
  return undefined;
}

/** The one line an operator reads: what is wrong and the command or role that fixes it. */
export function accessMessage(problem: AccessProblem, subscription?: string): string {
  const sub = subscription ?? '<subscription-id>';
  switch (problem) {
    case 'no-credential':
      return 'not signed in to Azure: run `az login` (or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET for a service principal), then retry';
    case 'expired':
      return 'the Azure sign-in has expired: run `az login` again, then retry';
    case 'wrong-tenant':
      return `the signed-in account's token is for another tenant than subscription ${sub}: run \`az login --tenant <tenant-of-the-subscription>\` and \`az account set --subscription ${sub}\``;
    case 'no-access':
      return `no access to subscription ${sub}: assign the signed-in identity the "Backup Remediator Reader (<environment>)" role (plan) or "Backup Remediator Operator (<environment>)" role (apply) at /subscriptions/${sub} (built-in Reader is enough for plan), or \`az account set --subscription ${sub}\` if another signed-in account has access`;
    case 'unknown-subscription':
      return `unknown subscription ${sub}: it does not exist or is not visible to the signed-in account; check \`az account list\` and \`az account set --subscription ${sub}\``;
  }
}

/** The AzureAccessError for `err`, or undefined when `err` is not an access problem. */
export function asAccessError(err: unknown, subscription?: string): AzureAccessError | undefined {
  if (err instanceof AzureAccessError) return err;
  const problem = accessProblemOf(err);
  return problem ? new AzureAccessError(problem, accessMessage(problem, subscription), err) : undefined;
}

/** The subscription an ARM error is about, from the ids in its message; for a message outside checkSubscription. */
export function subscriptionIn(err: unknown): string | undefined {
  const m = /\/subscriptions\/([0-9a-f-]{36})/i.exec(text((err ?? {}) as ErrorLike));
  return m?.[1];
}
