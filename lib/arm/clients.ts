// One place that builds the Azure SDK clients the engine uses, all pointed at the same ARM endpoint, the
// same credential, CA, retry settings and pacing policy. Clients are cached per subscription so a run
// reuses connections and the pacer sees every request.
import type { TokenCredential } from '@azure/core-auth';
import { ComputeManagementClient } from '@azure/arm-compute';
import { RecoveryServicesBackupClient } from '@azure/arm-recoveryservicesbackup';
import { RecoveryServicesClient } from '@azure/arm-recoveryservices';
import { ManagementLockClient } from '@azure/arm-locks';
import type { NetworkManagementClient } from '@azure/arm-network';
import { ResourceGraphClient } from '@azure/arm-resourcegraph';
import { ResourceManagementClient } from '@azure/arm-resources';
import { createPacer, type Pacer } from './pacing';

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

function loadNetwork(): typeof import('@azure/arm-network') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@azure/arm-network') as typeof import('@azure/arm-network');
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
    additionalPolicies: [{ policy: pacer.policy, position: 'perRetry' as const }],
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
    compute: (sub) => cached(computeClients, sub, () => new ComputeManagementClient(opts.credential, sub, modular)),
    backup: (sub) => cached(backupClients, sub, () => new RecoveryServicesBackupClient(opts.credential, sub, classic)),
    locks: (sub) => cached(lockClients, sub, () => new ManagementLockClient(opts.credential, sub, classic)),
    vaults: (sub) => cached(vaultClients, sub, () => new RecoveryServicesClient(opts.credential, sub, modular)),
    resources: (sub) => cached(resourceClients, sub, () => new ResourceManagementClient(opts.credential, sub, modular)),
    // Loaded on first use (about half a second of require time): only no-connectivity diagnoses need it.
    network: (sub) => cached(networkClients, sub, () => new (loadNetwork().NetworkManagementClient)(opts.credential, sub, classic)),
    graph: () => (graphClient ??= new ResourceGraphClient(opts.credential, modular)),
  };
}
