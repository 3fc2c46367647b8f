/**
 * `GET /v1/incidents` over seeded incidents, on PostgreSQL and on PGlite: every filter (category
 * prefix, status list, bbox, near + radius, last-seen range, min score), both sorts with cursor
 * walks, GeoJSON (RFC 7946) by `Accept`, and a 400 naming the parameter for every bad value.
 */
import { destinationPoint, haversineMetres, newId } from '@sightline/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCentral, type Central } from '../src/index';
import type { NewIncidentRow } from '../src/db/schema-incidents';
import { createTestDatabase, type TestDatabase } from '../../../tests/support/postgres';
import { keyHeaders } from './helpers';
import { DAMRAK, seeded } from './sightings';

interface Item {
  id: string;
  category: string;
  status: string;
  position: { lat: number; lon: number };
  lastSeen: string;
  sightingCount: number;
  maxScore: number;
}
interface Page {
  items: Item[];
  nextCursor: string | null;
}

const CATEGORIES = ['dumping.furniture.couch', 'dumping.furniture.chair', 'dumping.appliance.tv', 'road.pothole'] as const;
const STATUSES = ['open', 'acknowledged', 'resolved', 'dismissed'] as const;

describe.each(['postgres', 'pglite'] as const)('incident list on %s', (engine) => {
  let database: TestDatabase | undefined;
  let central: Central;
  let headers: Record<string, string>;
  const rows: NewIncidentRow[] = [];
  const base = Date.UTC(2026, 10, 1);

  const get = (path: string, extra: Record<string, string> = {}) => fetch(`${central.apiUrl}${path}`, { headers: { ...headers, ...extra } });
  const walk = async (query: string, limit: number): Promise<Item[]> => {
    const items: Item[] = [];
    let cursor: string | null = null;
    do {
      const response: Response = await get(`/v1/incidents?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
      expect(response.status, await response.clone().text()).toBe(200);
      const page = (await response.json()) as Page;
      expect(page.items.length).toBeLessThanOrEqual(limit);
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return items;
  };
  const byLastSeen = (a: NewIncidentRow, b: NewIncidentRow) =>
    new Date(b.last_seen).getTime() - new Date(a.last_seen).getTime() || (a.id < b.id ? 1 : -1);
  const bySightings = (a: NewIncidentRow, b: NewIncidentRow) => b.sighting_count - a.sighting_count || (a.id < b.id ? 1 : -1);
  const expected = (keep: (r: NewIncidentRow) => boolean, order = byLastSeen) => rows.filter(keep).sort(order).map((r) => r.id);

  beforeAll(async () => {
    if (engine === 'postgres') database = await createTestDatabase();
    central = await startCentral({ ...(database ? { databaseUrl: database.url } : { dataDir: 'memory://' }), mqttPort: 0, httpPort: 0, logger: false });
    headers = await keyHeaders(central.db);
    const random = seeded(7);
    for (let i = 0; i < 120; i++) {
      const at = destinationPoint(DAMRAK, random() * 360, random() * 3000);
      const lastSeen = new Date(base + Math.floor(i / 3) * 3600_000); // ties every 3 rows
      rows.push({
        id: newId(),
        category: CATEGORIES[i % 4]!,
        status: STATUSES[Math.floor(i / 4) % 4]!,
        lat: at.lat,
        lon: at.lon,
        first_seen: new Date(lastSeen.getTime() - 86_400_000),
        last_seen: lastSeen,
        sighting_count: 1 + (i % 7),
        max_score: Math.round((0.4 + (i % 6) / 10) * 100) / 100,
        last_observation_id: newId(),
      });
    }
    await central.db.insertInto('incidents').values(rows).execute();
  });

  afterAll(async () => {
    await central?.close();
    await database?.drop();
  });

  it('pages through every incident once in both sorts', async () => {
    expect((await walk('', 7)).map((i) => i.id)).toEqual(expected(() => true));
    expect((await walk('sort=sightings', 11)).map((i) => i.id)).toEqual(expected(() => true, bySightings));
  });

  it('filters by category prefix, status list, last-seen range and best score', async () => {
    expect((await walk('category=dumping', 10)).map((i) => i.id)).toEqual(expected((r) => r.category.startsWith('dumping.')));
    expect((await walk('category=dumping.furniture', 10)).map((i) => i.id)).toEqual(expected((r) => r.category.startsWith('dumping.furniture.')));
    expect((await walk('category=dumping.furniture.couch', 10)).map((i) => i.id)).toEqual(expected((r) => r.category === 'dumping.furniture.couch'));
    expect(await walk('category=dump', 10)).toEqual([]); // a prefix is whole levels
    expect((await walk('status=open,acknowledged', 9)).map((i) => i.id)).toEqual(expected((r) => r.status === 'open' || r.status === 'acknowledged'));
    const from = new Date(base + 10 * 3600_000);
    const to = new Date(base + 20 * 3600_000);
    expect((await walk(`from=${from.toISOString()}&to=${to.toISOString()}&sort=sightings`, 5)).map((i) => i.id)).toEqual(
      expected((r) => new Date(r.last_seen) >= from && new Date(r.last_seen) < to, bySightings),
    );
    expect((await walk('minScore=0.75&category=road', 5)).map((i) => i.id)).toEqual(expected((r) => r.max_score >= 0.75 && r.category === 'road.pothole'));
  });

  it('filters by bounding box and by distance from a point', async () => {
    const box = { minLon: DAMRAK.lon - 0.01, minLat: DAMRAK.lat - 0.005, maxLon: DAMRAK.lon + 0.02, maxLat: DAMRAK.lat + 0.01 };
    const inBox = (r: NewIncidentRow) => r.lon >= box.minLon && r.lon <= box.maxLon && r.lat >= box.minLat && r.lat <= box.maxLat;
    const boxed = await walk(`bbox=${box.minLon},${box.minLat},${box.maxLon},${box.maxLat}`, 6);
    expect(boxed.length).toBeGreaterThan(5);
    expect(boxed.map((i) => i.id)).toEqual(expected(inBox));
    const near = await walk(`near=${DAMRAK.lat},${DAMRAK.lon}&radius=1500&status=open`, 4);
    const wanted = expected((r) => r.status === 'open' && haversineMetres(DAMRAK, r) <= 1500);
    expect(wanted.length).toBeGreaterThan(3);
    expect(near.map((i) => i.id)).toEqual(wanted);
  });

  it('answers GeoJSON (RFC 7946) with Accept: application/geo+json', async () => {
    const response = await get('/v1/incidents?category=road&limit=5', { accept: 'application/geo+json' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/geo\+json/);
    const collection = (await response.json()) as {
      type: string;
      features: Array<{ type: string; id: string; geometry: { type: string; coordinates: number[] }; properties: Record<string, unknown> }>;
      nextCursor: string | null;
    };
    expect(collection.type).toBe('FeatureCollection');
    expect(collection.features).toHaveLength(5);
    expect(collection.nextCursor).not.toBeNull();
    for (const f of collection.features) {
      const row = rows.find((r) => r.id === f.id)!;
      expect(f.type).toBe('Feature');
      expect(f.geometry.type).toBe('Point');
      expect(f.geometry.coordinates).toEqual([row.lon, row.lat]); // [longitude, latitude]
      expect(f.properties).toMatchObject({ id: row.id, category: 'road.pothole', title: 'Pothole' });
      expect(f.properties.position).toBeUndefined();
    }
    // Plain JSON otherwise.
    const json = await get('/v1/incidents?limit=1', { accept: 'application/json' });
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('answers 400 naming the parameter for every bad value', async () => {
    const cases: Array<[string, string]> = [
      ['bbox=1,2,3', 'bbox'],
      ['bbox=a,b,c,d', 'bbox'],
      ['bbox=10,0,5,1', 'bbox'],
      ['bbox=0,-91,1,1', 'bbox'],
      ['near=52.3,4.9&radius=0', 'radius'],
      ['near=52.3,4.9&radius=-5', 'radius'],
      ['near=52.3,4.9', 'radius'],
      ['radius=10', 'near'],
      ['near=95,4&radius=10', 'near'],
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
      ['sort=newest', 'sort'],
      ['cursor=not-a-cursor', 'cursor'],
      ['status=open,closed', 'status'],
      ['category=Dumping', 'category'],
      ['minScore=2', 'minScore'],
      ['from=yesterday', 'from'],
      ['from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z', 'to'],
      ['colour=red', 'colour'],
    ];
    for (const [query, parameter] of cases) {
      const response = await get(`/v1/incidents?${query}`);
      expect(response.status, query).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const body = (await response.json()) as { detail: string; invalidParams: Array<{ name: string }> };
      expect(body.invalidParams.map((p) => p.name), query).toContain(parameter);
      expect(body.detail).toContain(`'${parameter}'`);
    }
    // A cursor made for the other sort is refused too.
    const page = (await (await get('/v1/incidents?limit=1')).json()) as Page;
    const wrong = await get(`/v1/incidents?sort=sightings&cursor=${page.nextCursor}`);
    expect(wrong.status).toBe(400);
  });
});
