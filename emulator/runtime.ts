// Shared machinery the route modules use: paging with absolute nextLinks, long-running operation
// bookkeeping, and the cloud metadata document.
import { randomUUID } from 'node:crypto';
import { armError, type ArmResponse } from './errors';
import type { RouteContext } from './router';
import type { SimulatedClock } from './clock';
import type { EmulatorState } from './state';

export interface Operation {
  id: string;
  status: 'InProgress' | 'Succeeded' | 'Failed' | 'Canceled';
  startTime: string;
  endTime?: string;
  /** Backup Now: the job it started. */
  jobId?: string;
  error?: { code: string; message: string };
  /** What the operation produced (Run Command's output): the Location poll's 200 body. */
  result?: unknown;
  /** Applies the operation's effect; run once when it completes. */
  complete?: () => void;
}

/** Thrown by an operation's effect to end it Failed with the service's own code and message. */
export class OperationError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class EmulatorRuntime {
  readonly operations = new Map<string, Operation>();

  constructor(
    readonly state: EmulatorState,
    readonly clock: SimulatedClock,
    public opts: { pageSize: number },
  ) {}

  /**
   * VM GET carries the VM's extensions as `resources` (ARM's behaviour, VirtualMachine.resources).
   * False models an ARM that leaves them out (another cloud, an older api-version), so clients must
   * fall back to the extensions list.
   */
  vmGetResources = true;

  get pageSize(): number {
    return this.opts.pageSize;
  }
  set pageSize(n: number) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`page size must be a positive integer, got ${n}`);
    this.opts.pageSize = n;
  }

  /** One page of `items` with an absolute nextLink that carries the original query (filter, api-version). */
  page<T>(ctx: RouteContext, items: T[], serialize: (t: T) => unknown): ArmResponse {
    let skip = 0;
    for (const [k, v] of ctx.query) {
      if (k.toLowerCase() !== '$skiptoken') continue;
      // Only tokens this emulator issued (a decimal offset); anything else would page from a guess.
      if (!/^\d{1,9}$/.test(v)) return armError(400, 'InvalidSkipToken', `The $skiptoken '${v}' is not one this service issued; follow nextLink as returned.`);
      skip = Number(v);
    }
    const slice = items.slice(skip, skip + this.pageSize);
    const body: { value: unknown[]; nextLink?: string } = { value: slice.map(serialize) };
    if (skip + this.pageSize < items.length) {
      const q = new URLSearchParams();
      for (const [k, v] of ctx.query) if (k.toLowerCase() !== '$skiptoken') q.append(k, v);
      q.append('$skiptoken', String(skip + this.pageSize));
      body.nextLink = `${ctx.baseUrl}${encodePath(ctx.path)}?${q.toString().replace(/\+/g, '%20')}`;
    }
    return { status: 200, body };
  }

  /**
   * Start an LRO whose effect happens when it completes: at the first request after it was
   * started (every request runs due clock events first), hence "done on the first poll".
   */
  startOperation(complete: () => void): Operation {
    const op: Operation = { id: randomUUID(), status: 'InProgress', startTime: this.clock.now().toISOString(), complete };
    this.operations.set(op.id, op);
    this.clock.schedule(this.clock.nowMs(), () => this.finish(op));
    return op;
  }

  finish(op: Operation): void {
    if (op.status !== 'InProgress') return;
    try {
      op.complete?.();
      op.status = 'Succeeded';
    } catch (e) {
      op.status = 'Failed';
      op.error = e instanceof OperationError ? { code: e.code, message: e.message } : { code: 'InternalOperationError', message: (e as Error).message };
    }
    op.endTime = this.clock.now().toISOString();
  }

  metadataEndpoints(baseUrl: string): ArmResponse {
    return {
      status: 200,
      body: {
        galleryEndpoint: baseUrl,
        graphEndpoint: baseUrl,
        portalEndpoint: baseUrl,
        graphAudience: 'https://graph.windows.net/',
        authentication: { loginEndpoint: baseUrl, audiences: ['https://management.core.windows.net/', 'https://management.azure.com/'], tenant: 'common', identityProvider: 'AAD' },
        resourceManager: baseUrl,
        name: 'Emulator',
        suffixes: { storage: 'core.windows.net', keyVaultDns: 'vault.azure.net' },
      },
    };
  }
}

export function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/** api-version as the client sent it, for the Location / Azure-AsyncOperation URLs we hand out. */
export function apiVersionOf(ctx: RouteContext): string {
  for (const [k, v] of ctx.query) if (k.toLowerCase() === 'api-version') return v;
  return '2024-01-01';
}

export function queryParam(ctx: RouteContext, name: string): string | undefined {
  const n = name.toLowerCase();
  for (const [k, v] of ctx.query) if (k.toLowerCase() === n) return v;
  return undefined;
}
