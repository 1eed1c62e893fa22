// JSON values stored in Table Storage: a single property holds at most 64 KiB and an entity at most
// 1 MiB, while run reports and plan items have no such bound. Values are gzipped and split into
// binary pieces; the pieces go into numbered properties of one entity or into numbered rows.
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';

/** Bytes per binary property: under the 64 KiB property limit with room for entity overhead. */
export const PIECE_BYTES = 60 * 1024;
/** Properties per entity for inline payloads: 15 x 60 KiB stays under the 1 MiB entity limit. */
export const MAX_INLINE_PIECES = 15;

export interface PackedPayload {
  pieces: Uint8Array[];
  /** Uncompressed JSON length in bytes. */
  size: number;
  sha256: string;
}

export function packJson(value: unknown): PackedPayload {
  const json = Buffer.from(JSON.stringify(value) ?? 'null', 'utf8');
  const gz = gzipSync(json);
  const pieces: Uint8Array[] = [];
  for (let off = 0; off < gz.length; off += PIECE_BYTES) pieces.push(new Uint8Array(gz.subarray(off, off + PIECE_BYTES)));
  if (pieces.length === 0) pieces.push(new Uint8Array(0));
  return { pieces, size: json.length, sha256: createHash('sha256').update(json).digest('hex') };
}

/** Reassembles pieces; throws when the checksum shows a missing or stale piece. */
export function unpackJson<T>(pieces: Uint8Array[], sha256?: string): T {
  const json = gunzipSync(Buffer.concat(pieces.map((p) => Buffer.from(p))));
  if (sha256 && createHash('sha256').update(json).digest('hex') !== sha256) {
    throw new Error('stored payload is corrupt: checksum mismatch after reassembly');
  }
  return JSON.parse(json.toString('utf8')) as T;
}

/** Payload as properties `<name>_0..n` + `<name>_n` count, for values that fit in one entity. */
export function inlineProperties(name: string, value: unknown): Record<string, Uint8Array | number | string> {
  const packed = packJson(value);
  if (packed.pieces.length > MAX_INLINE_PIECES) {
    throw new Error(`${name} is too large to store inline (${packed.size} bytes of JSON)`);
  }
  const props: Record<string, Uint8Array | number | string> = { [`${name}_n`]: packed.pieces.length, [`${name}_sha`]: packed.sha256 };
  packed.pieces.forEach((p, i) => (props[`${name}_${i}`] = p));
  return props;
}

export function readInline<T>(entity: Record<string, unknown>, name: string): T | undefined {
  const n = entity[`${name}_n`];
  if (typeof n !== 'number') return undefined;
  const pieces: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const p = entity[`${name}_${i}`];
    if (!(p instanceof Uint8Array)) throw new Error(`stored payload ${name} is missing piece ${i} of ${n}`);
    pieces.push(p);
  }
  return unpackJson<T>(pieces, entity[`${name}_sha`] as string | undefined);
}
