/**
 * Through the real ingest on PostgreSQL: the incident lifecycle over the API (allowed and refused
 * transitions, the audit trail), reopening a resolved incident on a new sighting (and a dismissed
 * one staying dismissed), evidence JPEGs served byte for byte (in either arrival order, mismatches
 * dead-lettered), and the Open311 GeoReport v2 output checked against its field list.
 */
import { readFileSync } from 'node:fs';
import { destinationPoint, evidenceTopic, newId } from '@sightline/contracts';
import { parseTaxonomy } from '@sightline/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCentral, type Central } from '../src/index';
import { mergeSightings } from '../src/incidents/merge';
import { CategoryRules } from '../src/incidents/rules';
import { fixture } from '../../../tests/support/fixtures';
import { createTestDatabase, type TestDatabase } from '../../../tests/support/postgres';
import { keyHeaders, publisher, unique, until, type Publisher } from './helpers';
import { DAMRAK, sightingMessage } from './sightings';

const MQTT_URL = process.env.SIGHTLINE_TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883';

interface Detail {
  id: string;
  status: string;
  assignee: string | null;
  sightingCount: number;
  evidenceUrl: string | null;
  lastObservationId: string;
  sightings: Array<{ observationId: string; evidenceUrl: string | null; distanceM: number }>;
  events: Array<{ actor: string; action: string; fromStatus: string | null; toStatus: string | null; fromAssignee: string | null; toAssignee: string | null; note: string | null }>;
}

/** The GeoReport v2 service request fields (GET Service Requests response), in the spec's order. */
const GEOREPORT_REQUEST_FIELDS = [
  'service_request_id',
  'status',
  'status_notes',
  'service_name',
  'service_code',
  'description',
  'agency_responsible',
  'service_notice',
  'requested_datetime',
  'updated_datetime',
  'expected_datetime',
  'address',
  'address_id',
  'zipcode',
  'lat',
  'long',
  'media_url',
];
const GEOREPORT_SERVICE_FIELDS = ['service_code', 'service_name', 'description', 'metadata', 'type', 'keywords', 'group'];
/** W3C / ISO 8601 date-time with a timezone (Z or ±HH:MM), as GeoReport v2 requires. */
const W3C_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

describe('incident lifecycle, evidence and Open311 through the ingest', () => {
  let database: TestDatabase;
  let central: Central;
  let pub: Publisher;
  let read: Record<string, string>;
  let operate: Record<string, string>;
  const device = unique('truck');
  let seq = 0;
  const photo = readFileSync(fixture('street/images/coco_train2017_000000000064.jpg'));

  const api = async (method: string, path: string, headers: Record<string, string>, body?: unknown) => {
    const response = await fetch(`${central.apiUrl}${path}`, {
      method,
      headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, type: response.headers.get('content-type'), body: (await response.json()) as unknown };
  };
  const incidentOf = async (observationId: string): Promise<string> => {
    const row = await until(
      async () => (await database.query<{ incident_id: string }>('select incident_id from incident_observations where observation_id = $1', [observationId]))[0],
      (r) => r !== undefined,
    );
    expect(row).toBeDefined();
    return row!.incident_id;
  };
  const detail = async (id: string) => (await api('GET', `/v1/incidents/${id}`, read)).body as Detail;
  const sight = async (at: { lat: number; lon: number }, capturedAt: string, extra: { evidence?: Buffer; category?: string; label?: string } = {}) => {
    const message = sightingMessage(device, ++seq, { at, capturedAt: new Date(capturedAt), ...extra });
    await pub.send(device, message);
    return message.observations[0]!.id;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    central = await startCentral({
      databaseUrl: database.url,
      mqttUrl: MQTT_URL,
      mqttSharedGroup: unique('test-lifecycle'),
      mqttSessionExpirySeconds: 0,
      httpPort: 0,
      logger: false,
      open311: { agency: 'City Works' },
    });
    pub = await publisher(MQTT_URL, 5);
    read = await keyHeaders(central.db, 'read');
    operate = await keyHeaders(central.db, 'operate');
  });

  afterAll(async () => {
    await pub?.close();
    await central?.close();
    await database?.drop();
  });

  it('walks the lifecycle, refuses invalid transitions with 409, and records every change', async () => {
    const spot = destinationPoint(DAMRAK, 10, 5000);
    const first = await sight(spot, '2026-11-20T08:00:00Z');
    const id = await incidentOf(first);
    expect(await detail(id)).toMatchObject({ status: 'open', sightingCount: 1, assignee: null });

    expect((await api('PATCH', `/v1/incidents/${id}`, operate, { status: 'acknowledged', assignee: 'crew-7', note: 'truck booked' })).status).toBe(200);
    const refused = await api('PATCH', `/v1/incidents/${id}`, operate, { status: 'open' });
    expect(refused.status).toBe(409);
    expect(refused.type).toMatch(/^application\/problem\+json/);
    expect((refused.body as { detail: string }).detail).toMatch(/acknowledged.*cannot become open/);
    expect((await api('PATCH', `/v1/incidents/${id}`, operate, { status: 'acknowledged' })).status).toBe(200); // same status: no change
    expect((await api('PATCH', `/v1/incidents/${id}`, operate, {})).status).toBe(400);
    expect((await api('PATCH', `/v1/incidents/${id}`, operate, { status: 'gone' })).status).toBe(400);
    expect((await api('PATCH', `/v1/incidents/${newId()}`, operate, { note: 'x' })).status).toBe(404);
    const resolved = await api('PATCH', `/v1/incidents/${id}`, operate, { status: 'resolved', note: 'collected' });
    expect(resolved.body).toMatchObject({ status: 'resolved', assignee: 'crew-7' });
    expect((await api('PATCH', `/v1/incidents/${id}`, operate, { status: 'dismissed' })).status).toBe(409);

    // Seen again 12 m away a week later: reopened by the system.
    const again = await sight(destinationPoint(spot, 90, 12), '2026-11-27T08:00:00Z');
    expect(await incidentOf(again)).toBe(id);
    const reopened = await until(() => detail(id), (d) => d.status === 'open');
    expect(reopened).toMatchObject({ status: 'open', sightingCount: 2 });
    const operator = reopened.events.find((e) => e.action === 'status')!.actor;
    expect(operator).toMatch(/^test-operate-.* \(key [0-9a-f-]{36}\)$/);
    expect(reopened.events.map((e) => [e.actor === operator ? 'operator' : e.actor, e.action, e.fromStatus, e.toStatus, e.fromAssignee, e.toAssignee, e.note])).toEqual([
      ['system', 'created', null, 'open', null, null, null],
      ['operator', 'status', 'open', 'acknowledged', null, null, 'truck booked'],
      ['operator', 'assignee', null, null, null, 'crew-7', null],
      ['operator', 'status', 'acknowledged', 'resolved', null, null, 'collected'],
      ['system', 'status', 'resolved', 'open', null, null, expect.stringMatching(/^reopened: seen again 1\d\.\d m away/)],
    ]);

    // Dismissed never reopens: a later sighting joins it, it stays dismissed.
    expect((await api('PATCH', `/v1/incidents/${id}`, operate, { status: 'dismissed', assignee: null, note: 'a bench, not a couch' })).status).toBe(200);
    const third = await sight(spot, '2026-11-28T08:00:00Z');
    expect(await incidentOf(third)).toBe(id);
    const dismissed = await detail(id);
    expect(dismissed).toMatchObject({ status: 'dismissed', sightingCount: 3, assignee: null });
    // And a person may undo the dismissal.
    expect((await api('PATCH', `/v1/incidents/${id}`, operate, { status: 'open' })).body).toMatchObject({ status: 'open' });
  });

  it('creates a new incident after resolution when the category does not reopen', async () => {
    const taxonomy = parseTaxonomy({
      id: 'test',
      name: 'test',
      categories: { 'road.pothole': { title: 'Pothole', labels: ['pothole'], minScore: 0.1, minFrames: 1, mergeRadiusM: 10, raisesIncident: true, reopenResolved: false } },
    });
    const rules = new CategoryRules([taxonomy]);
    const spot = destinationPoint(DAMRAK, 270, 4000);
    const sighting = (n: number) => ({ observationId: newId(), category: 'road.pothole', lat: spot.lat, lon: spot.lon, capturedAt: new Date(Date.UTC(2026, 10, n)), score: 0.9 });
    const first = await central.db.transaction().execute((trx) => mergeSightings(trx, [sighting(1)], rules));
    expect(first.created).toBe(1);
    await central.db.updateTable('incidents').set({ status: 'resolved' }).where('category', '=', 'road.pothole').execute();
    const second = await central.db.transaction().execute((trx) => mergeSightings(trx, [sighting(2)], rules));
    expect(second).toMatchObject({ created: 1, reopened: 0 });
    const statuses = await database.query<{ status: string }>(`select status from incidents where category = 'road.pothole' order by first_seen`);
    expect(statuses.map((s) => s.status)).toEqual(['resolved', 'open']);
  });

  it('serves evidence byte for byte in either arrival order and dead-letters what does not match', async () => {
    const spot = destinationPoint(DAMRAK, 300, 6000);
    // Observation first, then its JPEG.
    const first = await sight(spot, '2026-11-21T08:00:00Z', { evidence: photo });
    await incidentOf(first);
    await pub.client.publishAsync(evidenceTopic(device, first), photo, { qos: 1 });
    // JPEG first, then its observation.
    const secondId = newId();
    await pub.client.publishAsync(evidenceTopic(device, secondId), photo, { qos: 1 });
    await until(async () => (await database.query('select 1 from evidence where observation_id = $1', [secondId])).length, (n) => n === 1);
    await pub.send(device, sightingMessage(device, ++seq, { at: spot, capturedAt: new Date('2026-11-21T08:00:05Z'), evidence: photo, observationId: secondId }));

    for (const id of [first, secondId]) {
      const response = await until(() => fetch(`${central.apiUrl}/v1/observations/${id}/evidence.jpg`, { headers: read }), (r) => r.status === 200);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('image/jpeg');
      const body = Buffer.from(await response.arrayBuffer());
      expect(body.equals(photo)).toBe(true);
      const etag = response.headers.get('etag')!;
      expect((await fetch(`${central.apiUrl}/v1/observations/${id}/evidence.jpg`, { headers: { ...read, 'if-none-match': etag } })).status).toBe(304);
    }
    const incident = await detail(await incidentOf(secondId));
    expect(incident.evidenceUrl).toBe(`/v1/observations/${secondId}/evidence.jpg`);
    expect(incident.sightings.every((s) => s.evidenceUrl === `/v1/observations/${s.observationId}/evidence.jpg`)).toBe(true);

    // Mismatches: other bytes than announced, another device's observation, not a JPEG, never announced.
    const tampered = Buffer.from(photo);
    tampered[tampered.length - 3] = tampered[tampered.length - 3]! ^ 0xff;
    const other = unique('intruder');
    const plain = await sight(destinationPoint(spot, 0, 100), '2026-11-21T09:00:00Z'); // announces no evidence
    const announced = await sight(destinationPoint(spot, 0, 200), '2026-11-21T09:00:01Z', { evidence: photo });
    await incidentOf(announced);
    await pub.client.publishAsync(evidenceTopic(device, announced), tampered, { qos: 1 });
    await pub.client.publishAsync(evidenceTopic(other, announced), photo, { qos: 1 });
    await pub.client.publishAsync(evidenceTopic(device, plain), photo, { qos: 1 });
    await pub.client.publishAsync(evidenceTopic(device, newId()), Buffer.from('GIF89a not a jpeg'), { qos: 1 });
    const letters = await until(
      () => database.query<{ reason: string }>(`select reason from dead_letters where topic like '%/evidence/%' order by id`),
      (rows) => rows.length >= 4,
    );
    expect(letters.map((l) => l.reason)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/has sha256 [0-9a-f]{64}, the observation announced [0-9a-f]{64}/),
        expect.stringMatching(new RegExp(`of device "${device}" was published by device "${other}"`)),
        expect.stringMatching(/announced no evidence/),
        expect.stringMatching(/not a JPEG/),
      ]),
    );
    const missing = await fetch(`${central.apiUrl}/v1/observations/${announced}/evidence.jpg`, { headers: read });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('serves incidents as Open311 GeoReport v2 service requests', async () => {
    const services = (await api('GET', '/open311/v2/services.json', {})).body as Array<Record<string, unknown>>;
    expect(services.length).toBeGreaterThan(5);
    for (const s of services) expect(Object.keys(s).sort()).toEqual([...GEOREPORT_SERVICE_FIELDS].sort());
    expect(services.find((s) => s.service_code === 'dumping.furniture.couch')).toMatchObject({ service_name: 'Dumped couch or sofa', metadata: false, type: 'realtime', group: 'dumping' });
    expect(services.some((s) => String(s.service_code).startsWith('traffic.'))).toBe(false); // raise no incidents

    const all = await api('GET', '/open311/v2/requests.json?start_date=2026-11-01T00:00:00Z', {}); // public: no key
    expect(all.status).toBe(200);
    const requests = all.body as Array<Record<string, unknown>>;
    expect(requests.length).toBeGreaterThan(2);
    for (const r of requests) {
      expect(Object.keys(r)).toEqual(GEOREPORT_REQUEST_FIELDS);
      expect(r.status === 'open' || r.status === 'closed').toBe(true);
      expect(r.requested_datetime).toMatch(W3C_DATETIME);
      expect(r.updated_datetime).toMatch(W3C_DATETIME);
      expect(typeof r.lat).toBe('number');
      expect(typeof r.long).toBe('number');
      expect(r.agency_responsible).toBe('City Works');
      expect(typeof r.service_request_id).toBe('string');
    }
    const withMedia = requests.find((r) => r.media_url !== null)!;
    expect(withMedia.media_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/open311\/v2\/media\/[0-9a-f-]{36}\.jpg$/);
    const media = await fetch(String(withMedia.media_url));
    expect(media.status).toBe(200);
    expect(Buffer.from(await media.arrayBuffer()).equals(photo)).toBe(true);

    // Filters: status, service_code, service_request_id (overrides the others), dates; the single-request form.
    const closedIds = (await database.query<{ id: string }>(`select id from incidents where status in ('resolved', 'dismissed') and first_seen >= '2026-11-01'`)).map((r) => r.id);
    const closed = (await api('GET', '/open311/v2/requests.json?status=closed&start_date=2026-11-01T00:00:00Z', {})).body as Array<{ service_request_id: string; status: string; status_notes: string | null }>;
    expect(closed.map((r) => r.service_request_id).sort()).toEqual(closedIds.sort());
    const couches = (await api('GET', '/open311/v2/requests.json?service_code=dumping.furniture.couch&start_date=2026-11-01T00:00:00Z', {})).body as Array<{ service_code: string }>;
    expect(couches.length).toBeGreaterThan(0);
    expect(couches.every((r) => r.service_code === 'dumping.furniture.couch')).toBe(true);
    const one = requests[0]!.service_request_id as string;
    const byId = (await api('GET', `/open311/v2/requests.json?service_request_id=${one}&status=closed&start_date=2000-01-01T00:00:00Z`, {})).body as unknown[];
    expect(byId).toEqual([requests[0]]);
    expect((await api('GET', `/open311/v2/requests/${one}.json`, {})).body).toEqual([requests[0]]);
    const none = (await api('GET', '/open311/v2/requests.json?end_date=2000-01-01T00:00:00Z', {})).body;
    expect(none).toEqual([]);

    // GeoReport errors: a list of { code, description }.
    for (const bad of ['status=pending', 'service_code=nope', 'start_date=yesterday', 'service_request_id=1%20or%201=1', 'page_size=0']) {
      const response = await api('GET', `/open311/v2/requests.json?${bad}`, {});
      expect(response.status, bad).toBe(400);
      expect(response.body).toEqual([{ code: 400, description: expect.any(String) }]);
    }
    expect((await api('GET', `/open311/v2/requests/${newId()}.json`, {})).status).toBe(404);
  });
});
