// Builders that keep the catalogue data readable: message patterns from documented phrases, doc links from headings.
import type { MessageLanguage, MessagePattern } from './types';

const DASH = '[-\u2010\u2011\u2012\u2013\u2014\u2015]';
const QUOTE = '["\'\u2018\u2019\u201a\u201c\u201d\u201e\u00ab\u00bb\u300c\u300d]';
// Punctuation that varies between the ASCII and full-width forms in translated messages.
const PUNCT: Record<string, string> = {
  ',': '[,\uff0c\u3001]',
  '\uff0c': '[,\uff0c\u3001]',
  ':': '[:\uff1a\ufe30]',
  '\uff1a': '[:\uff1a\ufe30]',
  '.': '[.\u3002]',
  '(': '[(\uff08]',
  ')': '[)\uff09]',
};

function escapeChar(c: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(c) ? `\\${c}` : c;
}

function literal(part: string): string {
  let out = '';
  for (const ch of Array.from(part)) {
    if (/\s/u.test(ch)) out += '\\s*';
    else if (new RegExp(DASH, 'u').test(ch)) out += `\\s*${DASH}+\\s*`;
    else if (new RegExp(QUOTE, 'u').test(ch)) out += `${QUOTE}?`;
    else if (PUNCT[ch]) out += PUNCT[ch];
    else out += escapeChar(ch);
  }
  return out;
}

// English negations appear both contracted and spelled out across message versions ("doesn't" / "does not").
const CONTRACTION = /\b([A-Za-z]+)n['\u2019]t\b/g;

function negation(base: string): string {
  const stem = base.toLowerCase() === 'ca' ? 'can' : base;
  return `(?:${base}n['\u2019]t|${stem}\\s*not)`;
}

/**
 * Turns a documented message into a pattern that tolerates case, runs of whitespace, dash and quote
 * variants, surrounding quotes and trailing punctuation, yet only matches the whole phrase on word
 * boundaries (so a phrase never matches inside a longer word or a longer documented message).
 */
export function phrasePattern(text: string, opts: { notFollowedBy?: string } = {}): RegExp {
  const trimmed = text.trim().replace(/[.\u3002]+$/u, '');
  let body = '';
  let last = 0;
  for (const m of trimmed.matchAll(CONTRACTION)) {
    body += literal(trimmed.slice(last, m.index)) + negation(m[1]);
    last = (m.index ?? 0) + m[0].length;
  }
  body += literal(trimmed.slice(last));
  body = body.replace(/(\\s\*)+/g, '\\s*');
  const tail = opts.notFollowedBy
    ? `(?!\\s*(?:${DASH}|[:\uff1a])?\\s*${opts.notFollowedBy.trim().split(/\s+/).map((w) => w.split('').map(escapeChar).join('')).join('\\s*')})`
    : '';
  // Word boundaries are Unicode-aware so Cyrillic and Czech words are not cut in half.
  return new RegExp(`(?<![\\p{L}\\p{N}])${body}(?![\\p{L}\\p{N}])${tail}`, 'iu');
}

export function msg(language: MessageLanguage, text: string, opts?: { notFollowedBy?: string; source?: string }): MessagePattern {
  const m: MessagePattern = { language, text, pattern: phrasePattern(text, opts) };
  return opts?.source ? { ...m, source: opts.source } : m;
}

/** A wording from a named source (older article version, translation, service response). */
export function worded(source: string) {
  return (language: MessageLanguage, text: string, opts?: { notFollowedBy?: string }): MessagePattern => msg(language, text, { ...opts, source });
}

const LEARN = 'https://learn.microsoft.com/azure/backup/';

/** The anchor learn.microsoft.com derives from a heading: lower case, punctuation dropped, spaces to hyphens. */
export function headingAnchor(heading: string): string {
  return heading.toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-');
}

/** Link into the VM-backup agent/extension troubleshooting article (the article the seeds translate). */
export function snapshotTimeoutDoc(anchor: { name: string } | { heading: string }): string {
  const a = 'name' in anchor ? anchor.name : headingAnchor(anchor.heading);
  return `${LEARN}backup-azure-troubleshoot-vm-backup-fails-snapshot-timeout#${a}`;
}

/** Link into the general VM backup troubleshooting article, which documents the guest-side codes. */
export function vmsTroubleshootDoc(heading: string): string {
  return `${LEARN}backup-azure-vms-troubleshoot#${headingAnchor(heading)}`;
}

/** Link into the Azure VM backup support matrix (codes that name an unsupported configuration). */
export function supportMatrixDoc(anchor: string): string {
  return `${LEARN}backup-support-matrix-iaas#${anchor}`;
}
