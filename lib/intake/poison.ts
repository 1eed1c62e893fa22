// What this app puts in the poison queue when it parks a message itself, and how anything that
// reaches the poison queue is keyed. A parked copy must fit the queue's 64 KiB limit (base64 makes
// text 4/3 larger) whatever the original was, so the original is truncated and a digest of it kept.
// Whether a poison message was parked (and so already recorded) is never read from its body: the
// parking handler claims the copy's digest in the ledger, and the poison handler checks that claim.

import { createHash } from 'node:crypto';
import { MAX_MESSAGE_BYTES } from '../storage/queue';
import { checkParsedDepth } from './json';

export interface PoisonCopy {
  parkedBy: string;
  reason: string;
  /** sha256 of the original message text, so a truncated copy can still be matched to its original. */
  originalSha256: string;
  originalBytes: number;
  truncated: boolean;
  /** The original text, cut to fit. */
  message: string;
}

/** JSON text of a message however it arrived; never throws (a value too deep to serialize is described). */
export function messageText(message: unknown): string {
  if (typeof message === 'string') return message;
  try {
    checkParsedDepth(message);
    return JSON.stringify(message) ?? String(message);
  } catch {
    return '[message nests too deep to serialize]';
  }
}

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Base64 of the JSON must stay under the queue limit: 3/4 of it, less room for the envelope. */
const MAX_COPY_JSON_BYTES = Math.floor((MAX_MESSAGE_BYTES * 3) / 4) - 1024;

export function poisonCopy(message: unknown, parkedBy: string, reason: string): PoisonCopy {
  const text = messageText(message);
  const base = { parkedBy, reason: reason.slice(0, 1024), originalSha256: sha256(text), originalBytes: Buffer.byteLength(text, 'utf8') };
  let keep = text.length;
  for (;;) {
    const copy: PoisonCopy = { ...base, truncated: keep < text.length, message: text.slice(0, keep) };
    // Escaping can grow text up to 6x (\u0000), so measure the serialized copy, halving until it fits.
    if (Buffer.byteLength(JSON.stringify(copy), 'utf8') <= MAX_COPY_JSON_BYTES) return copy;
    keep = Math.floor(keep / 2);
  }
}

/** The ledger key of a poison-queue message: the digest of its text as delivered. */
export function poisonKey(message: unknown): string {
  return `poison:${sha256(messageText(message))}`;
}
