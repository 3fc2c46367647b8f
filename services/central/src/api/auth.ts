/**
 * API authentication, authorisation and rate limiting.
 *
 * Every route declares who may call it in its config: `config: { access: 'public' | 'read' |
 * 'operate' | 'admin' }`. A route that declares nothing needs `admin` (fail closed); the OpenAPI
 * document and UI under `/docs` are public.
 *
 * | access | who |
 * |---|---|
 * | `public` | anyone: `/healthz`, `/docs`, the Open311 read side (unless `open311Public` is off) |
 * | `read` | a key of scope read, operate or admin: every GET of `/v1/...` |
 * | `operate` | operate or admin: `PATCH /v1/incidents/{id}` |
 * | `admin` | admin: `/v1/keys` |
 *
 * The key comes in `Authorization: Bearer <key>` or `X-API-Key: <key>`. No key, an unknown key or
 * a revoked key → 401 (with `WWW-Authenticate: Bearer`); a key whose scope is too weak → 403.
 * Both are problem+json documents naming what is needed.
 *
 * Verified keys are cached in process for `cacheSeconds` (default 5), so a request costs no
 * database round trip; revoking a key through this instance evicts it at once, other instances
 * stop accepting it within `cacheSeconds`.
 *
 * Rate limiting (@fastify/rate-limit, in memory per instance): `max` requests per `timeWindowMs`
 * per API key (keyed by the key's id), or per client IP for requests without a key. Over the
 * limit → 429 problem with `Retry-After`. With several API replicas each counts on its own (put a
 * shared store, e.g. Redis, behind the plugin for a global limit).
 *
 * `enabled: false` (`SIGHTLINE_AUTH=off`, for local development only) lets every request through
 * as an admin.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { findApiKey, scopeAllows, touchApiKey, type ApiKeyInfo } from '../auth/keys';
import type { Database } from '../db/schema';
import type { ApiKeyScope } from '../db/schema-incidents';
import { HttpProblem, problemResponses } from './problem';

/** Who may call a route. */
export type Access = 'public' | ApiKeyScope;

/** The key a request was authenticated with. */
export interface RequestKey {
  id: string;
  name: string;
  scope: ApiKeyScope;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route (see `api/auth.ts`); absent = `admin`. */
    access?: Access;
  }
  interface FastifyRequest {
    /** The API key of the request, once authenticated (absent on public routes). */
    apiKey?: RequestKey;
  }
}

/** Auth settings of the API. */
export interface AuthOptions {
  /** Require keys (default true). `false` = development mode: every request acts as admin. */
  enabled?: boolean;
  /** Seconds a verified (or unknown) key is cached per instance (default 5; 0 = no cache). */
  cacheSeconds?: number;
  /** Requests per key per window (default 1200 per 60 s); `false` = no rate limit. */
  rateLimit?: { max: number; timeWindowMs: number } | false;
}

/** Defaults of {@link AuthOptions}. */
export const DEFAULT_AUTH = { enabled: true, cacheSeconds: 5, rateLimit: { max: 1200, timeWindowMs: 60_000 } } as const;

/** The key used when auth is disabled. */
const DEVELOPMENT_KEY: RequestKey = { id: '00000000-0000-0000-0000-000000000000', name: 'auth disabled (SIGHTLINE_AUTH=off)', scope: 'admin' };

/** The actor recorded in audit trails for a request's key. */
export function actorOf(request: FastifyRequest): string {
  const key = request.apiKey;
  return key ? `${key.name} (key ${key.id})` : 'anonymous';
}

/** The presented key: `Authorization: Bearer <key>`, else `X-API-Key`. */
function presentedKey(request: FastifyRequest): string | undefined {
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match) return match[1];
  }
  const header = request.headers['x-api-key'];
  const value = Array.isArray(header) ? header[0] : header;
  return value && value.trim() !== '' ? value.trim() : undefined;
}

/** In-process cache of key lookups (hash of the presented text → key or "unknown"). */
class KeyCache {
  readonly #entries = new Map<string, { key: ApiKeyInfo | undefined; expires: number }>();
  constructor(
    private readonly db: Kysely<Database>,
    private readonly ttlMs: number,
  ) {}

  async lookup(text: string): Promise<ApiKeyInfo | undefined> {
    if (text.length > 200) return undefined; // not a key we issued; don't hash megabytes
    const now = Date.now();
    const hit = this.#entries.get(text);
    if (hit && hit.expires > now) return hit.key;
    const key = await findApiKey(this.db, text);
    if (key) void touchApiKey(this.db, key.id).catch(() => undefined);
    if (this.ttlMs > 0) {
      if (this.#entries.size >= 10_000) this.#entries.clear();
      this.#entries.set(text, { key, expires: now + this.ttlMs });
    }
    return key;
  }

  /** Forgets every cached entry of key `id` (after a revoke). */
  evict(id: string): void {
    for (const [text, entry] of this.#entries) if (entry.key?.id === id) this.#entries.delete(text);
  }
}

/** What {@link installAuth} gives the routes. */
export interface Auth {
  /** Forget a key at once on this instance (call after revoking it). */
  evict(id: string): void;
  enabled: boolean;
}

/**
 * Installs the auth hook, the OpenAPI security annotations and the rate limiter on the root
 * instance. Call it before registering any route (and before swagger, so it sees the annotations).
 */
export async function installAuth(app: FastifyInstance, db: Kysely<Database>, options: AuthOptions = {}): Promise<Auth> {
  const enabled = options.enabled ?? DEFAULT_AUTH.enabled;
  const cache = new KeyCache(db, (options.cacheSeconds ?? DEFAULT_AUTH.cacheSeconds) * 1000);
  const limits = options.rateLimit === undefined ? DEFAULT_AUTH.rateLimit : options.rateLimit;

  const accessOf = (request: FastifyRequest): Access | undefined => {
    const url = request.routeOptions.url;
    if (url === undefined) return undefined; // no such route: the 404 handler answers
    if (url === '/docs' || url.startsWith('/docs/')) return 'public';
    return request.routeOptions.config.access ?? 'admin';
  };

  // Document the security of every route in the OpenAPI document.
  app.addHook('onRoute', (route) => {
    const access: Access = route.config?.access ?? (route.url.startsWith('/docs') ? 'public' : 'admin');
    if (route.url.startsWith('/docs')) return;
    const schema = (route.schema ??= {}) as Record<string, unknown>;
    if (access === 'public') {
      schema.security = [];
      return;
    }
    schema.security = [{ bearerKey: [] }, { headerKey: [] }];
    const response = schema.response as Record<string, unknown> | undefined;
    if (response) for (const code of [401, 403, 429]) response[code] ??= problemResponses(code)[code];
    const note = `Needs an API key of scope \`${access}\`${access === 'admin' ? '' : ' or stronger'}.`;
    // GET and its automatic HEAD route share one schema object: add the note once.
    if (!String(schema.description ?? '').includes(note)) schema.description = schema.description ? `${String(schema.description)}\n\n${note}` : note;
  });

  app.addHook('onRequest', async (request, reply) => {
    const access = accessOf(request);
    if (access === undefined || access === 'public') return;
    if (!enabled) {
      request.apiKey = DEVELOPMENT_KEY;
      return;
    }
    const text = presentedKey(request);
    const key = text === undefined ? undefined : await cache.lookup(text);
    if (!key) {
      reply.header('www-authenticate', 'Bearer realm="sightline"');
      throw new HttpProblem(
        401,
        text === undefined
          ? `${request.method} ${request.routeOptions.url} needs an API key of scope '${access}': send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'`
          : 'the API key is unknown or revoked; ask an admin for a key (sightline keys create --scope read)',
      );
    }
    if (!scopeAllows(key.scope, access)) {
      throw new HttpProblem(403, `${request.method} ${request.routeOptions.url} needs scope '${access}'; this key (${key.name}) has scope '${key.scope}'`);
    }
    request.apiKey = { id: key.id, name: key.name, scope: key.scope };
  });

  if (limits) {
    await app.register(rateLimit, {
      global: true,
      hook: 'preHandler',
      max: limits.max,
      timeWindow: limits.timeWindowMs,
      keyGenerator: (request) => (request.apiKey && enabled ? `key:${request.apiKey.id}` : `ip:${request.ip}`),
      allowList: (request) => request.routeOptions.url === '/healthz',
    });
  }
  return { evict: (id) => cache.evict(id), enabled };
}
