/**
 * The incident and evidence steps of an ingest batch, run in the batch's transaction right after
 * the observations are inserted:
 *
 * 1. evidence that was waiting for this batch's observations is verified (or dead-lettered);
 * 2. this batch's evidence JPEGs are stored (see `evidence/ingest.ts`);
 * 3. categorised, positioned observations whose category raises incidents are merged into
 *    incidents (see `incidents/merge.ts`).
 */
import type { ObservationMessage } from '@sightline/contracts';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { storeEvidence, verifyWaitingEvidence, type ReceivedEvidence } from '../evidence/ingest';
import type { EvidenceStore } from '../evidence/store';
import { mergeSightings, type MergeOutcome, type Sighting } from '../incidents/merge';
import type { CategoryRules } from '../incidents/rules';

/** What the ingest needs for incidents and evidence. */
export interface SightingOptions {
  rules: CategoryRules;
  evidenceStore: EvidenceStore;
}

/** What the steps did in one batch. */
export interface SightingsOutcome {
  incidents: MergeOutcome;
  evidenceVerified: number;
  evidenceWaiting: number;
  /** Dead letters these steps wrote (evidence that does not match its observation). */
  deadLettersStored: number;
}

/** The sightings (category + position) among the observations of `messages`. */
export function sightingsOf(messages: readonly ObservationMessage[]): Sighting[] {
  const out: Sighting[] = [];
  for (const m of messages) {
    if (!m.position) continue;
    const capturedAt = new Date(m.capturedAt);
    for (const o of m.observations) {
      if (o.category === undefined) continue;
      out.push({ observationId: o.id, category: o.category, lat: m.position.lat, lon: m.position.lon, capturedAt, score: o.score });
    }
  }
  return out;
}

/** Runs the three steps (see the module comment) inside the batch's transaction `db`. */
export async function storeSightings(
  db: Kysely<Database>,
  messages: readonly ObservationMessage[],
  evidence: readonly ReceivedEvidence[],
  options: SightingOptions,
): Promise<SightingsOutcome> {
  const announced = messages.flatMap((m) => m.observations.filter((o) => o.evidence !== undefined).map((o) => o.id));
  const waiting = await verifyWaitingEvidence(db, options.evidenceStore, announced);
  const stored = await storeEvidence(db, options.evidenceStore, evidence);
  const sightings = sightingsOf(messages);
  const incidents = sightings.length > 0 ? await mergeSightings(db, sightings, options.rules) : { created: 0, joined: 0, reopened: 0, skipped: 0 };
  return {
    incidents,
    evidenceVerified: waiting.verified + stored.verified,
    evidenceWaiting: stored.waiting,
    deadLettersStored: waiting.deadLettered + stored.deadLettered,
  };
}
