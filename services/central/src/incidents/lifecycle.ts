/**
 * The incident lifecycle: which status changes are allowed, and applying a change (status,
 * assignee, note) with its audit trail in `incident_events`.
 *
 * ```
 *   open ──▶ acknowledged ──┬──▶ resolved ──▶ open   (reopen: by a person, or by the ingest on a new
 *    │                      │                         sighting within the radius if the category's
 *    ├──▶ resolved          │                         `reopenResolved` is true)
 *    └──▶ dismissed         └──▶ dismissed ──▶ open  (by a person only)
 * ```
 *
 * | from \ to | open | acknowledged | resolved | dismissed |
 * |---|---|---|---|---|
 * | open | – | ✔ | ✔ | ✔ |
 * | acknowledged | ✘ | – | ✔ | ✔ |
 * | resolved | ✔ (reopen) | ✘ | – | ✘ |
 * | dismissed | ✔ (person only) | ✘ | ✘ | – |
 *
 * Setting the status an incident already has changes nothing (no event, not an error). A
 * dismissed incident never reopens by itself: later sightings within its radius join it (the count
 * grows) but it stays dismissed — that is what dismissing a false positive is for.
 */
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Database } from '../db/schema';
import type { IncidentRow, IncidentStatus, NewIncidentEventRow } from '../db/schema-incidents';

/** Every status, in lifecycle order. */
export const INCIDENT_STATUSES: readonly IncidentStatus[] = ['open', 'acknowledged', 'resolved', 'dismissed'];

/** Allowed status changes (see the table in the module comment). */
export const TRANSITIONS: Readonly<Record<IncidentStatus, readonly IncidentStatus[]>> = {
  open: ['acknowledged', 'resolved', 'dismissed'],
  acknowledged: ['resolved', 'dismissed'],
  resolved: ['open'],
  dismissed: ['open'],
};

/** Whether `from → to` is allowed (a change to the same status is not a transition). */
export function canTransition(from: IncidentStatus, to: IncidentStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** A change asked for through the API. */
export interface IncidentChange {
  status?: IncidentStatus;
  /** New assignee; `null` clears it. */
  assignee?: string | null;
  note?: string;
}

/** The incident cannot go from its status to the asked one. */
export class TransitionError extends Error {
  constructor(
    readonly from: IncidentStatus,
    readonly to: IncidentStatus,
  ) {
    const allowed = TRANSITIONS[from];
    super(`incident is ${from}; it cannot become ${to} (from ${from} it may become ${allowed.join(' or ')})`);
    this.name = 'TransitionError';
  }
}

/**
 * Applies `change` to incident `id` in one transaction (row locked, so concurrent changes and the
 * ingest's reopen serialise) and records one event per changed field; a note alone is an event too.
 *
 * @param actor who made the change (recorded in the events).
 * @returns the updated row, or `undefined` when no incident has this id.
 * @throws TransitionError when the status change is not allowed (nothing is changed then).
 */
export async function changeIncident(db: Kysely<Database>, id: string, change: IncidentChange, actor: string): Promise<IncidentRow | undefined> {
  return db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('incidents').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    if (!row) return undefined;
    const events: NewIncidentEventRow[] = [];
    const note = change.note === undefined || change.note.trim() === '' ? null : change.note;
    let status = row.status;
    if (change.status !== undefined && change.status !== row.status) {
      if (!canTransition(row.status, change.status)) throw new TransitionError(row.status, change.status);
      status = change.status;
      events.push({ incident_id: id, actor, action: 'status', from_status: row.status, to_status: status, note });
    }
    const assignee = change.assignee === undefined ? row.assignee : change.assignee;
    if (assignee !== row.assignee) {
      events.push({ incident_id: id, actor, action: 'assignee', from_assignee: row.assignee, to_assignee: assignee, note: events.length === 0 ? note : null });
    }
    if (events.length === 0 && note !== null) events.push({ incident_id: id, actor, action: 'note', note });
    if (events.length === 0) return row;
    const updated = await trx
      .updateTable('incidents')
      .set({
        status,
        assignee,
        updated_at: sql<Date>`now()`,
        ...(status !== row.status ? { status_changed_at: sql<Date>`now()` } : {}),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await trx.insertInto('incident_events').values(events).execute();
    return updated;
  });
}
