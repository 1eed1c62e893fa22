// ARM resource-id parsing. Every id the engine writes to comes through here, so the parsers are strict:
// an id that could mean two things (path tricks, encoded slashes, query strings, wrong type) is rejected
// rather than guessed at. ARM returns ids in mixed case, so provider/type segments match case-insensitively
// and the returned `id` is rebuilt in canonical casing.

import { nameProblem, type NamedPart } from './names';

export class InvalidResourceIdError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidResourceIdError';
  }
}

export interface VmRef {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  /** Canonical casing: /subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines/{name} */
  id: string;
}

export interface VaultRef {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  id: string;
}

export interface ProtectedItemRef {
  vault: VaultRef;
  containerName: string;
  itemName: string;
  /** The VM the item protects, as its names say (`...;<rg>;<vm>`); the subscription is the vault's. */
  vm: { resourceGroup: string; name: string };
  id: string;
}

export interface JobRef {
  vault: VaultRef;
  name: string;
  id: string;
}

export interface ResourceGroupRef {
  subscriptionId: string;
  name: string;
  id: string;
}

export interface RestorePointCollectionRef {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  id: string;
}

export interface ExtensionRef {
  vm: VmRef;
  name: string;
  id: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Validates a subscription id (a GUID) and returns it lower-cased. */
export function parseSubscriptionId(s: string): string {
  if (typeof s !== 'string') throw new InvalidResourceIdError(`subscription id must be a string, got ${typeof s}`);
  const t = s.trim();
  if (t !== s || !GUID.test(s)) throw new InvalidResourceIdError(`subscription id '${printable(s)}' is not a GUID`);
  return s.toLowerCase();
}

/** Case-insensitive comparison of two ARM ids, tolerant of one trailing slash and of `%3B` for `;`. */
export function sameId(a: string, b: string): boolean {
  if (typeof a !== 'string' || typeof b !== 'string') return false;
  return normaliseForCompare(a) === normaliseForCompare(b);
}

function normaliseForCompare(id: string): string {
  return id.replace(/%3b/gi, ';').replace(/\/+$/, '').toLowerCase();
}

export function parseVmId(id: string): VmRef {
  const seg = segments(id, 'virtual machine', 8);
  expectFixed(id, seg, 'virtual machine', { 0: 'subscriptions', 2: 'resourceGroups', 4: 'providers', 5: 'Microsoft.Compute', 6: 'virtualMachines' });
  const subscriptionId = subscriptionOf(id, seg[1]);
  checkNames(id, [['resource group', seg[3]], ['virtual machine', seg[7]]]);
  return { subscriptionId, resourceGroup: seg[3], name: seg[7], id: vmId(subscriptionId, seg[3], seg[7]) };
}

export function parseVaultId(id: string): VaultRef {
  const seg = segments(id, 'Recovery Services vault', 8);
  expectFixed(id, seg, 'Recovery Services vault', { 0: 'subscriptions', 2: 'resourceGroups', 4: 'providers', 5: 'Microsoft.RecoveryServices', 6: 'vaults' });
  const subscriptionId = subscriptionOf(id, seg[1]);
  checkNames(id, [['resource group', seg[3]], ['vault', seg[7]]]);
  return { subscriptionId, resourceGroup: seg[3], name: seg[7], id: vaultId(subscriptionId, seg[3], seg[7]) };
}

export function parseProtectedItemId(id: string): ProtectedItemRef {
  const kind = 'protected item';
  const seg = segments(id, kind, 14);
  expectFixed(id, seg, kind, {
    0: 'subscriptions', 2: 'resourceGroups', 4: 'providers', 5: 'Microsoft.RecoveryServices', 6: 'vaults',
    8: 'backupFabrics', 9: 'Azure', 10: 'protectionContainers', 12: 'protectedItems',
  });
  const subscriptionId = subscriptionOf(id, seg[1]);
  const vault: VaultRef = { subscriptionId, resourceGroup: seg[3], name: seg[7], id: vaultId(subscriptionId, seg[3], seg[7]) };
  const containerName = seg[11];
  const itemName = seg[13];
  const vm = vmOfItemName(itemName) ?? vmOfContainerName(containerName);
  if (!vm) throw new InvalidResourceIdError(`'${printable(id)}' is not an Azure VM protected item: names '${containerName}' / '${itemName}' do not end in ';<resourceGroup>;<vm>'`);
  checkNames(id, [['resource group', seg[3]], ['vault', seg[7]], ['resource group', vm.resourceGroup], ['virtual machine', vm.name]]);
  const other = vmOfContainerName(containerName);
  if (other && (other.resourceGroup !== vm.resourceGroup || other.name !== vm.name)) {
    throw new InvalidResourceIdError(`protected item id '${printable(id)}': container '${printable(containerName)}' and item '${printable(itemName)}' name different VMs`);
  }
  return { vault, containerName, itemName, vm, id: protectedItemId(vault.id, containerName, itemName) };
}

export function parseJobId(id: string): JobRef {
  const seg = segments(id, 'backup job', 10);
  expectFixed(id, seg, 'backup job', { 0: 'subscriptions', 2: 'resourceGroups', 4: 'providers', 5: 'Microsoft.RecoveryServices', 6: 'vaults', 8: 'backupJobs' });
  const subscriptionId = subscriptionOf(id, seg[1]);
  checkNames(id, [['resource group', seg[3]], ['vault', seg[7]], ['backup job', seg[9]]]);
  const vault: VaultRef = { subscriptionId, resourceGroup: seg[3], name: seg[7], id: vaultId(subscriptionId, seg[3], seg[7]) };
  return { vault, name: seg[9], id: `${vault.id}/backupJobs/${seg[9]}` };
}

export function parseResourceGroupId(id: string): ResourceGroupRef {
  const seg = segments(id, 'resource group', 4);
  expectFixed(id, seg, 'resource group', { 0: 'subscriptions', 2: 'resourceGroups' });
  const subscriptionId = subscriptionOf(id, seg[1]);
  checkNames(id, [['resource group', seg[3]]]);
  return { subscriptionId, name: seg[3], id: `/subscriptions/${subscriptionId}/resourceGroups/${seg[3]}` };
}

export function parseRestorePointCollectionId(id: string): RestorePointCollectionRef {
  const kind = 'restore point collection';
  const seg = segments(id, kind, 8);
  expectFixed(id, seg, kind, { 0: 'subscriptions', 2: 'resourceGroups', 4: 'providers', 5: 'Microsoft.Compute', 6: 'restorePointCollections' });
  const subscriptionId = subscriptionOf(id, seg[1]);
  checkNames(id, [['resource group', seg[3]], ['restore point collection', seg[7]]]);
  return {
    subscriptionId, resourceGroup: seg[3], name: seg[7],
    id: `/subscriptions/${subscriptionId}/resourceGroups/${seg[3]}/providers/Microsoft.Compute/restorePointCollections/${seg[7]}`,
  };
}

export function parseExtensionId(id: string): ExtensionRef {
  const kind = 'VM extension';
  const seg = segments(id, kind, 10);
  expectFixed(id, seg, kind, { 0: 'subscriptions', 2: 'resourceGroups', 4: 'providers', 5: 'Microsoft.Compute', 6: 'virtualMachines', 8: 'extensions' });
  const subscriptionId = subscriptionOf(id, seg[1]);
  checkNames(id, [['resource group', seg[3]], ['virtual machine', seg[7]], ['extension', seg[9]]]);
  const vm: VmRef = { subscriptionId, resourceGroup: seg[3], name: seg[7], id: vmId(subscriptionId, seg[3], seg[7]) };
  return { vm, name: seg[9], id: `${vm.id}/extensions/${seg[9]}` };
}

// ---- builders (canonical casing) ----

export function vmId(subscriptionId: string, resourceGroup: string, name: string): string {
  return `/subscriptions/${subscriptionId.toLowerCase()}/resourceGroups/${resourceGroup}/providers/Microsoft.Compute/virtualMachines/${name}`;
}

export function vaultId(subscriptionId: string, resourceGroup: string, name: string): string {
  return `/subscriptions/${subscriptionId.toLowerCase()}/resourceGroups/${resourceGroup}/providers/Microsoft.RecoveryServices/vaults/${name}`;
}

export function protectedItemId(vaultIdValue: string, containerName: string, itemName: string): string {
  return `${vaultIdValue}/backupFabrics/Azure/protectionContainers/${containerName}/protectedItems/${itemName}`;
}

/** Container and item names Azure Backup uses for an Azure VM (fabric `Azure`). */
export function vmBackupNames(resourceGroup: string, vmName: string): { containerName: string; itemName: string } {
  const base = `iaasvmcontainerv2;${resourceGroup};${vmName}`;
  return { containerName: `IaasVMContainer;${base}`, itemName: `VM;${base}` };
}

/** `[IaasVMContainer;]iaasvmcontainerv2;<rg>;<vm>` → { resourceGroup, name }; undefined for other containers. */
export function vmOfContainerName(containerName: string): { resourceGroup: string; name: string } | undefined {
  const parts = containerName.split(';');
  const i = parts.findIndex((p) => p.toLowerCase() === 'iaasvmcontainerv2');
  if (i < 0 || parts.length !== i + 3 || !parts[i + 1] || !parts[i + 2]) return undefined;
  return { resourceGroup: parts[i + 1], name: parts[i + 2] };
}

function vmOfItemName(itemName: string): { resourceGroup: string; name: string } | undefined {
  const parts = itemName.split(';');
  if (parts.length !== 4 || parts[0].toLowerCase() !== 'vm') return undefined;
  return vmOfContainerName(parts.slice(1).join(';'));
}

// ---- internals ----

function segments(id: string, kind: string, expected: number): string[] {
  if (typeof id !== 'string') throw new InvalidResourceIdError(`${kind} id must be a string, got ${id === null ? 'null' : typeof id}`);
  if (id.length === 0) throw new InvalidResourceIdError(`${kind} id is empty`);
  if (/[\s\u0000-\u001f\u007f]/.test(id)) throw new InvalidResourceIdError(`${kind} id '${printable(id)}' contains whitespace or control characters`);
  if (/[?#]/.test(id)) throw new InvalidResourceIdError(`${kind} id '${printable(id)}' contains a query string or fragment`);
  if (id.includes('\\')) throw new InvalidResourceIdError(`${kind} id '${printable(id)}' contains a backslash`);
  if (/%2f/i.test(id)) throw new InvalidResourceIdError(`${kind} id '${printable(id)}' contains an encoded slash (%2F)`);
  // Only `%3B` (the `;` in container and item names) is a legitimate escape in an id.
  const pct = id.replace(/%3b/gi, '');
  if (pct.includes('%')) throw new InvalidResourceIdError(`${kind} id '${printable(id)}' contains a percent-escape other than %3B`);
  if (!id.startsWith('/')) throw new InvalidResourceIdError(`${kind} id '${printable(id)}' must start with '/subscriptions/'`);
  const trimmed = id.endsWith('/') ? id.slice(0, -1) : id;
  const seg = trimmed.slice(1).split('/').map((s) => s.replace(/%3b/gi, ';'));
  for (const s of seg) {
    if (s === '') throw new InvalidResourceIdError(`${kind} id '${printable(id)}' has an empty path segment`);
    if (s === '.' || s === '..' || s.includes('..')) throw new InvalidResourceIdError(`${kind} id '${printable(id)}' contains a '..' or '.' segment`);
  }
  if (seg.length !== expected) {
    throw new InvalidResourceIdError(`${kind} id '${printable(id)}' has ${seg.length} path segments, expected ${expected}`);
  }
  return seg;
}

function expectFixed(id: string, seg: string[], kind: string, fixed: Record<number, string>): void {
  for (const [k, want] of Object.entries(fixed)) {
    const got = seg[Number(k)];
    if (got.toLowerCase() !== want.toLowerCase()) {
      throw new InvalidResourceIdError(`${kind} id '${printable(id)}': expected '${want}' at segment ${Number(k) + 1}, found '${got}'`);
    }
  }
}

/** Every name an id carries must be one ARM would accept for its type; the error names the part. */
function checkNames(id: string, parts: [NamedPart, string][]): void {
  for (const [part, name] of parts) {
    const problem = nameProblem(part, name);
    if (problem) throw new InvalidResourceIdError(`id '${printable(id)}': ${problem}`);
  }
}

function subscriptionOf(id: string, s: string): string {
  if (!GUID.test(s)) throw new InvalidResourceIdError(`id '${printable(id)}': subscription '${s}' is not a GUID`);
  return s.toLowerCase();
}

function printable(s: string): string {
  // Control and non-ASCII characters (look-alikes, lone surrogates) as escapes: messages stay plain ASCII.
  return String(s).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).slice(0, 300);
}
