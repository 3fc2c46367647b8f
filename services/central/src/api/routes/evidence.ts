/**
 * `GET /v1/observations/:id/evidence.jpg`: the redacted evidence JPEG of an observation, as the
 * device published it (byte for byte), once it was verified against the observation's announced
 * size and SHA-256. `ETag` is the SHA-256, so caches revalidate with `If-None-Match` (304).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import type { Kysely } from 'kysely';
import Type from 'typebox';
import type { Database } from '../../db/schema';
import type { EvidenceStore } from '../../evidence/store';
import type { Access } from '../auth';
import { HttpProblem, problemResponses } from '../problem';

/** Options of {@link evidenceRoutes}. */
export interface EvidenceRoutesOptions {
  db: Kysely<Database>;
  store: EvidenceStore;
}

/**
 * Answers with the verified evidence JPEG of `observationId` (or 404); `onlyIncidents` restricts
 * it to observations that are sightings of an incident (the public Open311 media link).
 */
export async function sendEvidence(
  db: Kysely<Database>,
  store: EvidenceStore,
  observationId: string,
  ifNoneMatch: string | undefined,
  reply: FastifyReply,
  options: { onlyIncidents?: boolean } = {},
): Promise<FastifyReply> {
  let query = db
    .selectFrom('evidence')
    .select(['evidence.observation_id', 'evidence.device_id', 'evidence.sha256', 'evidence.content_type'])
    .where('evidence.observation_id', '=', observationId)
    .where('evidence.verified', '=', true);
  if (options.onlyIncidents) {
    query = query.where((eb) => eb.exists(eb.selectFrom('incident_observations').select('incident_observations.observation_id').whereRef('incident_observations.observation_id', '=', 'evidence.observation_id')));
  }
  const row = await query.executeTakeFirst();
  const data = row ? await store.get(db, { observationId: row.observation_id, deviceId: row.device_id }) : undefined;
  if (!row || !data) throw new HttpProblem(404, `observation ${observationId} has no evidence image`);
  const etag = `"${row.sha256}"`;
  reply.header('etag', etag).header('cache-control', 'private, max-age=86400');
  if (ifNoneMatch !== undefined && ifNoneMatch.split(',').some((t) => t.trim() === etag)) return reply.code(304).send();
  return reply.type(row.content_type).send(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
}

/** The evidence route as a Fastify plugin. */
export const evidenceRoutes: FastifyPluginAsyncTypebox<EvidenceRoutesOptions> = async (app, { db, store }) => {
  const access: Access = 'read';
  app.get(
    '/v1/observations/:id/evidence.jpg',
    {
      config: { access },
      schema: {
        summary: "An observation's redacted evidence JPEG",
        description:
          'The JPEG the device published for the observation (persons and the lower halves of vehicles made ' +
          'unrecoverable on the device), byte for byte, served once its size and SHA-256 matched what the observation ' +
          'announced. `ETag` is the SHA-256.',
        tags: ['observations'],
        params: Type.Object({ id: Type.String({ format: 'uuid', description: 'observation id' }) }),
        response: {
          200: { description: 'the JPEG', content: { 'image/jpeg': { schema: Type.String({ contentEncoding: 'binary' }) } } },
          304: { description: 'not modified (If-None-Match matched the ETag)', type: 'null' },
          ...problemResponses(400, 401, 403, 404, 429, 500, 503),
        },
      },
    },
    async (request, reply) => sendEvidence(db, store, request.params.id.toLowerCase(), request.headers['if-none-match'], reply),
  );
};
