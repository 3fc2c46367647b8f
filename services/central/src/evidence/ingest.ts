/**
 * Storing evidence JPEGs in the ingest batch's transaction, and tying each to its observation.
 *
 * The JPEG (`sightline/v1/{deviceId}/evidence/{observationId}`) and the observation announcing it
 * (`evidence: { bytes, sha256, ... }` in the ObservationMessage) travel on different topics, so
 * either may arrive first:
 *
 * | arrives | observation already stored | what happens |
 * |---|---|---|
 * | JPEG | yes, same device, size and SHA-256 match | stored, `verified` |
 * | JPEG | yes, but another device's observation, no evidence announced, or size/SHA-256 differ | dead letter (reason says which) |
 * | JPEG | not yet | stored unverified, waiting |
 * | observation | a waiting JPEG of the same device matches | the JPEG becomes `verified` |
 * | observation | a waiting JPEG does not match (other device, size, SHA-256) | the JPEG is removed and dead-lettered |
 *
 * Only verified evidence is served by the API. A JPEG whose observation never arrives stays
 * unverified (a retention job may delete unverified rows older than a few days; none runs yet).
 * A re-delivered JPEG changes nothing.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { insertDeadLetters } from '../ingest/dead-letters';
import type { DeadLetterItem } from '../ingest/items';
import type { EvidenceRecord } from './decode';
import type { EvidenceStore } from './store';

/** An evidence record with what the ingest knows about its MQTT message. */
export interface ReceivedEvidence {
  record: EvidenceRecord;
  topic: string;
  receivedAt: Date;
}

/** An observation of the batch that announced evidence. */
export interface AnnouncedEvidence {
  observationId: string;
  deviceId: string;
  bytes: number;
  sha256: string;
}

/** What the evidence steps of a batch did. */
export interface EvidenceOutcome {
  /** JPEGs stored and verified against their observation. */
  verified: number;
  /** JPEGs stored while their observation has not arrived. */
  waiting: number;
  /** JPEGs dead-lettered (mismatch, foreign device, not announced). */
  deadLettered: number;
}

interface ObservationEvidence {
  id: string;
  device_id: string;
  evidence_sha256: string | null;
  evidence_bytes: number | null;
}

/** Why `evidence` does not belong to `observation`, or undefined when it does. */
function mismatch(observation: ObservationEvidence, deviceId: string, bytes: number, sha256: string): string | undefined {
  if (observation.device_id !== deviceId) {
    return `evidence for observation ${observation.id} of device "${observation.device_id}" was published by device "${deviceId}"`;
  }
  if (observation.evidence_sha256 === null) return `observation ${observation.id} announced no evidence`;
  if (observation.evidence_bytes !== null && observation.evidence_bytes !== bytes) {
    return `evidence for observation ${observation.id} is ${bytes} bytes, the observation announced ${observation.evidence_bytes}`;
  }
  if (observation.evidence_sha256 !== sha256) {
    return `evidence for observation ${observation.id} has sha256 ${sha256}, the observation announced ${observation.evidence_sha256}`;
  }
  return undefined;
}

/**
 * Stores the batch's evidence JPEGs (see the module comment). Run it in the batch's transaction
 * after the observations are inserted, so evidence and its observation in one batch meet.
 */
export async function storeEvidence(db: Kysely<Database>, store: EvidenceStore, items: readonly ReceivedEvidence[]): Promise<EvidenceOutcome> {
  const outcome: EvidenceOutcome = { verified: 0, waiting: 0, deadLettered: 0 };
  if (items.length === 0) return outcome;
  const sorted = [...items].sort((a, b) => compare(a.record.observationId + a.record.deviceId, b.record.observationId + b.record.deviceId));
  const observations = new Map(
    (
      await db
        .selectFrom('observations')
        .select(['id', 'device_id', 'evidence_sha256', 'evidence_bytes'])
        .where('id', 'in', [...new Set(sorted.map((i) => i.record.observationId))])
        .execute()
    ).map((o) => [o.id, o]),
  );
  const dead: DeadLetterItem[] = [];
  for (const item of sorted) {
    const { record } = item;
    const observation = observations.get(record.observationId);
    const reason = observation ? mismatch(observation, record.deviceId, record.data.byteLength, record.sha256) : undefined;
    if (reason) {
      dead.push(deadLetter(item, reason));
      continue;
    }
    const inserted = await db
      .insertInto('evidence')
      .values({
        observation_id: record.observationId,
        device_id: record.deviceId,
        received_at: item.receivedAt,
        content_type: 'image/jpeg',
        bytes: record.data.byteLength,
        sha256: record.sha256,
        verified: observation !== undefined,
      })
      .onConflict((oc) => oc.columns(['observation_id', 'device_id']).doNothing())
      .returning('observation_id')
      .executeTakeFirst();
    if (!inserted) {
      // A re-delivery (same bytes: nothing to do) or different bytes for the same key.
      const existing = await db
        .selectFrom('evidence')
        .select('sha256')
        .where('observation_id', '=', record.observationId)
        .where('device_id', '=', record.deviceId)
        .executeTakeFirstOrThrow();
      if (existing.sha256 !== record.sha256) {
        dead.push(deadLetter(item, `evidence for observation ${record.observationId} was already received with sha256 ${existing.sha256}; this copy has ${record.sha256}`));
      }
      continue;
    }
    await store.put(db, { observationId: record.observationId, deviceId: record.deviceId }, record.data);
    if (observation) outcome.verified += 1;
    else outcome.waiting += 1;
  }
  outcome.deadLettered = await insertDeadLetters(db, dead);
  return outcome;
}

/**
 * Checks the JPEGs that were waiting for the batch's observations: matching ones become verified,
 * the others are removed and dead-lettered. Run it in the batch's transaction after the
 * observations are inserted.
 */
export async function verifyWaitingEvidence(db: Kysely<Database>, store: EvidenceStore, observationIds: readonly string[]): Promise<EvidenceOutcome> {
  const outcome: EvidenceOutcome = { verified: 0, waiting: 0, deadLettered: 0 };
  if (observationIds.length === 0) return outcome;
  const waiting = await db
    .selectFrom('evidence')
    .innerJoin('observations', 'observations.id', 'evidence.observation_id')
    .select([
      'evidence.observation_id',
      'evidence.device_id',
      'evidence.bytes',
      'evidence.sha256',
      'evidence.received_at',
      'observations.device_id as observation_device_id',
      'observations.evidence_sha256',
      'observations.evidence_bytes',
    ])
    .where('evidence.observation_id', 'in', [...new Set(observationIds)])
    .where('evidence.verified', '=', false)
    .orderBy('evidence.observation_id')
    .orderBy('evidence.device_id')
    .execute();
  const dead: DeadLetterItem[] = [];
  for (const row of waiting) {
    const key = { observationId: row.observation_id, deviceId: row.device_id };
    const reason = mismatch(
      { id: row.observation_id, device_id: row.observation_device_id, evidence_sha256: row.evidence_sha256, evidence_bytes: row.evidence_bytes },
      row.device_id,
      row.bytes,
      row.sha256,
    );
    if (!reason) {
      await db.updateTable('evidence').set({ verified: true }).where('observation_id', '=', key.observationId).where('device_id', '=', key.deviceId).execute();
      outcome.verified += 1;
      continue;
    }
    const data = (await store.get(db, key)) ?? new Uint8Array();
    await store.delete(db, key);
    await db.deleteFrom('evidence').where('observation_id', '=', key.observationId).where('device_id', '=', key.deviceId).execute();
    dead.push({
      kind: 'dead-letter',
      topic: `sightline/v1/${key.deviceId}/evidence/${key.observationId}`,
      payload: data,
      receivedAt: row.received_at,
      reason,
      deviceId: key.deviceId,
    });
  }
  outcome.deadLettered = await insertDeadLetters(db, dead);
  return outcome;
}

function deadLetter(item: ReceivedEvidence, reason: string): DeadLetterItem {
  return { kind: 'dead-letter', topic: item.topic, payload: item.record.data, receivedAt: item.receivedAt, reason, deviceId: item.record.deviceId };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
