// What discovery hands to the rest of the pipeline. Both discovery paths (REST and Resource Graph) produce
// exactly these shapes, so the engine cannot tell which one ran.

import type { Scope } from '../scope';

export interface DiscoveryScope {
  subscriptions?: string[];
  vaultId?: string;
  vmId?: string;
  jobId?: string;
}

export interface JobErrorDetail {
  errorCode?: number | string;
  errorTitle?: string;
  errorString?: string;
  recommendations?: string[];
}

/** The REST job's `properties`, with times normalised to ISO strings (the SDK gives Dates, Resource Graph strings). */
export interface JobProperties {
  jobType?: string;
  entityFriendlyName?: string;
  backupManagementType?: string;
  operation?: string;
  status?: string;
  startTime?: string;
  endTime?: string;
  containerName?: string;
  virtualMachineVersion?: string;
  activityId?: string;
  errorDetails?: JobErrorDetail[];
  extendedInfo?: { tasksList?: unknown[]; propertyBag?: Record<string, string>; dynamicErrorMessage?: string; [k: string]: unknown };
  [k: string]: unknown;
}

export interface Candidate {
  vmId: string;
  /** Full ARM id of the failed job. */
  jobId: string;
  vaultId: string;
  protectedItemId?: string;
  job: JobProperties;
  /** A later backup of the same item is running (only set on jobId scope when asked to keep such candidates). */
  inProgress: boolean;
  /** `job` came from JobDetails_Get (the job's full properties), not from a list or a Resource Graph row. */
  detailsRead?: boolean;
}

export type SkipReason = 'already-recovered' | 'backup-in-progress';

export interface Skipped {
  vmId: string;
  jobId: string;
  reason: SkipReason;
  /** The later job that made this one moot. */
  laterJobId?: string;
}

/** Why a scoped discovery found nothing to work on (VM not protected, job not found, job not a failed backup...). */
export interface DiscoveryNote {
  vmId?: string;
  jobId?: string;
  reason: string;
}

export interface DiscoveryResult {
  candidates: Candidate[];
  skipped: Skipped[];
  notes: DiscoveryNote[];
  /** Which path ran. */
  path: 'rest' | 'graph';
}

export interface DiscoverOptions {
  since: Date;
  now: Date;
  /** Force a path; by default Resource Graph for subscription scope, REST for one vault / VM / job. */
  path?: 'rest' | 'graph';
  /** Vaults read at once on the REST path. Default 8. */
  concurrency?: number;
  /** Rows per Resource Graph page (default 1000, the service maximum). */
  graphPageSize?: number;
  onProgress?: (message: string) => void;
  /** The configured scope (lib/scope): vaults outside it are never read; candidates outside it are dropped. */
  scope?: Scope;
}
