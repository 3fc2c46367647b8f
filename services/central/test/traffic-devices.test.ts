/**
 * Traffic counts and device state on the real servers (Mosquitto, MQTT 5 shared subscription →
 * central → PostgreSQL → API): counts re-bucketed and grouped, re-delivery never double-counts,
 * FIWARE flows, device state/versions/stats/seq gaps, and parameter errors.
 */
import { deviceTopic } from '@sightline/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCentral, type Central } from '../src/index';
import { createTestDatabase, type TestDatabase } from '../../../tests/support/postgres';
import { keyHeaders, observationMessage, publisher, statsMessage, trafficMessage, unique, until, type Publisher } from './helpers';

const MQTT_URL = process.env.SIGHTLINE_TEST_MQTT_URL!;

interface Counts {
  bucketSeconds: number;
  groupBy: string[];
  series: Array<{ key: Record<string, string>; total: number; points: Array<{ start: string; end: string; count: number; intervals: number }> }>;
}

describe('traffic counts and devices on PostgreSQL and Mosquitto', () => {
  let database: TestDatabase;
  let central: Central;
  let headers: Record<string, string> = {};
  let pub: Publisher;
  const device = unique('traffic');
  const other = unique('spoof');

  const get = async <T>(path: string): Promise<{ status: number; body: T }> => {
    const response = await fetch(`${central.apiUrl}${path}`, { headers });
    return { status: response.status, body: (await response.json()) as T };
  };
  const storedTraffic = async () =>
    Number((await database.query<{ n: number }>('select count(*)::int as n from traffic_messages where device_id = $1', [device]))[0]!.n);

  beforeAll(async () => {
    database = await createTestDatabase();
    central = await startCentral({
      databaseUrl: database.url,
      mqttUrl: MQTT_URL,
      mqttSharedGroup: unique('test-traffic'),
      mqttSessionExpirySeconds: 60,
      httpPort: 0,
      logger: false,
    });
    pub = await publisher(MQTT_URL, 5);
    headers = await keyHeaders(central.db);
  });

  afterAll(async () => {
    // Clear the retained status topics this suite set, so the shared broker does not keep them.
    await pub?.sendTo(device, 'status', '', { retain: true }).catch(() => undefined);
    await pub?.sendTo(device, 'status/info', '', { retain: true }).catch(() => undefined);
    await pub?.close();
    await central?.close();
    await database?.drop();
  });

  it('re-buckets counts, adds a late correction, and ignores re-delivered messages', async () => {
    // Five 1-minute intervals 08:00..08:04 on line-1, one on line-2, and an empty interval at 08:05.
    const minute = (m: number) => `2025-05-01T08:0${m}:00.000Z`;
    const messages = [0, 1, 2, 3, 4].map((m) =>
      trafficMessage(device, 10 + m, { intervalStart: minute(m), counts: [['car', 'in', 2], ['car', 'out', 1], ['truck', 'in', m], ['person', 'out', 1]] }),
    );
    const line2 = trafficMessage(device, 15, { lineId: 'line-2', intervalStart: minute(1), counts: [['bus', 'out', 4]] });
    const empty = trafficMessage(device, 16, { intervalStart: minute(5), counts: [] });
    const correction = trafficMessage(device, 17, { intervalStart: minute(4), counts: [['car', 'in', 10]] }); // late counts for 08:04
    for (const m of [...messages, line2, empty, correction]) await pub.sendTo(device, 'traffic', m);
    for (const m of [messages[0]!, messages[0]!, correction]) await pub.sendTo(device, 'traffic', m); // re-deliveries
    expect(await until(storedTraffic, (n) => n >= 8)).toBe(8);
    await until(() => central.ingest.stats().received, (n) => n >= 11);
    await central.ingest.idle();

    const range = `device=${device}&from=2025-05-01T08:00:00Z&to=2025-05-01T09:00:00Z`;
    const byClass = await get<Counts>(`/v1/traffic/counts?${range}&line=line-1&bucket=5m&groupBy=class,direction`);
    expect(byClass.status).toBe(200);
    expect(byClass.body.bucketSeconds).toBe(300);
    const series = Object.fromEntries(byClass.body.series.map((s) => [`${s.key.class}/${s.key.direction}`, s]));
    expect(Object.keys(series).sort()).toEqual(['car/in', 'car/out', 'person/out', 'truck/in']);
    // 08:00-08:05: five intervals; 08:05-08:10: the empty interval only (zeros, but covered).
    expect(series['car/in']!.points).toEqual([
      { start: '2025-05-01T08:00:00.000Z', end: '2025-05-01T08:05:00.000Z', count: 5 * 2 + 10, intervals: 5 },
      { start: '2025-05-01T08:05:00.000Z', end: '2025-05-01T08:10:00.000Z', count: 0, intervals: 1 },
    ]);
    expect(series['truck/in']!.total).toBe(0 + 1 + 2 + 3 + 4);
    expect(series['car/out']!.total).toBe(5);

    const byLine = await get<Counts>(`/v1/traffic/counts?${range}&bucket=1h&groupBy=line`);
    expect(byLine.body.series.map((s) => [s.key.line, s.total, s.points.length])).toEqual([
      ['line-1', 20 + 5 + 10 + 5, 1],
      ['line-2', 4, 1],
    ]);
    const total = await get<Counts>(`/v1/traffic/counts?${range}&bucket=1d&groupBy=`);
    expect(total.body.series).toEqual([
      { key: {}, total: 44, points: [{ start: '2025-05-01T00:00:00.000Z', end: '2025-05-02T00:00:00.000Z', count: 44, intervals: 7 }] },
    ]);
    const rows = await database.query<{ n: number }>('select sum(count)::int as n from traffic_counts where device_id = $1', [device]);
    expect(rows[0]!.n).toBe(44);
  });

  it('serves the counts as FIWARE TrafficFlowObserved entities', async () => {
    // A position for the camera comes from its observations.
    await pub.send(device, observationMessage(device, 30, { cameraId: 'cam-1' }));
    await until(
      async () => (await database.query<{ n: number }>('select count(*)::int as n from observations where device_id = $1', [device]))[0]!.n,
      (n) => n >= 2,
    );
    const flows = await get<Array<Record<string, unknown>>>(
      `/v1/traffic/flows?device=${device}&line=line-1&from=2025-05-01T08:00:00Z&to=2025-05-01T08:05:00Z&bucket=5m`,
    );
    expect(flows.status).toBe(200);
    const types = flows.body.map((f) => `${f.vehicleType}/${f.laneDirection}/${f.intensity}`).sort();
    expect(types).toEqual(['car/backward/5', 'car/forward/20', 'lorry/forward/10']); // person is not a vehicle
    const car = flows.body.find((f) => f.vehicleType === 'car' && f.laneDirection === 'forward')!;
    expect(car).toEqual({
      id: `urn:ngsi-ld:TrafficFlowObserved:sightline:${device}:cam-1:line-1:20250501T080000Z:forward:car`,
      type: 'TrafficFlowObserved',
      dateObserved: '2025-05-01T08:00:00.000Z/2025-05-01T08:05:00.000Z',
      dateObservedFrom: '2025-05-01T08:00:00.000Z',
      dateObservedTo: '2025-05-01T08:05:00.000Z',
      intensity: 20,
      laneDirection: 'forward',
      vehicleType: 'car',
      name: `${device}/cam-1/line-1`,
      description: expect.stringContaining('car crossings of counting line line-1'),
      dataProvider: 'Sightline',
      location: { type: 'Point', coordinates: [4.89, 52.37] },
    });
    const paged = await get<unknown[]>(`/v1/traffic/flows?device=${device}&from=2025-05-01T08:00:00Z&to=2025-05-01T09:00:00Z&bucket=1m&limit=2&offset=1`);
    expect(paged.body).toHaveLength(2);
  });

  it.each([
    ['bucket=7m', 'bucket', /does not divide 24h/],
    ['bucket=30s', 'bucket', /outside 1m..1d/],
    ['bucket=2d', 'bucket', /outside 1m..1d/],
    ['bucket=fast', 'bucket', /is not a width like 15m/],
    ['bucket=1m&from=2020-01-01T00:00:00Z&to=2025-01-01T00:00:00Z', 'bucket', /more than 10000; choose a wider bucket/],
    ['groupBy=class,colour', 'groupBy', /"colour" is not a dimension/],
    ['from=2025-05-02T00:00:00Z&to=2025-05-01T00:00:00Z', 'to', /must be after from/],
    ['from=yesterday', 'from', /RFC 3339/],
    ['line=a/b', 'line', /letters, digits/],
  ])('answers 400 naming the parameter for %s', async (query, name, reason) => {
    const response = await fetch(`${central.apiUrl}/v1/traffic/counts?${query}`, { headers });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const body = (await response.json()) as { detail: string; invalidParams: Array<{ name: string; reason: string }> };
    expect(body.detail).toContain(`query parameter '${name}'`);
    expect(body.invalidParams[0]).toMatchObject({ name, reason: expect.stringMatching(reason) });
  });

  it('tracks device state, versions, latest stats and seq gaps across all message kinds', async () => {
    const info = { deviceId: device, startedAt: '2025-05-01T07:00:00.000Z', software: { name: 'sightline-edge', version: '0.2.0' }, model: 'yolox-nano', cameras: ['cam-1', 'cam-2'] };
    await pub.sendTo(device, 'status', 'online', { retain: true });
    await pub.sendTo(device, 'status/info', info, { retain: true });
    // seq 40 (stats), 41 (observations), 44 (stats), 45 (traffic): 42-43 missing.
    await pub.sendTo(device, 'stats', statsMessage(device, 40, { sentAt: '2025-05-01T08:10:00.000Z', spoolDropped: 3 }));
    await pub.send(device, observationMessage(device, 41));
    await pub.sendTo(device, 'stats', statsMessage(device, 44, { sentAt: '2025-05-01T08:11:00.000Z', spoolDropped: 7 }));
    await pub.sendTo(device, 'traffic', trafficMessage(device, 45, { intervalStart: '2025-05-01T08:11:00.000Z' }));
    await pub.sendTo(other, 'stats', statsMessage(device, 46)); // spoofed: device's stats on another device's topic

    type Device = { state: string; stateChangedAt: string; software: unknown; model: string; cameras: string[]; startedAt: string; stats: { spool: { dropped: number }; sentAt: string }; seq: { last: number; missing: number; gaps: number }; seqGaps: Array<{ from: number; to: number; count: number }> };
    const one = () => get<Device>(`/v1/devices/${device}`);
    let current = await until(one, (r) => r.status === 200 && r.body.seq.last === 45 && r.body.state === 'online' && r.body.model !== null);
    expect(current.body).toMatchObject({
      state: 'online',
      software: { name: 'sightline-edge', version: '0.2.0' },
      model: 'yolox-nano',
      cameras: ['cam-1', 'cam-2'],
      startedAt: '2025-05-01T07:00:00.000Z',
      stats: { sentAt: '2025-05-01T08:11:00.000Z', spool: { dropped: 7 } },
    });
    // The first test stored seqs 10..17 and 30, so 18..29 and 31..39 are missing too.
    expect(current.body.seq).toEqual({ last: 45, missing: 12 + 9 + 2, gaps: 3 });
    expect(current.body.seqGaps).toEqual([
      { from: 42, to: 43, count: 2, detectedAt: expect.any(String) },
      { from: 31, to: 39, count: 9, detectedAt: expect.any(String) },
      { from: 18, to: 29, count: 12, detectedAt: expect.any(String) },
    ]);

    // A late message fills part of a gap; an older stats report does not replace the newer one.
    await pub.sendTo(device, 'stats', statsMessage(device, 43, { sentAt: '2025-05-01T08:09:00.000Z', spoolDropped: 1 }));
    current = await until(one, (r) => r.body.seq.missing === 22);
    expect(current.body.seqGaps[0]).toMatchObject({ from: 42, to: 42 });
    expect(current.body.stats.spool.dropped).toBe(7);

    const changedBefore = current.body.stateChangedAt;
    await pub.sendTo(device, 'status', 'offline', { retain: true });
    current = await until(one, (r) => r.body.state === 'offline');
    expect(Date.parse(current.body.stateChangedAt)).toBeGreaterThan(Date.parse(changedBefore));
    const offline = await get<{ items: Array<{ id: string }> }>('/v1/devices?state=offline&limit=1000');
    expect(offline.body.items.map((d) => d.id)).toContain(device);

    const letters = await until(
      () => database.query<{ reason: string }>('select reason from dead_letters where topic = $1', [deviceTopic(other, 'stats')]),
      (rows) => rows.length >= 1,
    );
    expect(letters).toEqual([{ reason: `deviceId "${device}" does not match topic device "${other}"` }]);
  });

  it('documents the traffic and device routes in the OpenAPI document', async () => {
    const doc = await get<{ paths: Record<string, unknown> }>('/docs/json');
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/v1/traffic/counts', '/v1/traffic/flows', '/v1/devices', '/v1/devices/{id}']));
  });

  it('pages the device list and answers 404 for an unknown device', async () => {
    const first = await get<{ items: Array<{ id: string }>; nextCursor: string | null }>('/v1/devices?limit=1');
    expect(first.body.items).toHaveLength(1);
    if (first.body.nextCursor) {
      const second = await get<{ items: Array<{ id: string }> }>(`/v1/devices?limit=1&cursor=${first.body.nextCursor}`);
      expect(second.body.items[0]!.id > first.body.items[0]!.id).toBe(true);
    }
    const missing = await fetch(`${central.apiUrl}/v1/devices/${unique('nobody')}`, { headers });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { detail: string }).detail).toMatch(/is unknown/);
    expect((await fetch(`${central.apiUrl}/v1/devices?cursor=!!`, { headers })).status).toBe(400);
  });
});
