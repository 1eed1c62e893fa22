// Reads Bicep templates as syntax trees (tree-sitter-bicep over web-tree-sitter) so tests can
// assert what the templates declare. Bicep itself cannot be compiled on this machine; the
// tree plus a small evaluator for literal data (arrays, objects, var references, concat/union)
// is enough to check role actions, app settings and scopes exactly.

import { readFileSync, readdirSync, statSync } from 'fs';
import { join } from 'path';
import { Language, Node, Parser, Tree } from 'web-tree-sitter';

export type BicepNode = Node;

export interface BicepFile {
  path: string;
  source: string;
  tree: Tree;
  root: Node;
}

export interface SyntaxProblem {
  kind: 'ERROR' | 'MISSING';
  line: number;
  column: number;
  text: string;
}

export type DeclarationKind =
  | 'parameter_declaration'
  | 'variable_declaration'
  | 'resource_declaration'
  | 'module_declaration'
  | 'output_declaration'
  | 'target_scope_assignment';

export interface Declaration {
  kind: DeclarationKind;
  /** Symbolic name (empty for targetScope). */
  name: string;
  /** Resource type string or module path, unquoted, when the declaration has one. */
  typeOrPath?: string;
  /** Decorator texts that precede the declaration, e.g. `@allowed([ 'a' ])`. */
  decorators: string[];
  /** The body: a resource/module object (unwrapped from `if`/`for`), a var value, a param default. */
  value?: Node;
  /** `if (...)` condition text or `for` loop text when the body is conditional or a loop. */
  condition?: string;
  loop?: { itemName: string; source: Node };
  node: Node;
}

let parserPromise: Promise<Parser> | undefined;

/** One parser per test process: loading the wasm grammar is the slow part. */
export function bicepParser(): Promise<Parser> {
  parserPromise ??= (async () => {
    await Parser.init();
    // Bytes, not a path: loading by path uses a dynamic import() that jest's CommonJS VM rejects.
    const language = await Language.load(readFileSync(require.resolve('tree-sitter-bicep/tree-sitter-bicep.wasm')));
    const parser = new Parser();
    parser.setLanguage(language);
    return parser;
  })();
  return parserPromise;
}

export async function parseBicep(path: string, source = readFileSync(path, 'utf8')): Promise<BicepFile> {
  const parser = await bicepParser();
  const tree = parser.parse(source);
  if (!tree) throw new Error(`tree-sitter returned no tree for ${path}`);
  return { path, source, tree, root: tree.rootNode };
}

/** Every .bicep file under a directory, sorted. */
export function findBicepFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) out.push(...findBicepFiles(p));
    else if (entry.endsWith('.bicep')) out.push(p);
  }
  return out;
}

/** ERROR and MISSING nodes anywhere in the tree (a clean parse has none). */
export function syntaxProblems(root: Node): SyntaxProblem[] {
  const problems: SyntaxProblem[] = [];
  const visit = (n: Node): void => {
    if (n.isError || n.isMissing) {
      problems.push({
        kind: n.isMissing ? 'MISSING' : 'ERROR',
        line: n.startPosition.row + 1,
        column: n.startPosition.column + 1,
        text: n.text.slice(0, 80),
      });
    }
    if (!n.hasError && !n.isMissing) return;
    for (const c of n.children) if (c) visit(c);
  };
  // hasError is true on ancestors of errors, so the walk prunes clean subtrees.
  if (root.hasError || root.isMissing) visit(root);
  return problems;
}

function unquote(stringNode: Node | null | undefined): string | undefined {
  if (!stringNode || stringNode.type !== 'string') return undefined;
  const t = stringNode.text;
  return t.startsWith("'''") ? t.slice(3, -3) : t.slice(1, -1);
}

/** Top-level declarations of a file, with their decorators attached. */
export function declarations(file: BicepFile, kind?: DeclarationKind): Declaration[] {
  const out: Declaration[] = [];
  let pendingDecorators: string[] = [];
  for (const child of file.root.namedChildren) {
    if (!child) continue;
    if (child.type === 'decorators') {
      pendingDecorators = child.namedChildren.filter((d): d is Node => d !== null).map((d) => d.text);
      continue;
    }
    if (child.type === 'comment') continue;
    const k = child.type as DeclarationKind;
    const named = child.namedChildren.filter((c): c is Node => c !== null && c.type !== 'comment');
    const decl: Declaration = { kind: k, name: '', decorators: pendingDecorators, node: child };
    pendingDecorators = [];
    switch (k) {
      case 'target_scope_assignment':
        decl.value = named[0];
        break;
      case 'variable_declaration':
      case 'parameter_declaration':
      case 'output_declaration': {
        decl.name = named[0]?.text ?? '';
        // param: name type [= default]; var: name [type] = value; output: name type = value
        const rest = named.slice(1).filter((c) => c.type !== 'type');
        decl.value = rest[0];
        break;
      }
      case 'resource_declaration':
      case 'module_declaration': {
        decl.name = named[0]?.text ?? '';
        decl.typeOrPath = unquote(named[1]);
        let body = named[2];
        if (body?.type === 'if_statement') {
          const parts = body.namedChildren.filter((c): c is Node => c !== null);
          decl.condition = parts[0]?.text;
          body = parts[1];
        } else if (body?.type === 'for_statement') {
          const loop = forParts(body);
          decl.loop = { itemName: loop.itemName, source: loop.source };
          body = loop.body;
          if (body?.type === 'if_statement') {
            const inner = body.namedChildren.filter((c): c is Node => c !== null);
            decl.condition = inner[0]?.text;
            body = inner[1];
          }
        }
        decl.value = body;
        break;
      }
      default:
        continue;
    }
    if (!kind || decl.kind === kind) out.push(decl);
  }
  return out;
}

/** Parts of `[for item in source: body]` (resource/module loops and array comprehensions). */
export function forParts(node: Node): { itemName: string; source: Node; body: Node } {
  if (node.type !== 'for_statement') throw new Error(`not a for expression: ${node.text.slice(0, 60)}`);
  const init = node.childForFieldName('initializer');
  const parts = node.namedChildren.filter((c): c is Node => c !== null && c.type !== 'comment');
  const body = node.childForFieldName('body') ?? parts[parts.length - 1];
  const source = parts.find((c) => c !== init && c !== body && c.startIndex >= (init?.endIndex ?? 0));
  if (!init || !source || !body) throw new Error(`unexpected for expression shape: ${node.text.slice(0, 60)}`);
  return { itemName: init.text, source, body };
}

export function declaration(file: BicepFile, kind: DeclarationKind, name: string): Declaration {
  const d = declarations(file, kind).find((x) => x.name === name);
  if (!d) throw new Error(`${file.path}: no ${kind} named ${name}`);
  return d;
}

/** Key of an object_property (identifier or quoted string). */
export function propertyKey(prop: Node): string {
  const key = prop.namedChildren.find((c) => c !== null && c.type !== 'comment');
  if (!key) return '';
  return key.type === 'string' ? (unquote(key) ?? key.text) : key.text;
}

export function propertyValue(prop: Node): Node | undefined {
  const named = prop.namedChildren.filter((c): c is Node => c !== null && c.type !== 'comment');
  return named[1];
}

/** Property of an object node by key (exact, case-sensitive like Bicep). */
export function prop(obj: Node | undefined, key: string): Node | undefined {
  if (!obj || obj.type !== 'object') return undefined;
  for (const p of obj.namedChildren) {
    if (p && p.type === 'object_property' && propertyKey(p) === key) return propertyValue(p);
  }
  return undefined;
}

/** Follows a dotted path of object keys: path(body, 'properties.siteConfig.minTlsVersion'). */
export function path(obj: Node | undefined, dotted: string): Node | undefined {
  let cur = obj;
  for (const k of dotted.split('.')) cur = prop(cur, k);
  return cur;
}

/** Every node of a type in a subtree (pre-order). */
export function descendants(node: Node, type: string): Node[] {
  return node.descendantsOfType(type).filter((n): n is Node => n !== null);
}

/** A value the evaluator could not reduce to data: kept as its source text. */
export interface Expr {
  expr: string;
}
export type BicepValue = string | number | boolean | null | BicepValue[] | { [k: string]: BicepValue } | Expr;

export function isExpr(v: BicepValue): v is Expr {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 && 'expr' in v && typeof (v as Expr).expr === 'string';
}

/**
 * Reduces a node to data where the template states it literally: strings (interpolations
 * become `${expr}` text), numbers, booleans, arrays, objects, references to `var`s of the same
 * file, and concat()/union() of those. Anything else stays an Expr with its source text.
 */
export function evaluate(file: BicepFile, node: Node | undefined, seen: Set<string> = new Set()): BicepValue {
  if (!node) return null;
  switch (node.type) {
    case 'string': {
      if (node.namedChildren.some((c) => c?.type === 'interpolation')) return node.text.slice(1, -1);
      return unquote(node) ?? '';
    }
    case 'number':
      return Number(node.text);
    case 'boolean':
      return node.text === 'true';
    case 'null':
      return null;
    case 'array':
      return node.namedChildren
        .filter((c): c is Node => c !== null && c.type !== 'comment')
        .map((c) => evaluate(file, c, seen));
    case 'object': {
      const out: Record<string, BicepValue> = {};
      for (const p of node.namedChildren) {
        if (p && p.type === 'object_property') out[propertyKey(p)] = evaluate(file, propertyValue(p), seen);
      }
      return out;
    }
    case 'parenthesized_expression':
      return evaluate(file, node.namedChildren.find((c) => c !== null) ?? undefined, seen);
    case 'identifier': {
      if (node.text === 'true' || node.text === 'false') return node.text === 'true';
      if (seen.has(node.text)) return { expr: node.text };
      const v = declarations(file, 'variable_declaration').find((d) => d.name === node.text);
      if (!v) return { expr: node.text };
      return evaluate(file, v.value, new Set([...seen, node.text]));
    }
    case 'call_expression': {
      const fn = node.childForFieldName('function')?.text;
      const argsNode = node.childForFieldName('arguments');
      const args = (argsNode?.namedChildren ?? []).filter((c): c is Node => c !== null).map((a) => evaluate(file, a, seen));
      if (fn === 'concat' && args.every(Array.isArray)) return (args as BicepValue[][]).flat();
      if (fn === 'union' && args.every((a) => typeof a === 'object' && a !== null && !Array.isArray(a) && !isExpr(a))) {
        return Object.assign({}, ...(args as object[]));
      }
      return { expr: node.text };
    }
    default:
      return { expr: node.text };
  }
}
