/**
 * The HTTP API over seeded rows, on PostgreSQL and on PGlite: filters, keyset pagination,
 * problem responses for bad input, the OpenAPI document and health.
 */
import { newId } from '@sightline/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCentral, type Central } from '../src/index';
import type { NewObservationRow } from '../src/db/schema';
import { encodeCursor } from '../src/api/cursor';
import { createTestDatabase, type TestDatabase } from '../../../tests/support/postgres';
import { keyHeaders, unique } from './helpers';

interface Item {
  id: string;
  deviceId: string;
  cameraId: string;
  label: string;
  capturedAt: string;
  receivedAt: string;
  score: number;
  box: number[];
  frame: { width: number; height: number; source?: string };
  position?: { lat: number; lon: number; source: string };
}
interface Page {
  items: Item[];
  nextCursor: string | null;
}
interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  invalidParams?: Array<{ name: string; in: string; reason: string }>;
}

const BASE = Date.UTC(2025, 4, 1, 8, 0, 0);
const LABELS = ['bus', 'car', 'person'] as const;

describe.each(['postgres', 'pglite'] as const)('observations API on %s', (engine) => {
  let database: TestDatabase | undefined;
  let central: Central;
  const d1 = unique('api-d1');
  const d2 = unique('api-d2');
  const rows: NewObservationRow[] = [];

  let headers: Record<string, string> = {};
  const get = (path: string) => fetch(`${central.apiUrl}${path}`, { headers });
  const page = async (query: string): Promise<Page> => {
    const response = await get(`/v1/observations?${query}`);
    expect(response.status, await response.clone().text()).toBe(200);
    return (await response.json()) as Page;
  };
  /** Walks every page of `query` with page size `limit`. */
  const walk = async (query: string, limit: number): Promise<Item[]> => {
    const items: Item[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const p: Page = await page(`${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
      expect(p.items.length).toBeLessThanOrEqual(limit);
      items.push(...p.items);
      cursor = p.nextCursor;
      expect(++pages).toBeLessThan(1000);
    } while (cursor);
    return items;
  };
  /** Ids of seeded rows matching `keep`, in the API's order (captured_at desc, id desc). */
  const expectedIds = (keep: (r: NewObservationRow) => boolean) =>
    rows
      .filter(keep)
      .sort((a, b) => {
        const ta = new Date(a.captured_at).getTime();
        const tb = new Date(b.captured_at).getTime();
        return tb - ta || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
      })
      .map((r) => r.id);
  const problemOf = async (path: string, status = 400): Promise<ProblemBody> => {
    const response = await get(path);
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const body = (await response.json()) as ProblemBody;
    expect(body).toMatchObject({ type: 'about:blank', status });
    return body;
  };

  beforeAll(async () => {
    if (engine === 'postgres') database = await createTestDatabase();
    central = await startCentral({
      ...(database ? { databaseUrl: database.url } : { dataDir: 'memory://' }),
      mqttPort: 0,
      httpPort: 0,
      logger: false,
    });
    headers = await keyHeaders(central.db);
    // 60 rows, 4 per capture second (ties exercise the id tie-break of the cursor).
    for (let i = 0; i < 60; i++) {
      rows.push({
        id: newId(),
        message_id: newId(),
        seq: i,
        device_id: i % 2 === 0 ? d1 : d2,
        camera_id: i % 3 < 2 ? 'cam-1' : 'cam-2',
        captured_at: new Date(BASE + Math.floor(i / 4) * 1000),
        label: LABELS[i % 3]!,
        class_id: i % 3,
        score: 0.5,
        box_x1: 1,
        box_y1: 2,
        box_x2: 30.5,
        box_y2: 40.25,
        frame_width: 640,
        frame_height: 480,
        frame_source: i === 0 ? 'first.jpg' : null,
        model_id: 'yolox-s',
        lat: i === 0 ? 52.37 : null,
        lon: i === 0 ? 4.89 : null,
        accuracy_m: null,
        heading_deg: null,
        position_source: i === 0 ? 'fixed' : null,
      });
    }
    await central.db.insertInto('observations').values(rows).execute();
  });

  afterAll(async () => {
    await central?.close();
    await database?.drop();
  });

  it('serves every row once, newest first, when paging with the cursor', async () => {
    for (const limit of [1, 7, 60, 1000]) {
      const items = await walk('', limit);
      expect(items.map((i) => i.id)).toEqual(expectedIds(() => true));
    }
  });

  it('returns nextCursor null on the last page and defaults to 100 rows', async () => {
    const all = await page('');
    expect(all.items).toHaveLength(60);
    expect(all.nextCursor).toBeNull();
    const exact = await page('limit=60');
    expect(exact.nextCursor).toBeNull();
  });

  it('filters by device, camera, label and capture time, also while paging', async () => {
    expect((await walk(`device=${d1}`, 7)).map((i) => i.id)).toEqual(expectedIds((r) => r.device_id === d1));
    expect((await walk('camera=cam-2', 7)).map((i) => i.id)).toEqual(expectedIds((r) => r.camera_id === 'cam-2'));
    expect((await walk('label=bus', 3)).map((i) => i.id)).toEqual(expectedIds((r) => r.label === 'bus'));
    expect((await walk(`device=${d2}&camera=cam-1&label=car`, 2)).map((i) => i.id)).toEqual(
      expectedIds((r) => r.device_id === d2 && r.camera_id === 'cam-1' && r.label === 'car'),
    );
    // from is inclusive, to exclusive; offsets other than Z are understood.
    const from = new Date(BASE + 5000).toISOString();
    const to = '2025-05-01T10:00:10+02:00'; // = BASE + 10 s
    const ranged = await walk(`from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`, 6);
    expect(ranged).toHaveLength(20);
    expect(ranged.map((i) => i.id)).toEqual(
      expectedIds((r) => {
        const t = new Date(r.captured_at).getTime();
        return t >= BASE + 5000 && t < BASE + 10_000;
      }),
    );
    expect((await page(`device=${unique('nobody')}`)).items).toEqual([]);
  });

  it('serves the observation shape: ISO times, box, frame, position', async () => {
    const first = rows[0]!;
    const response = await get(`/v1/observations/${first.id}`);
    expect(response.status).toBe(200);
    const item = (await response.json()) as Item;
    expect(item).toMatchObject({
      id: first.id,
      deviceId: d1,
      cameraId: 'cam-1',
      label: 'bus',
      capturedAt: '2025-05-01T08:00:00.000Z',
      score: 0.5,
      box: [1, 2, 30.5, 40.25],
      frame: { width: 640, height: 480, source: 'first.jpg' },
      position: { lat: 52.37, lon: 4.89, source: 'fixed' },
    });
    expect(Number.isFinite(Date.parse(item.receivedAt))).toBe(true);
    const other = (await (await get(`/v1/observations/${rows[1]!.id}`)).json()) as Item;
    expect(other.position).toBeUndefined();
    expect(other.frame).toEqual({ width: 640, height: 480 });
  });

  it('answers 404 problem+json for an unknown id and route', async () => {
    const missing = newId();
    expect((await problemOf(`/v1/observations/${missing}`, 404)).detail).toBe(`observation ${missing} does not exist`);
    expect((await problemOf('/v2/nothing', 404)).detail).toMatch(/no route GET \/v2\/nothing/);
  });

  it.each([
    ['limit=0', 'limit', /must be >= 1/],
    ['limit=abc', 'limit', /must be integer/],
    ['limit=1001', 'limit', /must be <= 1000/],
    ['limit=1&limit=2', 'limit', /must be integer/],
    ['from=notadate', 'from', /RFC 3339 date-time/],
    ['to=2025-05-01', 'to', /RFC 3339 date-time/],
    ['cursor=garbage', 'cursor', /not a cursor this API returned/],
    [`cursor=${Buffer.from('["yesterday","x"]').toString('base64url')}`, 'cursor', /not a cursor/],
    ['cursor=%00%01', 'cursor', /NUL characters/], // refused before the handler: Postgres cannot take NUL
    ['device=a%20b', 'device', /letters, digits/],
    ['lable=bus', 'lable', /not a supported parameter/],
    ['from=2025-05-02T00:00:00Z&to=2025-05-01T00:00:00Z', 'to', /must not be before from/],
  ])('rejects %s with 400 naming the parameter', async (query, name, reason) => {
    const body = await problemOf(`/v1/observations?${query}`);
    expect(body.detail).toContain(`query parameter '${name}'`);
    expect(body.invalidParams).toContainEqual({ name, in: 'query', reason: expect.stringMatching(reason) });
  });

  it('rejects a malformed observation id naming the path parameter', async () => {
    const body = await problemOf('/v1/observations/not-a-uuid');
    expect(body.detail).toBe("path parameter 'id': must be a UUID");
  });

  it('treats SQL in a filter as a plain value', async () => {
    const injected = encodeURIComponent("'; DROP TABLE observations;--");
    expect((await page(`label=${injected}`)).items).toEqual([]);
    expect((await page(`device=x&camera=cam-1&label=${encodeURIComponent("bus' OR '1'='1")}`)).items).toEqual([]);
    expect((await page('limit=1000')).items).toHaveLength(60);
  });

  it('accepts a cursor positioned between rows and never repeats the boundary row', async () => {
    const ordered = expectedIds(() => true);
    const boundary = rows.find((r) => r.id === ordered[10])!;
    const cursor = encodeCursor({ capturedAt: new Date(boundary.captured_at), id: boundary.id });
    const rest = await page(`cursor=${cursor}&limit=1000`);
    expect(rest.items.map((i) => i.id)).toEqual(ordered.slice(11));
  });

  it('publishes an OpenAPI document and the docs UI', async () => {
    const response = await get('/docs/json');
    expect(response.status).toBe(200);
    const doc = (await response.json()) as { openapi: string; paths: Record<string, Record<string, { parameters?: Array<{ name: string }>; responses: Record<string, unknown> }>> };
    expect(doc.openapi).toMatch(/^3\.1/);
    const list = doc.paths['/v1/observations']!.get!;
    expect(list.parameters!.map((p) => p.name).sort()).toEqual(['camera', 'cursor', 'device', 'from', 'label', 'limit', 'to']);
    expect(list.responses['400']).toMatchObject({ content: { 'application/problem+json': {} } });
    expect(doc.paths['/v1/observations/{id}']).toBeDefined();
    expect(doc.paths['/healthz']).toBeDefined();
    expect((await get('/docs')).status).toBe(200);
  });

  it('reports health', async () => {
    const response = await get('/healthz');
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok', database: { ok: true }, broker: { connected: true } });
  });
});
