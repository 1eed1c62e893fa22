// A proposal's id and key. The id is what a human types or a URL carries: random (unguessable, so
// knowing one proposal's id says nothing about another's) and URL-safe; its format is checked before
// any read. The key is what one approval is for: the same write on the same VM for the same failure.
import { randomBytes } from 'node:crypto';
import type { ActionKind } from '../types';

/** 18 random bytes in base64url: 24 characters of [A-Za-z0-9_-]. */
export const PROPOSAL_ID = /^[A-Za-z0-9_-]{24}$/;

/**
 * A new id, never starting with '-' or '_': an id is typed as a command-line argument
 * (`approvals approve <id>`), where a leading '-' reads as an option (1 id in 32 did). Ids made
 * before this rule still parse (PROPOSAL_ID) and are decided with `approvals approve -- <id>`.
 */
export function newProposalId(): string {
  for (;;) {
    const id = randomBytes(18).toString('base64url');
    if (/^[A-Za-z0-9]/.test(id)) return id;
  }
}

export function isProposalId(v: unknown): v is string {
  return typeof v === 'string' && PROPOSAL_ID.test(v);
}

export interface KeyParts {
  vmId: string;
  kind: ActionKind;
  target: string;
  /** `<id>@<version>` or ''. */
  script: string;
  failureCode: string;
}

/** ARM ids compare case-insensitively; the script and failure code are exact. */
export function proposalKey(p: KeyParts): string {
  const id = (s: string) => s.trim().replace(/\/+$/, '').toLowerCase();
  return [id(p.vmId), p.kind, id(p.target), p.script, p.failureCode].join('|');
}

/** `<id>@<version>` from an action's evidence.script ({ id, version }), or '' when it has none. */
export function scriptOf(evidence: Record<string, unknown>): string {
  const s = evidence.script as { id?: unknown; version?: unknown } | undefined;
  if (!s || typeof s !== 'object' || typeof s.id !== 'string') return '';
  return `${s.id}@${String(s.version ?? '')}`;
}
