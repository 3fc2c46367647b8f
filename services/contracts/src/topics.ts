/**
 * The versioned MQTT topic tree (`sightline/v1/...`), in one place for both sides.
 * See the MQTT contract in the README.
 */
export const TOPIC_ROOT = 'sightline/v1';

/** Message kinds a device publishes under `sightline/v1/{deviceId}/{kind}`. */
export type TopicKind = 'observations' | 'traffic' | 'stats' | 'status';

/** Topic a device publishes `kind` messages on. */
export function deviceTopic(deviceId: string, kind: TopicKind): string {
  return `${TOPIC_ROOT}/${deviceId}/${kind}`;
}

/** Subscription filter for `kind` messages of every device (single-level wildcard on the device id). */
export function allDevicesFilter(kind: TopicKind): string {
  return `${TOPIC_ROOT}/+/${kind}`;
}

/**
 * Topic of the redacted evidence JPEG of one observation:
 * `sightline/v1/{deviceId}/evidence/{observationId}` (QoS 1, not retained, payload = JPEG bytes).
 * `parseTopic` gives `{ kind: 'evidence', rest: [observationId] }` back.
 */
export function evidenceTopic(deviceId: string, observationId: string): string {
  return `${TOPIC_ROOT}/${deviceId}/evidence/${observationId}`;
}

/** Subscription filter for the evidence of every device and observation: `sightline/v1/+/evidence/+`. */
export function allDevicesEvidenceFilter(): string {
  return `${TOPIC_ROOT}/+/evidence/+`;
}

/**
 * Splits `sightline/v1/{deviceId}/{kind}[/...]` into its parts.
 * @returns `undefined` when the topic is not under `sightline/v1/`.
 */
export function parseTopic(topic: string): { deviceId: string; kind: string; rest: string[] } | undefined {
  const parts = topic.split('/');
  if (parts.length < 4 || `${parts[0]}/${parts[1]}` !== TOPIC_ROOT) return undefined;
  const [, , deviceId, kind, ...rest] = parts;
  if (!deviceId || !kind) return undefined;
  return { deviceId, kind, rest };
}
