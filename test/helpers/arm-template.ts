// The ARM template the real Bicep compiler produced from infra/main.bicep (infra/bicep/check.js,
// run by `npm test` before jest), and a small evaluator of ARM template expressions so tests can
// read what a deployment would send: nested deployments get their parameters from the parent,
// `parameters()`, `variables()`, `format()`, `if()`... are resolved; anything that needs Azure
// (reference(), resourceId() of a runtime value, uniqueString...) stays an `{ unresolved }` marker.

import { execFileSync } from 'child_process';
import { existsSync, readFileSync } from 'fs';
import { join } from 'path';

const ROOT = join(__dirname, '..', '..');
export const COMPILED = join(process.env.BICEP_CACHE_DIR ?? join(ROOT, '.cache', 'bicep'), 'main.json');

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export interface Unresolved {
  unresolved: string;
}
export type Value = Json | Unresolved | Value[] | { [k: string]: Value };

export const isUnresolved = (v: unknown): v is Unresolved => typeof v === 'object' && v !== null && 'unresolved' in v;

/**
 * The compiled template, compiling it first when this test runs alone. Undefined when the
 * compiler is not available (check.js printed why); with CI=true that is an error.
 */
export function compiledTemplate(): Record<string, Json> | undefined {
  if (!existsSync(COMPILED)) {
    try {
      execFileSync(process.execPath, [join(ROOT, 'infra', 'bicep', 'check.js')], { stdio: 'inherit' });
    } catch {
      throw new Error('infra/bicep/check.js failed: see its output above');
    }
  }
  if (!existsSync(COMPILED)) {
    if (process.env.CI === 'true') throw new Error(`CI=true but ${COMPILED} was not produced`);
    return undefined;
  }
  return JSON.parse(readFileSync(COMPILED, 'utf8')) as Record<string, Json>;
}

// ---- expressions ------------------------------------------------------------------------------

type Token = { t: 'str' | 'num' | 'id' | 'punct'; v: string };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) i++;
    else if (c === "'") {
      let s = '';
      i++;
      while (i < src.length) {
        if (src[i] === "'" && src[i + 1] === "'") (s += "'"), (i += 2);
        else if (src[i] === "'") break;
        else s += src[i++];
      }
      i++;
      out.push({ t: 'str', v: s });
    } else if (/[0-9-]/.test(c)) {
      const m = /^-?\d+/.exec(src.slice(i))![0];
      out.push({ t: 'num', v: m });
      i += m.length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(src.slice(i))![0];
      // identifiers may carry dotted property access (`x.y`): split it back into tokens
      m.split('.').forEach((part, k) => {
        if (k > 0) out.push({ t: 'punct', v: '.' });
        out.push({ t: 'id', v: part });
      });
      i += m.length;
    } else {
      out.push({ t: 'punct', v: c });
      i++;
    }
  }
  return out;
}

class Unresolvable extends Error {}

export interface Scope {
  parameters: Record<string, Value>;
  variables: Record<string, Json>;
}

const PUBLIC_CLOUD = { name: 'AzureCloud', resourceManager: 'https://management.azure.com/' };

function call(name: string, args: Value[], scope: Scope): Value {
  const s = (v: Value) => {
    if (isUnresolved(v)) throw new Unresolvable(v.unresolved);
    return v;
  };
  switch (name.toLowerCase()) {
    case 'parameters':
      return scope.parameters[String(args[0])] ?? { unresolved: `parameters('${args[0]}')` };
    case 'variables':
      return evaluate(scope.variables[String(args[0])] ?? null, scope);
    case 'concat':
      return args.every(Array.isArray) ? (args as Value[][]).flat() : args.map((a) => String(s(a))).join('');
    case 'format':
      // An argument only Azure knows renders as «?»: names keep their known parts.
      return String(args[0]).replace(/\{(\d+)\}/g, (_, n: string) => {
        const a = args[Number(n) + 1];
        return isUnresolved(a) ? '«?»' : String(a);
      });
    case 'createarray':
      return args;
    case 'createobject': {
      const o: Record<string, Value> = {};
      for (let k = 0; k < args.length; k += 2) o[String(args[k])] = args[k + 1];
      return o;
    }
    case 'if':
      return s(args[0]) ? args[1] : args[2];
    case 'equals':
      return JSON.stringify(s(args[0])) === JSON.stringify(s(args[1]));
    case 'not':
      return !s(args[0]);
    case 'and':
      return args.every((a) => s(a) === true);
    case 'or':
      return args.some((a) => s(a) === true);
    case 'empty': {
      const v = s(args[0]);
      return v === null || v === '' || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && Object.keys(v as object).length === 0);
    }
    case 'union':
      return args.every(Array.isArray) ? [...new Set((args as Value[][]).flat())] : Object.assign({}, ...args.map(s));
    case 'items':
      return Object.entries(s(args[0]) as Record<string, Value>).map(([key, value]) => ({ key, value }));
    case 'join':
      return (s(args[0]) as Value[]).map((x) => String(s(x))).join(String(args[1]));
    case 'tolower':
      return String(s(args[0])).toLowerCase();
    case 'trim':
      return String(s(args[0])).trim();
    case 'length':
      return (s(args[0]) as string | Value[]).length;
    case 'environment':
      return PUBLIC_CLOUD;
    default:
      throw new Unresolvable(name);
  }
}

function parseExpr(tokens: Token[], pos: { i: number }, scope: Scope): Value {
  const tok = tokens[pos.i++];
  let v: Value;
  if (tok.t === 'str') v = tok.v;
  else if (tok.t === 'num') v = Number(tok.v);
  else if (tok.t === 'id' && (tok.v === 'true' || tok.v === 'false') && tokens[pos.i]?.v !== '(') v = tok.v === 'true';
  else if (tok.t === 'id') {
    const start = pos.i - 1;
    if (tokens[pos.i++]?.v !== '(') throw new Unresolvable(`${tok.v} is not a call`);
    const args: Value[] = [];
    while (tokens[pos.i].v !== ')') {
      args.push(parseExpr(tokens, pos, scope));
      if (tokens[pos.i].v === ',') pos.i++;
    }
    pos.i++;
    try {
      v = call(tok.v, args, scope);
    } catch (e) {
      if (!(e instanceof Unresolvable)) throw e;
      // Needs Azure (uniqueString, reference...): a marker naming the call, so callers such as
      // format() can still render the parts they know.
      v = { unresolved: tokens.slice(start, pos.i).map((t) => (t.t === 'str' ? `'${t.v}'` : t.v)).join('') };
    }
  } else throw new Unresolvable(`unexpected ${tok.v}`);
  for (;;) {
    const next = tokens[pos.i];
    if (next?.v === '.') {
      const key = tokens[pos.i + 1].v;
      pos.i += 2;
      if (isUnresolved(v)) throw new Unresolvable(key);
      v = (v as Record<string, Value>)[key];
    } else if (next?.v === '[') {
      pos.i++;
      const idx = parseExpr(tokens, pos, scope);
      pos.i++;
      v = (v as Record<string, Value>)[String(idx)];
    } else return v;
  }
}

/** Evaluates an ARM template value (strings in `[...]` are expressions), recursively. */
export function evaluate(value: Json, scope: Scope): Value {
  if (typeof value === 'string') {
    if (!value.startsWith('[') || value.startsWith('[[') || !value.endsWith(']')) return value;
    try {
      return parseExpr(tokenize(value.slice(1, -1)), { i: 0 }, scope);
    } catch (e) {
      if (e instanceof Unresolvable) return { unresolved: value };
      throw e;
    }
  }
  if (Array.isArray(value)) return value.map((v) => evaluate(v, scope));
  if (value && typeof value === 'object') {
    const out: Record<string, Value> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === 'copy' && Array.isArray(v)) {
        for (const c of v as { name: string; input: Json }[]) out[c.name] = { unresolved: `copy loop over ${JSON.stringify(c.input)}` };
      } else out[k] = evaluate(v, scope);
    }
    return out;
  }
  return value;
}

// ---- deployments ------------------------------------------------------------------------------

export interface DeployedResource {
  /** Nested deployment names from the top, e.g. ['storage']. */
  deployment: string[];
  type: string;
  apiVersion: string;
  /** The resource with every expression that can be resolved offline resolved. */
  resource: Record<string, Value>;
  /** The resource as compiled. */
  raw: Record<string, Json>;
  scope: Scope;
}

export interface Deployment {
  name: string[];
  template: Record<string, Json>;
  scope: Scope;
  outputs: Record<string, Value>;
}

function scopeFor(template: Record<string, Json>, given: Record<string, Value>): Scope {
  const parameters: Record<string, Value> = {};
  const defs = (template.parameters ?? {}) as Record<string, { defaultValue?: Json }>;
  const scope: Scope = { parameters, variables: (template.variables ?? {}) as Record<string, Json> };
  for (const [name, def] of Object.entries(defs)) {
    if (name in given) parameters[name] = given[name];
    else if (def.defaultValue !== undefined) parameters[name] = evaluate(def.defaultValue, scope);
    else parameters[name] = { unresolved: `parameter ${name} has no value` };
  }
  return scope;
}

/** Every resource of the template and of its nested deployments, with parameters flowed down. */
export function deploy(template: Record<string, Json>, parameters: Record<string, Value>): { resources: DeployedResource[]; deployments: Deployment[] } {
  const resources: DeployedResource[] = [];
  const deployments: Deployment[] = [];
  const walk = (t: Record<string, Json>, scope: Scope, name: string[]) => {
    deployments.push({ name, template: t, scope, outputs: evaluate((t.outputs ?? {}) as Json, scope) as Record<string, Value> });
    const list = (Array.isArray(t.resources) ? t.resources : Object.values(t.resources ?? {})) as Record<string, Json>[];
    for (const r of list) {
      resources.push({ deployment: name, type: String(r.type), apiVersion: String(r.apiVersion), resource: evaluate(r, scope) as Record<string, Value>, raw: r, scope });
      if (r.type !== 'Microsoft.Resources/deployments') continue;
      const props = r.properties as Record<string, Json>;
      const childParams: Record<string, Value> = {};
      for (const [k, v] of Object.entries((props.parameters ?? {}) as Record<string, Json>)) {
        const e = evaluate(v, scope);
        childParams[k] = e && typeof e === 'object' && !Array.isArray(e) && 'value' in e ? (e as { value: Value }).value : { unresolved: JSON.stringify(v) };
      }
      const child = props.template as Record<string, Json>;
      walk(child, scopeFor(child, childParams), [...name, String(r.name)]);
    }
  };
  walk(template, scopeFor(template, parameters), []);
  return { resources, deployments };
}

/** The Function App's app settings as deployed (host settings + the REMEDIATION_* ones). */
export function deployedAppSettings(d: { deployments: Deployment[] }): Record<string, Value> {
  const fa = d.deployments.find((x) => x.name.join('/') === 'function-app');
  if (!fa) throw new Error('no function-app deployment');
  const host = evaluate(fa.scope.variables.hostSettings, fa.scope) as Record<string, Value>;
  return { ...host, ...(fa.scope.parameters.remediationSettings as Record<string, Value>) };
}

/** Names of the storage queues the template creates. */
export function deployedQueues(d: { resources: DeployedResource[] }): string[] {
  return d.resources
    .filter((r) => r.type === 'Microsoft.Storage/storageAccounts/queueServices/queues')
    .map((r) => String(r.resource.name).split('/').pop()!)
    .sort();
}
