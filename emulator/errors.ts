// ARM's error envelope. Every non-2xx answer the emulator gives goes through here so the shape
// never drifts from `{"error":{"code","message"}}` that SDK clients and the Azure CLI parse.

export interface ArmResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** Tells a route's early answer (an error) from the entry it looked up. */
export function isResponse(x: unknown): x is ArmResponse {
  return typeof (x as ArmResponse).status === 'number';
}

export function armError(status: number, code: string, message: string, headers?: Record<string, string>): ArmResponse {
  return { status, headers, body: { error: { code, message } } };
}

export function notFound(kind: string, name: string, scope?: string): ArmResponse {
  const where = scope ? ` under resource group '${scope}'` : '';
  return armError(404, 'ResourceNotFound', `The Resource '${kind}/${name}'${where} was not found.`);
}

/** ARM's exact ScopeLocked sentence (azure-facts.md): `delete` or `write` operation. */
export function scopeLocked(targetId: string, op: 'delete' | 'write', lockedScopes: string[]): ArmResponse {
  const scopes = lockedScopes.map((s) => `'${s}'`).join(',');
  return armError(
    409,
    'ScopeLocked',
    `The scope '${targetId}' cannot perform ${op} operation because following scope(s) are locked: ${scopes}. Please remove the lock and try again.`,
  );
}
