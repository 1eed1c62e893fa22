// Maps an ARM request to the RBAC operation Azure checks for it, following ARM's own naming:
// `{namespace}/{type}/{childType}/.../{read|write|delete}` and `.../{action}/action` for POST.
// It is generic over providers and types on purpose: a new ARM call maps to a new operation,
// which test/permissions.test.ts then finds missing from the custom roles in infra/.
// RBAC operation names are case-insensitive; the casing returned is the request's.

/** Operations whose HTTP verb does not say what RBAC checks. */
const OVERRIDES: Record<string, string> = {
  // A Resource Graph query is a POST but authorised as a read of the queried resources.
  'microsoft.resourcegraph/resources/action': 'Microsoft.ResourceGraph/resources/read',
};

export type PermissionKind = 'read' | 'write' | 'delete' | 'action';

/**
 * POST actions that only read: ARM computes and returns a NIC's effective security rules and
 * effective routes, changing nothing. A dry-run may use them (and the reader role holds them).
 */
const READ_ONLY_ACTIONS = new Set([
  'microsoft.network/networkinterfaces/effectivenetworksecuritygroups/action',
  'microsoft.network/networkinterfaces/effectiveroutetable/action',
]);

/** True for reads and for the POST actions that only read (READ_ONLY_ACTIONS). */
export function isReadOnlyOperation(operation: string): boolean {
  return permissionKind(operation) === 'read' || READ_ONLY_ACTIONS.has(operation.toLowerCase());
}

/** The last segment of an operation: read, write, delete or action. */
export function permissionKind(operation: string): PermissionKind | undefined {
  const last = operation.slice(operation.lastIndexOf('/') + 1).toLowerCase();
  return last === 'read' || last === 'write' || last === 'delete' || last === 'action' ? last : undefined;
}

function pathOnly(input: string): string {
  let p = input;
  const scheme = /^https?:\/\/[^/]+/i.exec(p);
  if (scheme) p = p.slice(scheme[0].length);
  const q = p.search(/[?#]/);
  return q >= 0 ? p.slice(0, q) : p;
}

/**
 * The last /providers/{namespace} owns the operation: for extension resources such as locks on a VM
 * (`.../virtualMachines/vm/providers/Microsoft.Authorization/locks`) that is the extension's
 * namespace. Without one, the path is a Microsoft.Resources type. `rest` alternates type/name.
 */
function owner(segments: string[]): { namespace: string; rest: string[] } {
  for (let i = segments.length - 2; i >= 0; i--) {
    if (segments[i].toLowerCase() === 'providers') return { namespace: segments[i + 1], rest: segments.slice(i + 2) };
  }
  return { namespace: 'Microsoft.Resources', rest: segments };
}

/** An odd-length `rest` ends in a type (a collection) or, for POST, an action; an even one in a name. */
function operationOf(method: string, namespace: string, rest: string[]): string | undefined {
  const types = rest.filter((_, i) => i % 2 === 0).join('/');
  const named = rest.length % 2 === 0;
  switch (method.toUpperCase()) {
    case 'GET':
    case 'HEAD':
      return `${namespace}/${types}/read`;
    case 'PUT':
    case 'PATCH':
      return named ? `${namespace}/${types}/write` : undefined;
    case 'DELETE':
      return named ? `${namespace}/${types}/delete` : undefined;
    case 'POST':
      return named ? undefined : `${namespace}/${types}/action`;
    default:
      return undefined;
  }
}

/**
 * RBAC operation for `method` on `path` (decoded, query optional), or undefined when the
 * request is not an ARM resource call (token endpoints, metadata) or has no ARM shape.
 */
export function permissionFor(method: string, path: string): string | undefined {
  if (typeof method !== 'string' || typeof path !== 'string') return undefined;
  const segments = pathOnly(path).split('/');
  if (segments[0] !== '') return undefined;
  segments.shift();
  while (segments.length > 0 && segments[segments.length - 1] === '') segments.pop(); // trailing slash
  const root = segments[0]?.toLowerCase();
  if (root !== 'subscriptions' && root !== 'providers' && root !== 'tenants') return undefined;
  const { namespace, rest } = owner(segments);
  if (!namespace || rest.length === 0 || rest.some((s) => s === '')) return undefined;
  const operation = operationOf(method, namespace, rest);
  if (!operation) return undefined;
  return OVERRIDES[operation.toLowerCase()] ?? operation;
}
