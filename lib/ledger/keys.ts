// Table Storage forbids '/', '\\', '#', '?' and control characters in PartitionKey/RowKey, and ARM ids
// are full of '/'. Ids are also case-insensitive. So keys are derived, and the original id is kept
// as an ordinary property next to them.
import { createHash } from 'node:crypto';

/** Deterministic key for an ARM id (or any case-insensitive identifier): sha256 of its lower-cased form. */
export function idKey(id: string): string {
  return createHash('sha256').update(id.trim().replace(/\/+$/, '').toLowerCase()).digest('hex');
}

const SAFE_KEY = /^[A-Za-z0-9._:-]{1,200}$/;

/**
 * Key for an opaque identifier such as a run id: kept readable when it is already a safe key
 * (a UUID, `run-2025...`), hashed otherwise so any string a caller sends maps to a valid key.
 * The 'h_' prefix keeps hashed and verbatim keys from ever colliding.
 */
export function opaqueKey(value: string): string {
  if (SAFE_KEY.test(value) && !value.startsWith('h_')) return value;
  return `h_${createHash('sha256').update(value).digest('hex')}`;
}

let sequence = 0;
/** Width of the sequence in base 36: 36^10 row keys per process before it would wrap. */
const SEQUENCE_WIDTH = 10;

/**
 * Sortable, unique row key for append-only rows: ISO time first so range filters on time work, then
 * a per-process monotonic sequence so rows of one process written in the same millisecond sort in
 * the order they were written, then a random and process suffix so processes never collide.
 */
export function timeRowKey(at: Date): string {
  sequence += 1;
  const seq = sequence.toString(36).padStart(SEQUENCE_WIDTH, '0');
  return `${at.toISOString()}_${seq}_${Math.random().toString(36).slice(2, 10)}${process.pid.toString(36)}`;
}

const TABLE_PREFIX = /^[A-Za-z][A-Za-z0-9]{0,50}$/;

/** Azure table names are 3-63 alphanumeric characters starting with a letter. */
export function tableName(prefix: string, suffix: string): string {
  if (!TABLE_PREFIX.test(prefix)) {
    throw new Error(
      `Invalid ledger prefix ${JSON.stringify(prefix)} (REMEDIATION_LEDGER_PREFIX): use 1-51 letters and digits, starting with a letter`,
    );
  }
  return `${prefix}${suffix}`;
}
