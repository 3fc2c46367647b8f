import { parseTopic, validateObservationMessage, type ObservationMessage } from '@sightline/contracts';

/** Largest observations payload the ingest accepts: 1 MiB (a 1000-detection message is ~200 KiB). */
export const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;

/** Outcome of checking one MQTT message: a message to store, or why it goes to the dead letters. */
export type Decoded =
  | { ok: true; message: ObservationMessage }
  | { ok: false; reason: string; /** device id from the topic, when it had one */ deviceId: string | null };

/**
 * Checks an MQTT message received on `sightline/v1/{deviceId}/observations`, in this order:
 * payload size, JSON syntax, the `ObservationMessage` contract, topic device = payload device,
 * capture time representable. Never throws, whatever the input.
 *
 * Reasons read like `payload too large: 2097152 bytes exceeds the 1048576-byte limit`,
 * `invalid JSON: Unexpected token ...`, `schema violation: /observations/0/score: must be <= 1`,
 * `deviceId "cam-b" does not match topic device "cam-a"`.
 *
 * @param maxBytes payload size limit in bytes (default {@link DEFAULT_MAX_PAYLOAD_BYTES}).
 */
export function decodeObservationMessage(topic: string, payload: Uint8Array, maxBytes = DEFAULT_MAX_PAYLOAD_BYTES): Decoded {
  const parsedTopic = parseTopic(topic);
  const topicDevice = parsedTopic?.deviceId ?? null;
  const reject = (reason: string): Decoded => ({ ok: false, reason, deviceId: topicDevice });

  if (!parsedTopic || parsedTopic.kind !== 'observations' || parsedTopic.rest.length > 0) {
    return reject(`topic "${topic}" is not sightline/v1/{deviceId}/observations`);
  }
  if (payload.byteLength > maxBytes) {
    return reject(`payload too large: ${payload.byteLength} bytes exceeds the ${maxBytes}-byte limit`);
  }

  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'));
  } catch (error) {
    return reject(`invalid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }

  let validation: ReturnType<typeof validateObservationMessage>;
  try {
    validation = validateObservationMessage(value);
  } catch (error) {
    // A validator bug must not take the ingest down; the message is kept as a dead letter.
    return reject(`schema violation: validator failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!validation.ok) return reject(validation.reason);

  const message = validation.value;
  if (message.deviceId !== parsedTopic.deviceId) {
    return reject(`deviceId "${message.deviceId}" does not match topic device "${parsedTopic.deviceId}"`);
  }
  if (!Number.isFinite(Date.parse(message.capturedAt))) {
    return reject(`capturedAt "${message.capturedAt}" is not a representable time`);
  }
  return { ok: true, message };
}
