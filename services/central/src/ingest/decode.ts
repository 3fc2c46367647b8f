/**
 * Checking one MQTT message from a device before it is stored: topic, size, syntax, contract,
 * and that the payload speaks for the device of its topic (anti-spoofing).
 */
import {
  DEVICE_STATES,
  parseTopic,
  validateObservationMessage,
  validateStatsMessage,
  validateStatusInfoMessage,
  validateTrafficCountMessage,
  type DeviceState,
} from '@sightline/contracts';
import type { DeviceRecord } from './items';

/** Largest payload the ingest accepts: 1 MiB (a 1000-detection message is ~200 KiB). */
export const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;

/**
 * Outcome of checking one MQTT message: a record to store, a reason to dead-letter it, or a
 * reason to skip it (acknowledged, nothing stored).
 */
export type DecodedMessage =
  | { ok: true; record: DeviceRecord }
  | { ok: false; reason: string; /** device id from the topic, when it had one */ deviceId: string | null }
  | { ok: 'skip'; reason: string };

/**
 * Checks a message received on any device topic central subscribes to, in this order: topic
 * shape, payload size, then per kind:
 *
 * - `observations`, `traffic`, `stats`, `status/info`: JSON syntax, the contract
 *   (`schema` literal included, so a wrong schema version is refused), payload `deviceId` =
 *   topic device, times representable;
 * - `status`: plain text `online`, `offline` or `stopped` (surrounding whitespace ignored).
 *
 * An empty payload on `status` or `status/info` is someone clearing the retained message: it is
 * skipped, not dead-lettered. Never throws, whatever the input.
 *
 * Reasons read like `payload too large: 2097152 bytes exceeds the 1048576-byte limit`,
 * `invalid JSON: Unexpected token ...`, `schema violation: /observations/0/score: must be <= 1`,
 * `deviceId "cam-b" does not match topic device "cam-a"`, `status "rebooting" is not one of
 * online, offline, stopped`.
 *
 * @param maxBytes payload size limit in bytes (default {@link DEFAULT_MAX_PAYLOAD_BYTES}).
 */
export function decodeDeviceMessage(topic: string, payload: Uint8Array, maxBytes = DEFAULT_MAX_PAYLOAD_BYTES): DecodedMessage {
  const parsedTopic = parseTopic(topic);
  const topicDevice = parsedTopic?.deviceId ?? null;
  if (!parsedTopic) return rejected(topicDevice, `topic "${topic}" is not under sightline/v1/{deviceId}/`);

  const { deviceId, kind, rest } = parsedTopic;
  const sub = rest.join('/');
  const which =
    sub === ''
      ? kind === 'observations' || kind === 'traffic' || kind === 'stats' || kind === 'status'
        ? kind
        : undefined
      : kind === 'status' && sub === 'info'
        ? 'status-info'
        : undefined;
  if (which === undefined) {
    return rejected(topicDevice, `topic "${topic}" is not a device topic central stores (observations, traffic, stats, status, status/info)`);
  }
  if (payload.byteLength > maxBytes) {
    return rejected(topicDevice, `payload too large: ${payload.byteLength} bytes exceeds the ${maxBytes}-byte limit`);
  }
  if (payload.byteLength === 0 && (which === 'status' || which === 'status-info')) {
    return { ok: 'skip', reason: `empty payload on ${topic} (retained message cleared)` };
  }
  const text = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8');

  if (which === 'status') {
    const state = text.trim();
    if (!(DEVICE_STATES as readonly string[]).includes(state)) {
      return rejected(topicDevice, `status ${JSON.stringify(state.slice(0, 64))} is not one of ${DEVICE_STATES.join(', ')}`);
    }
    return { ok: true, record: { kind: 'status', deviceId, state: state as DeviceState } };
  }

  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return rejected(topicDevice, `invalid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }

  // Plain switch, no closures: this runs for every message at thousands per second.
  let record: DeviceRecord;
  try {
    switch (which) {
      case 'observations': {
        const v = validateObservationMessage(value);
        if (!v.ok) return rejected(topicDevice, v.reason);
        const duplicate = firstDuplicateId(v.value.observations);
        if (duplicate) return rejected(topicDevice, `schema violation: observation id ${duplicate} appears twice in one message`);
        record = { kind: 'observations', deviceId: v.value.deviceId, message: v.value };
        break;
      }
      case 'traffic': {
        const v = validateTrafficCountMessage(value);
        if (!v.ok) return rejected(topicDevice, v.reason);
        record = { kind: 'traffic', deviceId: v.value.deviceId, message: v.value };
        break;
      }
      case 'stats': {
        const v = validateStatsMessage(value);
        if (!v.ok) return rejected(topicDevice, v.reason);
        record = { kind: 'stats', deviceId: v.value.deviceId, message: v.value };
        break;
      }
      case 'status-info': {
        const v = validateStatusInfoMessage(value);
        if (!v.ok) return rejected(topicDevice, v.reason);
        record = { kind: 'status-info', deviceId: v.value.deviceId, message: v.value };
        break;
      }
    }
  } catch (error) {
    // A validator bug must not take the ingest down; the message is kept as a dead letter.
    return rejected(topicDevice, `schema violation: validator failed: ${error instanceof Error ? error.message : String(error)}`);
  }

  if (record.deviceId !== deviceId) {
    return rejected(topicDevice, `deviceId "${record.deviceId}" does not match topic device "${deviceId}"`);
  }
  const badTime = unrepresentableTime(record);
  if (badTime) return rejected(topicDevice, badTime);
  return { ok: true, record };
}

/** The first observation id that occurs twice (a second row with it would be silently dropped). */
function firstDuplicateId(observations: ReadonlyArray<{ id: string }>): string | undefined {
  if (observations.length < 2) return undefined;
  const seen = new Set<string>();
  for (const { id } of observations) {
    if (seen.has(id)) return id;
    seen.add(id);
  }
  return undefined;
}

/** The dead-letter outcome (a plain function: a closure per message shows in profiles). */
function rejected(deviceId: string | null, reason: string): DecodedMessage {
  return { ok: false, reason, deviceId };
}

/** A reason when a time in the record cannot be stored (the format check allows e.g. year 0). */
function unrepresentableTime(record: DeviceRecord): string | undefined {
  switch (record.kind) {
    case 'observations':
      return timeProblem('capturedAt', record.message.capturedAt);
    case 'traffic':
      return timeProblem('intervalStart', record.message.intervalStart);
    case 'stats':
      return timeProblem('sentAt', record.message.sentAt) ?? timeProblem('startedAt', record.message.startedAt);
    case 'status-info':
      return timeProblem('startedAt', record.message.startedAt);
    case 'status':
      return undefined;
  }
}

function timeProblem(name: string, text: string): string | undefined {
  return Number.isFinite(Date.parse(text)) ? undefined : `${name} "${text}" is not a representable time`;
}
