/**
 * Checking an evidence message before it is stored: `sightline/v1/{deviceId}/evidence/{observationId}`
 * with the raw bytes of a redacted JPEG as payload.
 */
import { createHash } from 'node:crypto';
import { parseTopic } from '@sightline/contracts';

/** Largest evidence JPEG accepted: 8 MiB (a redacted 4K frame at quality 85 is ~2 MiB). */
export const DEFAULT_MAX_EVIDENCE_BYTES = 8 * 1024 * 1024;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A checked evidence message. */
export interface EvidenceRecord {
  kind: 'evidence';
  /** Device of the topic (the publisher; the broker ACL lets a device publish only under its own id). */
  deviceId: string;
  /** Observation id of the topic, lower case. */
  observationId: string;
  data: Uint8Array;
  /** Lower-case hex SHA-256 of `data`. */
  sha256: string;
}

/** True when `topic` is an evidence topic (`sightline/v1/{deviceId}/evidence/...`). */
export function isEvidenceTopic(topic: string): boolean {
  return parseTopic(topic)?.kind === 'evidence';
}

/**
 * Checks an evidence message: topic shape (one level after `evidence`, a UUID), size (1 byte to
 * `maxBytes`), JPEG signature (FF D8 FF). Never throws.
 * @returns the record, or a dead-letter reason and the topic's device id.
 */
export function decodeEvidence(
  topic: string,
  payload: Uint8Array,
  maxBytes = DEFAULT_MAX_EVIDENCE_BYTES,
): { ok: true; record: EvidenceRecord } | { ok: false; reason: string; deviceId: string | null } {
  const parsed = parseTopic(topic);
  const deviceId = parsed?.deviceId ?? null;
  if (!parsed || parsed.kind !== 'evidence' || parsed.rest.length !== 1 || !UUID.test(parsed.rest[0]!)) {
    return { ok: false, reason: `topic "${topic}" is not sightline/v1/{deviceId}/evidence/{observationId (UUID)}`, deviceId };
  }
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(parsed.deviceId)) {
    return { ok: false, reason: `device id "${parsed.deviceId.slice(0, 80)}" in topic is not 1-64 letters, digits, '_' or '-'`, deviceId };
  }
  if (payload.byteLength === 0) return { ok: false, reason: 'evidence payload is empty', deviceId };
  if (payload.byteLength > maxBytes) {
    return { ok: false, reason: `evidence too large: ${payload.byteLength} bytes exceeds the ${maxBytes}-byte limit`, deviceId };
  }
  if (payload.byteLength < 3 || payload[0] !== 0xff || payload[1] !== 0xd8 || payload[2] !== 0xff) {
    return { ok: false, reason: 'evidence payload is not a JPEG (no FF D8 FF signature)', deviceId };
  }
  const sha256 = createHash('sha256').update(payload).digest('hex');
  return { ok: true, record: { kind: 'evidence', deviceId: parsed.deviceId, observationId: parsed.rest[0]!.toLowerCase(), data: payload, sha256 } };
}
