// One place that builds the Azure SDK clients the engine uses, all pointed at the same ARM endpoint, the
// same credential, CA, retry settings and pacing policy. Clients are cached per subscription so a run
// reuses connections and the pacer sees every request.
//
// The SDK packages are loaded when the first client of each is made, not when this module is: they
// are most of what a cold start of the Function App would otherwise read (bench/cold-load.ts).
import type { TokenCredential } from '@azure/core-auth';
import type { ComputeManagementClient } from '@azure/arm-compute';
import type { RecoveryServicesBackupClient } from '@azure/arm-recoveryservicesbackup';
import type { RecoveryServicesClient } from '@azure/arm-recoveryservices';
import type { ManagementLockClient } from '@azure/arm-locks';
import type { NetworkManagementClient } from '@azure/arm-network';
import type { ResourceGraphClient } from '@azure/arm-resourcegraph';
import type { ResourceManagementClient } from '@azure/arm-resources';
import { createPacer, type Pacer } from './pacing';
import { sendOncePolicy } from './send-once';

/* eslint-disable @typescript-eslint/no-require-imports -- deliberate lazy loading, see above */
const sdk = {
  compute: (): typeof import('@azure/arm-compute') => require('@azure/arm-compute'),
  backup: (): typeof import('@azure/arm-recoveryservicesbackup') => require('@azure/arm-recoveryservicesbackup'),
  vaults: (): typeof import('@azure/arm-recoveryservices') => require('@azure/arm-recoveryservices'),
  locks: (): typeof import('@azure/arm-locks') => require('@azure/arm-locks'),
  graph: (): typeof import('@azure/arm-resourcegraph') => require('@azure/arm-resourcegraph'),
  resources: (): typeof import('@azure/arm-resources') => require('@azure/arm-resources'),
  network: (): typeof import('@azure/arm-network') => require('@azure/arm-network'),
};
/* eslint-enable @typescript-eslint/no-require-imports */

export const DEFAULT_ARM_ENDPOINT = 'https://management.azure.com';

export interface ArmContext {
  endpoint: string;
  credential: TokenCredential;
  compute(subscriptionId: string): ComputeManagementClient;
  backup(subscriptionId: string): RecoveryServicesBackupClient;
  locks(subscriptionId: string): ManagementLockClient;
  graph(): ResourceGraphClient;
  /** Recovery Services vault listing (vaults.listBySubscriptionId). */
  vaults(subscriptionId: string): RecoveryServicesClient;
  /** Resource groups (tags). */
  resources(subscriptionId: string): ResourceManagementClient;
  /** Network interfaces' effective security rules and routes (read-only diagnosis). */
  network(subscriptionId: string): NetworkManagementClient;
  lroPollIntervalMs: number;
  pacer: Pacer;
}

export interface RetrySettings {
  maxRetries?: number;
  retryDelayInMs?: number;
  maxRetryDelayInMs?: number;
}

export interface CreateArmContextOptions {
  endpoint?: string;
  credential: TokenCredential;
  /** PEM of a CA to trust in addition to the system roots (the emulator's). */
  ca?: string;
  retry?: RetrySettings;
  lroPollIntervalMs?: number;
  pacing?: Pacer;
}

export function createArmContext(opts: CreateArmContextOptions): ArmContext {
  const endpoint = (opts.endpoint ?? DEFAULT_ARM_ENDPOINT).replace(/\/+$/, '');
  let parsed: URL;
  try {
    parsed = new URL(endpoint);
  } catch {
    throw new Error(`ARM endpoint '${endpoint}' is not a URL`);
  }
  // Bearer tokens are only ever sent over TLS; the SDKs refuse otherwise, so fail here with a clear message.
  if (parsed.protocol !== 'https:') throw new Error(`ARM endpoint '${endpoint}' must use https://`);
  const pacer = opts.pacing ?? createPacer();
  const scope = `${parsed.origin}/.default`;
  // 429s are retried inside the pacing policy; this count is for 5xx, 408 and dropped connections.
  const retryOptions = {
    maxRetries: opts.retry?.maxRetries ?? 3,
    retryDelayInMs: opts.retry?.retryDelayInMs ?? 1000,
    maxRetryDelayInMs: opts.retry?.maxRetryDelayInMs ?? 30_000,
  };
  const common = {
    endpoint,
    retryOptions,
    tlsOptions: opts.ca ? { ca: opts.ca } : undefined,
    // Send-once first (outer): it sees a POST's final answer after the pacer's 429 retries.
    additionalPolicies: [{ policy: sendOncePolicy(), position: 'perRetry' as const }, { policy: pacer.policy, position: 'perRetry' as const }],
    userAgentOptions: { userAgentPrefix: 'backup-remediator' },
  };
  const modular = { ...common, credentials: { scopes: [scope] } };
  const classic = { ...common, credentialScopes: [scope] };

  const computeClients = new Map<string, ComputeManagementClient>();
  const backupClients = new Map<string, RecoveryServicesBackupClient>();
  const lockClients = new Map<string, ManagementLockClient>();
  const vaultClients = new Map<string, RecoveryServicesClient>();
  const resourceClients = new Map<string, ResourceManagementClient>();
  const networkClients = new Map<string, NetworkManagementClient>();
  let graphClient: ResourceGraphClient | undefined;

  function cached<T>(map: Map<string, T>, sub: string, make: () => T): T {
    const key = sub.toLowerCase();
    let c = map.get(key);
    if (!c) {
      c = make();
      map.set(key, c);
    }
    return c;
  }

  return {
    endpoint,
    credential: opts.credential,
    lroPollIntervalMs: opts.lroPollIntervalMs ?? 2000,
    pacer,
    compute: (sub) => cached(computeClients, sub, () => new (sdk.compute().ComputeManagementClient)(opts.credential, sub, modular)),
    backup: (sub) => cached(backupClients, sub, () => new (sdk.backup().RecoveryServicesBackupClient)(opts.credential, sub, classic)),
    locks: (sub) => cached(lockClients, sub, () => new (sdk.locks().ManagementLockClient)(opts.credential, sub, classic)),
    vaults: (sub) => cached(vaultClients, sub, () => new (sdk.vaults().RecoveryServicesClient)(opts.credential, sub, modular)),
    resources: (sub) => cached(resourceClients, sub, () => new (sdk.resources().ResourceManagementClient)(opts.credential, sub, modular)),
    // Only no-connectivity diagnoses need it (about half a second of require time on its own).
    network: (sub) => cached(networkClients, sub, () => new (sdk.network().NetworkManagementClient)(opts.credential, sub, classic)),
    graph: () => (graphClient ??= new (sdk.graph().ResourceGraphClient)(opts.credential, modular)),
  };
}
