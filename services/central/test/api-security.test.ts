/**
 * API security: every protected route (taken from the OpenAPI document, so new routes are covered
 * too) answers 401 without a key, with an unknown key and with a revoked key, and 403 to a key
 * whose scope is too weak; public routes need none; the admin key API; rate limiting per key; the
 * development switch; and injection strings in every query parameter of every GET route give a
 * 400 or an ordinary answer, never a 5xx.
 */
import { newId } from '@sightline/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi, startCentral, type Central } from '../src/index';
import { createTestDatabase, type TestDatabase } from '../../../tests/support/postgres';
import { keyHeaders } from './helpers';

interface OpenApi {
  paths: Record<string, Record<string, { security?: unknown[]; parameters?: Array<{ name: string; in: string }> }>>;
}

const INJECTIONS = [
  "' OR '1'='1",
  "1; DROP TABLE incidents; --",
  "dumping' UNION SELECT key_hash FROM api_keys --",
  '"><script>alert(1)</script>',
  '../../../../etc/passwd',
  '${jndi:ldap://127.0.0.1/x}',
  '\u0000',
  '%',
  "'",
  '1e309',
  '-0',
  'NaN',
  'x'.repeat(3000),
  '日本語',
];

describe('API security on PostgreSQL', () => {
  let database: TestDatabase;
  let central: Central;
  let read: Record<string, string>;
  let operate: Record<string, string>;
  let admin: Record<string, string>;
  let doc: OpenApi;
  const incidentId = newId();

  /** Concrete paths for the documented route templates. */
  const concrete = (path: string) =>
    path
      .replace('/v1/incidents/{id}', `/v1/incidents/${incidentId}`)
      .replace('{id}', newId())
      .replace('{file}', `${newId()}.jpg`);

  const call = (method: string, path: string, headers: Record<string, string> = {}) =>
    fetch(`${central.apiUrl}${path}`, {
      method: method.toUpperCase(),
      headers: { ...headers, ...(method === 'patch' || method === 'post' ? { 'content-type': 'application/json' } : {}) },
      ...(method === 'patch' ? { body: JSON.stringify({ note: 'security test' }) } : method === 'post' ? { body: JSON.stringify({ scope: 'read' }) } : {}),
    });

  beforeAll(async () => {
    database = await createTestDatabase();
    central = await startCentral({ databaseUrl: database.url, mqttPort: 0, httpPort: 0, logger: false });
    read = await keyHeaders(central.db, 'read');
    operate = await keyHeaders(central.db, 'operate');
    admin = await keyHeaders(central.db, 'admin');
    await central.db
      .insertInto('incidents')
      .values({
        id: incidentId,
        category: 'dumping.furniture.couch',
        status: 'open',
        lat: 52.37,
        lon: 4.89,
        first_seen: new Date(),
        last_seen: new Date(),
        sighting_count: 1,
        max_score: 0.9,
        last_observation_id: newId(),
      })
      .execute();
    doc = (await (await fetch(`${central.apiUrl}/docs/json`)).json()) as OpenApi;
  });

  afterAll(async () => {
    await central?.close();
    await database?.drop();
  });

  const routes = () =>
    Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })));

  it('refuses every protected route without a key, with an unknown key and with a revoked key', async () => {
    const protectedRoutes = routes().filter((r) => (r.op.security ?? []).length > 0);
    expect(protectedRoutes.map((r) => `${r.method} ${r.path}`)).toEqual(
      expect.arrayContaining([
        'get /v1/observations',
        'get /v1/observations/{id}/evidence.jpg',
        'get /v1/devices',
        'get /v1/traffic/counts',
        'get /v1/incidents',
        'get /v1/incidents/{id}',
        'patch /v1/incidents/{id}',
        'post /v1/keys',
        'get /v1/keys',
        'delete /v1/keys/{id}',
      ]),
    );
    // Revoke a key through the admin API: it stops working at once.
    const created = await (await call('post', '/v1/keys', admin)).json() as { id: string; key: string };
    const doomed = { authorization: `Bearer ${created.key}` };
    expect((await call('get', '/v1/incidents', doomed)).status).toBe(200);
    expect((await call('delete', `/v1/keys/${created.id}`, admin)).status).toBe(200);

    for (const { path, method } of protectedRoutes) {
      const url = concrete(path);
      for (const [what, headers] of [
        ['no key', {}],
        ['unknown key', { authorization: 'Bearer sl_not-a-key-we-issued' }],
        ['revoked key', doomed],
        ['unknown X-API-Key', { 'x-api-key': 'sl_nope' }],
        ['malformed header', { authorization: 'Basic dXNlcjpwYXNz' }],
      ] as const) {
        const response = await call(method, url, headers);
        expect(response.status, `${method} ${url} with ${what}`).toBe(401);
        expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      }
    }
  });

  it('answers 403 to a key whose scope is too weak, and lets the right scope through', async () => {
    expect((await call('patch', `/v1/incidents/${incidentId}`, read)).status).toBe(403);
    const forbidden = await call('patch', `/v1/incidents/${incidentId}`, read);
    expect(((await forbidden.json()) as { detail: string }).detail).toMatch(/needs scope 'operate'.*has scope 'read'/);
    expect((await call('patch', `/v1/incidents/${incidentId}`, operate)).status).toBe(200);
    expect((await call('patch', `/v1/incidents/${incidentId}`, admin)).status).toBe(200);
    for (const [method, path] of [['get', '/v1/keys'], ['post', '/v1/keys'], ['delete', `/v1/keys/${newId()}`]] as const) {
      expect((await call(method, path, read)).status, `${method} ${path}`).toBe(403);
      expect((await call(method, path, operate)).status, `${method} ${path}`).toBe(403);
    }
    // X-API-Key works as well as the bearer header.
    const key = read.authorization!.slice('Bearer '.length);
    expect((await call('get', '/v1/incidents', { 'x-api-key': key })).status).toBe(200);
  });

  it('keeps health, the OpenAPI document and the Open311 read side public', async () => {
    for (const path of ['/healthz', '/docs/json', '/open311/v2/services.json', '/open311/v2/requests.json']) {
      expect((await fetch(`${central.apiUrl}${path}`)).status, path).toBe(200);
    }
    const unsecured = routes().filter((r) => (r.op.security ?? [1]).length === 0).map((r) => r.path);
    expect(unsecured.every((p) => p === '/healthz' || p.startsWith('/open311/'))).toBe(true);
  });

  it('lists keys without their secrets and refuses to create a key of an unknown scope', async () => {
    const list = (await (await call('get', '/v1/keys?includeRevoked=true', admin)).json()) as { items: Array<Record<string, unknown>> };
    expect(list.items.length).toBeGreaterThanOrEqual(4);
    for (const item of list.items) {
      expect(Object.keys(item).sort()).toEqual(['createdAt', 'createdBy', 'id', 'lastUsedAt', 'name', 'prefix', 'revokedAt', 'scope']);
    }
    const stored = await database.query<{ key_hash: string; prefix: string }>('select key_hash, prefix from api_keys');
    expect(stored.every((k) => /^[0-9a-f]{64}$/.test(k.key_hash) && k.prefix.length === 11)).toBe(true);
    const bad = await fetch(`${central.apiUrl}/v1/keys`, { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: JSON.stringify({ scope: 'root' }) });
    expect(bad.status).toBe(400);
    expect((await call('delete', `/v1/keys/${newId()}`, admin)).status).toBe(404);
  });

  it('never answers 5xx to injection strings in any query parameter of any GET route', async () => {
    const gets = routes().filter((r) => r.method === 'get' && !r.path.startsWith('/docs'));
    let requests = 0;
    for (const { path, op } of gets) {
      const url = concrete(path);
      for (const parameter of (op.parameters ?? []).filter((p) => p.in === 'query')) {
        for (const value of INJECTIONS) {
          const response = await fetch(`${central.apiUrl}${url}?${parameter.name}=${encodeURIComponent(value)}`, { headers: admin });
          requests += 1;
          const text = await response.text();
          expect(response.status, `${url}?${parameter.name}=${value.slice(0, 40)}: ${text.slice(0, 200)}`).toBeLessThan(500);
          if (response.status === 200 && url === '/v1/incidents') expect(JSON.parse(text).items.length).toBeLessThanOrEqual(1);
        }
      }
    }
    expect(requests).toBeGreaterThan(300);
    // Path parameters too.
    for (const value of INJECTIONS.slice(0, 6)) {
      const response = await fetch(`${central.apiUrl}/v1/incidents/${encodeURIComponent(value)}`, { headers: admin });
      expect(response.status).toBe(400);
    }
    const nul = await fetch(`${central.apiUrl}/v1/incidents/${incidentId}`, {
      method: 'PATCH',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({ note: 'a\u0000b' }),
    });
    expect(nul.status).toBe(400);
    // Nothing was dropped or altered.
    const [counts] = await database.query<{ incidents: number; keys: number }>('select (select count(*)::int from incidents) as incidents, (select count(*)::int from api_keys) as keys');
    expect(counts!.incidents).toBe(1);
    expect(counts!.keys).toBeGreaterThanOrEqual(4);
  });

  it('rate-limits per key with a 429 problem, and lets everything through with auth off', async () => {
    const health = { pingDatabase: async () => undefined, brokerConnected: () => true };
    const limited = await buildApi({ db: central.db, health, auth: { rateLimit: { max: 3, timeWindowMs: 60_000 } } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await limited.inject({ url: '/v1/incidents', headers: read })).statusCode);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const over = await limited.inject({ url: '/v1/incidents', headers: read });
      expect(over.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(over.headers['retry-after']).toBeDefined();
      expect(over.json()).toMatchObject({ status: 429 });
      // Another key has its own budget.
      expect((await limited.inject({ url: '/v1/incidents', headers: operate })).statusCode).toBe(200);
    } finally {
      await limited.close();
    }
    const open = await buildApi({ db: central.db, health, auth: { enabled: false } });
    try {
      expect((await open.inject({ url: '/v1/incidents' })).statusCode).toBe(200);
      expect((await open.inject({ url: '/v1/keys' })).statusCode).toBe(200);
    } finally {
      await open.close();
    }
  });
});
