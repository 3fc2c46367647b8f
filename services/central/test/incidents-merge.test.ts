/**
 * Incident merging through the real ingest (Mosquitto → central → PostgreSQL): one couch seen 40
 * times from a truck along a jittered GPS track is one incident; couches 200 m apart are two;
 * different categories at one spot stay apart; sightings without a position or of a category that
 * raises no incidents are stored but not merged; a re-delivered message changes nothing.
 */
import { destinationPoint } from '@sightline/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GpsTrack } from '../../../edge/src/geo/track';
import { parseGpx } from '../../../edge/src/geo/gpx';
import { startCentral, type Central } from '../src/index';
import { createTestDatabase, type TestDatabase } from '../../../tests/support/postgres';
import { publisher, unique, until, type Publisher } from './helpers';
import { DAMRAK, passingTrackGpx, seeded, sightingMessage } from './sightings';

const MQTT_URL = process.env.SIGHTLINE_TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883';

interface IncidentCount {
  category: string;
  sighting_count: number;
  lat: number;
  lon: number;
  status: string;
}

describe('incident merging on PostgreSQL through the ingest', () => {
  let database: TestDatabase;
  let central: Central;
  let pub: Publisher;

  const incidentsNear = (lat: number, lon: number, metres = 100) =>
    database.query<IncidentCount>(
      `select category, sighting_count, lat, lon, status from incidents
        where abs(lat - $1) < $3 / 111195.0 and abs(lon - $2) < $3 / 60000.0 order by category, first_seen`,
      [lat, lon, metres],
    );

  beforeAll(async () => {
    database = await createTestDatabase();
    central = await startCentral({
      databaseUrl: database.url,
      mqttUrl: MQTT_URL,
      mqttSharedGroup: unique('test-merge'),
      mqttSessionExpirySeconds: 0,
      httpPort: 0,
      logger: false,
    });
    pub = await publisher(MQTT_URL, 5);
  });

  afterAll(async () => {
    await pub?.close();
    await central?.close();
    await database?.drop();
  });

  it('merges the same couch seen 40 times from a moving truck along a GPS track into one incident', async () => {
    const truck = unique('truck');
    // The truck passes the couch at 3 m/s; the GPX fixes (one a second) are off by up to 8 m.
    const start = new Date('2026-11-29T09:00:00Z');
    const gpx = passingTrackGpx(DAMRAK, start, 14, 3, 8, seeded(42));
    const track = new GpsTrack(parseGpx(gpx, 'truck.gpx').fixes);
    // 40 frames at 4 fps in the middle 10 s of the track; each frame placed by the track.
    const messages = Array.from({ length: 40 }, (_, i) => {
      const capturedAt = new Date(start.getTime() + 2000 + i * 250);
      const position = track.positionAt(capturedAt);
      expect(position).toBeDefined();
      return sightingMessage(truck, i + 1, { at: position!, capturedAt, score: 0.6 + (i % 10) / 100 });
    });
    const spread = Math.max(...messages.map((m) => Math.abs(m.position!.lon - DAMRAK.lon))) * 67_900; // metres east-west at 52.4°
    expect(spread).toBeGreaterThan(10); // the sightings really are spread along the street
    for (const m of messages) await pub.send(truck, m);
    await pub.send(truck, messages[7]!); // a re-delivery counts once

    const stored = async () => (await database.query<{ n: number }>('select count(*)::int as n from incident_observations io join observations o on o.id = io.observation_id where o.device_id = $1', [truck]))[0]!.n;
    expect(await until(stored, (n) => n >= 40)).toBe(40);
    await central.ingest.idle();
    const incidents = await incidentsNear(DAMRAK.lat, DAMRAK.lon);
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({ category: 'dumping.furniture.couch', sighting_count: 40, status: 'open' });
    // The position is the mean of the sightings: within a few metres of the couch.
    const offsetM = Math.hypot((incidents[0]!.lat - DAMRAK.lat) * 111_195, (incidents[0]!.lon - DAMRAK.lon) * 67_900);
    expect(offsetM).toBeLessThan(10);
    const [events] = await database.query<{ n: number }>(`select count(*)::int as n from incident_events where action = 'created'`);
    expect(events!.n).toBe(1);
  });

  it('keeps two couches 200 m apart as two incidents, and different categories at one spot apart', async () => {
    const van = unique('van');
    const far = destinationPoint(DAMRAK, 0, 1000); // away from the first test's couch
    const second = destinationPoint(far, 90, 200);
    const t0 = new Date('2026-11-29T10:00:00Z');
    let seq = 0;
    const at = (p: { lat: number; lon: number }, k: number) => destinationPoint(p, k * 72, 3); // a few metres of noise
    for (let k = 0; k < 5; k++) {
      await pub.send(van, sightingMessage(van, ++seq, { at: at(far, k), capturedAt: new Date(t0.getTime() + k * 1000) }));
      await pub.send(van, sightingMessage(van, ++seq, { at: at(second, k), capturedAt: new Date(t0.getTime() + 60_000 + k * 1000) }));
      // A fridge next to the first couch: another category, another incident.
      await pub.send(van, sightingMessage(van, ++seq, { at: at(far, k), capturedAt: new Date(t0.getTime() + k * 1000), category: 'dumping.appliance.refrigerator', label: 'refrigerator' }));
    }
    const linked = async () => (await database.query<{ n: number }>('select count(*)::int as n from incident_observations io join observations o on o.id = io.observation_id where o.device_id = $1', [van]))[0]!.n;
    expect(await until(linked, (n) => n >= 15)).toBe(15);
    const nearFirst = await incidentsNear(far.lat, far.lon, 50);
    expect(nearFirst.map((i) => [i.category, i.sighting_count])).toEqual([
      ['dumping.appliance.refrigerator', 5],
      ['dumping.furniture.couch', 5],
    ]);
    const nearSecond = await incidentsNear(second.lat, second.lon, 50);
    expect(nearSecond.map((i) => [i.category, i.sighting_count])).toEqual([['dumping.furniture.couch', 5]]);
  });

  it('stores observations without a position or of a non-incident category without merging them', async () => {
    const cam = unique('cam');
    const spot = destinationPoint(DAMRAK, 180, 2000);
    const noPosition = sightingMessage(cam, 1, { at: null, capturedAt: new Date('2026-11-29T11:00:00Z') });
    const car = sightingMessage(cam, 2, { at: spot, capturedAt: new Date('2026-11-29T11:00:01Z'), category: 'traffic.car', label: 'car' });
    const unknown = sightingMessage(cam, 3, { at: spot, capturedAt: new Date('2026-11-29T11:00:02Z'), category: 'private.unknown_thing' });
    for (const m of [noPosition, car, unknown]) await pub.send(cam, m);
    const stored = async () => (await database.query<{ n: number }>('select count(*)::int as n from observations where device_id = $1', [cam]))[0]!.n;
    expect(await until(stored, (n) => n >= 3)).toBe(3);
    await central.ingest.idle();
    const categories = await database.query<{ category: string }>('select category from observations where device_id = $1 order by seq', [cam]);
    expect(categories.map((c) => c.category)).toEqual(['dumping.furniture.couch', 'traffic.car', 'private.unknown_thing']);
    const [linked] = await database.query<{ n: number }>('select count(*)::int as n from incident_observations io join observations o on o.id = io.observation_id where o.device_id = $1', [cam]);
    expect(linked!.n).toBe(0);
    expect(await incidentsNear(spot.lat, spot.lon)).toEqual([]);
  });
});
