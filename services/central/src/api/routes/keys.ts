/**
 * Admin routes for API keys: `POST /v1/keys` (create; the key is in this response only),
 * `GET /v1/keys` (list, never the keys themselves) and `DELETE /v1/keys/:id` (revoke).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Kysely } from 'kysely';
import Type from 'typebox';
import { createApiKey, listApiKeys, revokeApiKey, type ApiKeyInfo } from '../../auth/keys';
import type { Database } from '../../db/schema';
import type { Auth } from '../auth';
import { HttpProblem, problemResponses } from '../problem';

const Scope = Type.Union([Type.Literal('read'), Type.Literal('operate'), Type.Literal('admin')], {
  description: '`read`: GET the data; `operate`: also PATCH incidents; `admin`: also manage keys',
});

const KeyInfo = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  scope: Scope,
  prefix: Type.String({ description: 'first characters of the key, to tell keys apart' }),
  createdAt: Type.String({ format: 'date-time' }),
  createdBy: Type.Union([Type.String(), Type.Null()], { description: 'id of the admin key that created it, or `cli`' }),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'approximate (updated at most every few seconds)' }),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

const CreatedKey = Type.Object({
  ...KeyInfo.properties,
  key: Type.String({ description: 'the API key: shown once, store it now (central keeps only its SHA-256)' }),
});

function toKeyInfo(k: ApiKeyInfo) {
  return {
    id: k.id,
    name: k.name,
    scope: k.scope,
    prefix: k.prefix,
    createdAt: k.createdAt.toISOString(),
    createdBy: k.createdBy,
    lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
    revokedAt: k.revokedAt?.toISOString() ?? null,
  };
}

/** Options of {@link keyRoutes}. */
export interface KeyRoutesOptions {
  db: Kysely<Database>;
  auth: Auth;
}

/** The key routes as a Fastify plugin. */
export const keyRoutes: FastifyPluginAsyncTypebox<KeyRoutesOptions> = async (app, { db, auth }) => {
  app.post(
    '/v1/keys',
    {
      config: { access: 'admin' },
      schema: {
        summary: 'Create an API key',
        tags: ['keys'],
        body: Type.Object(
          { scope: Scope, name: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'who or what uses it' })) },
          { additionalProperties: false },
        ),
        response: { 201: CreatedKey, ...problemResponses(400, 401, 403, 429, 500, 503) },
      },
    },
    async (request, reply) => {
      const created = await createApiKey(db, { scope: request.body.scope, ...(request.body.name ? { name: request.body.name } : {}), createdBy: request.apiKey?.id ?? 'api' });
      return reply.code(201).send({ ...toKeyInfo(created), key: created.key });
    },
  );

  app.get(
    '/v1/keys',
    {
      config: { access: 'admin' },
      schema: {
        summary: 'List API keys (never the keys themselves)',
        tags: ['keys'],
        querystring: Type.Object({ includeRevoked: Type.Optional(Type.Boolean({ default: false })) }, { additionalProperties: false }),
        response: { 200: Type.Object({ items: Type.Array(KeyInfo) }), ...problemResponses(400, 401, 403, 429, 500, 503) },
      },
    },
    async (request) => ({ items: (await listApiKeys(db, { includeRevoked: request.query.includeRevoked ?? false })).map(toKeyInfo) }),
  );

  app.delete(
    '/v1/keys/:id',
    {
      config: { access: 'admin' },
      schema: {
        summary: 'Revoke an API key',
        description: 'The key stops working at once on this instance and within the auth cache time (5 s by default) on others. Revoking twice is harmless.',
        tags: ['keys'],
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: { 200: KeyInfo, ...problemResponses(400, 401, 403, 404, 429, 500, 503) },
      },
    },
    async (request) => {
      const revoked = await revokeApiKey(db, request.params.id.toLowerCase());
      if (!revoked) throw new HttpProblem(404, `API key ${request.params.id} does not exist`);
      auth.evict(revoked.id);
      return toKeyInfo(revoked);
    },
  );
};
