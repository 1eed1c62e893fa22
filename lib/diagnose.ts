// Per-VM facts read from ARM, with a per-run cache so a run over many VMs reads each shared thing
// (locks of a subscription or resource group, restore point collections of a subscription, protected items
// of a vault, tags of a resource group) once.

export interface LockRef {
  id: string;
  name: string;
  level: string;
  scope: 'subscription' | 'resourceGroup' | 'resource';
  notes?: string;
}

export interface SnapshotExtensionFacts {
  /** ARM id of the extension resource (`<vmId>/extensions/<name>`); set only when the resource exists. */
  id?: string;
  name: string;
  type: string;
  publisher: string;
  provisioningState?: string;
  source: 'extensions-list' | 'instance-view';
  instanceViewStatus?: { code?: string; level?: string; displayStatus?: string; message?: string };
}

export interface CollectionFacts {
  id: string;
  name: string;
  resourceGroup: string;
  sourceId: string;
  pointCount: number;
  locks: LockRef[];
}

export interface Diagnosis {
  vm: {
    id: string;
    exists: boolean;
    name: string;
    resourceGroup: string;
    subscriptionId: string;
    tags: Record<string, string>;
    rgTags: Record<string, string>;
    powerState?: string;
    provisioningState?: string;
    os?: 'Windows' | 'Linux';
  };
  agent: { status: 'Ready' | 'NotReady' | 'Unknown'; version?: string; message?: string };
  snapshotExtension?: SnapshotExtensionFacts;
  /** Collections whose properties.source.id is this VM (never matched by name). */
  collections: CollectionFacts[];
  totalPoints: number;
  /** Protected items in the job's vault whose source is this VM (0 = missing, >1 = ambiguous). */
  protectedItems: string[];
  backupInProgress: boolean;
  readErrors: string[];
}
