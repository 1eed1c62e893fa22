// Path-template router. ARM ids are case-insensitive and names may arrive %3B-encoded, so literal
// segments compare lower-cased and parameter values are URI-decoded. Routes are bucketed by method
// and segment count so a request only compares against a handful of templates.
import type { IncomingHttpHeaders } from 'node:http';
import type { ArmResponse } from './errors';
import type { EmulatorState } from './state';
import type { SimClock } from './clock';

export type { ArmResponse } from './errors';

export interface RouteContext {
  method: string;
  /** Decoded path without the query string. */
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: any;
  headers: IncomingHttpHeaders;
  /** https://127.0.0.1:<port> — for absolute nextLink / Location headers. */
  baseUrl: string;
  state: EmulatorState;
  clock: SimClock;
  principal?: string;
}

export type Handler = (ctx: RouteContext) => ArmResponse | Promise<ArmResponse>;

interface Route {
  template: string;
  /** Lower-cased literal, or null for a parameter. */
  segments: (string | null)[];
  names: (string | null)[];
  handler: Handler;
}

interface PatternRoute {
  method: string;
  pattern: RegExp;
  handler: Handler;
}

export interface RouteMatch {
  handler: Handler;
  params: Record<string, string>;
  template: string;
}

export function splitPath(rawPath: string): string[] {
  const trimmed = rawPath.replace(/^\/+/, '').replace(/\/+$/, '');
  return trimmed === '' ? [] : trimmed.split('/');
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export class Router {
  private readonly buckets = new Map<string, Route[]>();
  private readonly patterns: PatternRoute[] = [];

  add(method: string, template: string, handler: Handler): void {
    const parts = splitPath(template);
    const route: Route = {
      template,
      segments: parts.map((p) => (p.startsWith('{') && p.endsWith('}') ? null : p.toLowerCase())),
      names: parts.map((p) => (p.startsWith('{') && p.endsWith('}') ? p.slice(1, -1) : null)),
      handler,
    };
    const key = `${method.toUpperCase()} ${parts.length}`;
    const list = this.buckets.get(key) ?? [];
    list.push(route);
    this.buckets.set(key, list);
  }

  /**
   * For paths of variable depth (locks at any resource scope, including the empty parent path form
   * `Microsoft.Compute//virtualMachines/x`): matched against the decoded path, named groups
   * become params. Tried after templates.
   */
  addPattern(method: string, pattern: RegExp, handler: Handler): void {
    this.patterns.push({ method: method.toUpperCase(), pattern, handler });
  }

  match(method: string, rawPath: string): RouteMatch | undefined {
    const m = method.toUpperCase();
    const parts = splitPath(rawPath);
    const lower = parts.map((p) => p.toLowerCase());
    const candidates = this.buckets.get(`${m} ${parts.length}`);
    if (candidates) {
      outer: for (const r of candidates) {
        for (let i = 0; i < r.segments.length; i++) {
          const lit = r.segments[i];
          if (lit !== null && lit !== lower[i]) continue outer;
          if (lit === null && parts[i] === '') continue outer;
        }
        const params: Record<string, string> = {};
        for (let i = 0; i < r.names.length; i++) {
          const n = r.names[i];
          if (n !== null) params[n] = safeDecode(parts[i]);
        }
        return { handler: r.handler, params, template: r.template };
      }
    }
    // Scopes may arrive with encoded slashes (`/%2Fsubscriptions%2F...`), so patterns see the decoded path.
    const decoded = this.patterns.length ? safeDecode(rawPath) : rawPath;
    for (const p of this.patterns) {
      if (p.method !== m) continue;
      const hit = p.pattern.exec(decoded);
      if (hit) {
        const params: Record<string, string> = {};
        for (const [k, v] of Object.entries(hit.groups ?? {})) if (v !== undefined) params[k] = v;
        return { handler: p.handler, params, template: p.pattern.source };
      }
    }
    return undefined;
  }

  /** True when some route serves this path with another method (→ 405 rather than 404). */
  hasPath(rawPath: string): boolean {
    for (const method of ['GET', 'PUT', 'POST', 'DELETE', 'PATCH']) if (this.match(method, rawPath)) return true;
    return false;
  }
}
