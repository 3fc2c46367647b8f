/**
 * The agent on the real Mosquitto (SIGHTLINE_TEST_MQTT_URL) with a moving camera: a GPS log, a
 * user taxonomy given by config alone, and evidence JPEGs on `.../evidence/{observationId}`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import pino from 'pino';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allDevicesEvidenceFilter, haversineMetres, parseTopic, validateObservationMessage, type ObservationMessage } from '@sightline/contracts';
import { runAgent, type AgentStats } from '../../src/agent';
import { parseAgentConfig } from '../../src/config';
import { fixture } from '../../../tests/support/fixtures';
import { nmeaLog, truePosition, type Drive } from '../geo/drive';

const BROKER = process.env.SIGHTLINE_TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883';

/** A bus line inspection vehicle in London; its log covers the time the street photo "was taken". */
const drive: Drive = { start: { lat: 51.5079, lon: -0.1283 }, bearingDeg: 75, speedMps: 9, t0: Date.UTC(2026, 10, 29, 9, 0, 0), fixes: 40 };

describe('edge agent: categories, positions and evidence', () => {
  const deviceId = `evidence-${randomBytes(4).toString('hex')}`;
  let dir: string;
  let stats: AgentStats;
  const messages: ObservationMessage[] = [];
  const evidence = new Map<string, Buffer>();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sightline-evidence-'));
    await mkdir(join(dir, 'frames'));
    // 1: London street photo without EXIF GPS; its capture time (file time) is 12.5 s into the drive.
    const street = join(dir, 'frames', '1-street.jpg');
    await copyFile(fixture('street/images/coco_val2017_000000001584.jpg'), street);
    const at = new Date(drive.t0 + 12_500);
    await utimes(street, at, at);
    // 2: the bus photo, whose iPhone EXIF GPS puts it in Madrid: EXIF wins over the track.
    await copyFile(fixture('demo/bus.jpg'), join(dir, 'frames', '2-bus.jpg'));
    await writeFile(join(dir, 'truck.nmea'), nmeaLog(drive).join('\r\n'));
    // A user's taxonomy, by config alone: buses raise incidents (say, a bus-lane enforcement pilot).
    await writeFile(
      join(dir, 'city.json'),
      JSON.stringify({
        id: 'pilot',
        name: 'bus lane pilot',
        categories: {
          'enforcement.bus': { title: 'Bus', labels: ['bus'], minScore: 0.5, minFrames: 4, mergeRadiusM: 25, raisesIncident: true, reopenResolved: false },
          'traffic.person': { title: 'Pedestrian', labels: ['person'], minScore: 0.3, minFrames: 1, mergeRadiusM: 10, raisesIncident: false, reopenResolved: false },
        },
      }),
    );
    const config = parseAgentConfig(
      {
        deviceId,
        mqtt: { url: BROKER },
        stateDir: 'state',
        model: { taxonomy: 'city.json' },
        cameras: [
          {
            id: 'front',
            source: { type: 'images', paths: ['frames'] },
            gps: { type: 'nmea', file: 'truck.nmea' },
            position: { lat: 1, lon: 1 }, // never used: every frame has EXIF or a track position
          },
        ],
      },
      dir,
    );
    const client = await mqtt.connectAsync(BROKER, { clientId: `${deviceId}-sub` });
    client.on('message', (topic, payload) => {
      const parsed = parseTopic(topic);
      if (parsed?.deviceId !== deviceId) return;
      if (parsed.kind === 'observations') messages.push(JSON.parse(payload.toString('utf8')) as ObservationMessage);
      if (parsed.kind === 'evidence') evidence.set(parsed.rest[0]!, Buffer.from(payload));
    });
    await client.subscribeAsync([`sightline/v1/${deviceId}/observations`, allDevicesEvidenceFilter()], { qos: 1 });
    stats = await runAgent(config, { logger: pino({ level: 'silent' }) });
    const deadline = Date.now() + 10_000;
    while ((messages.length < 2 || evidence.size < stats.evidence) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await client.endAsync();
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('publishes valid messages with categories from the configured taxonomy', () => {
    expect(stats).toMatchObject({ frames: 2, failed: 0, messages: 2, unsent: 0, evidenceSkipped: 0 });
    expect(messages).toHaveLength(2);
    for (const m of messages) expect(validateObservationMessage(m).ok).toBe(true);
    const all = messages.flatMap((m) => m.observations);
    for (const o of all) {
      if (o.label === 'bus' && o.score >= 0.5) expect(o.category).toBe('enforcement.bus');
      else if (o.label === 'person') expect(o.category).toBe('traffic.person');
      else expect(o.category).toBeUndefined();
    }
    expect(all.filter((o) => o.category === 'enforcement.bus').length).toBeGreaterThanOrEqual(2);
  });

  it('positions the street frame from the GPS log and the bus photo from its EXIF', () => {
    const street = messages.find((m) => m.frame.source === '1-street.jpg')!;
    expect(street.position?.source).toBe('gps');
    expect(haversineMetres(street.position!, truePosition(drive, 12.5))).toBeLessThan(1);
    expect(street.position?.headingDeg).toBeCloseTo(75, 0);
    const bus = messages.find((m) => m.frame.source === '2-bus.jpg')!;
    expect(bus.position).toEqual({ lat: 40.4113889, lon: -3.7073639, accuracyM: 61.3, headingDeg: 122.7, source: 'exif' });
  });

  it('sends one redacted JPEG per incident-raising observation, matching its announced sha256', async () => {
    const raising = messages.flatMap((m) => m.observations).filter((o) => o.category === 'enforcement.bus');
    expect(stats.evidence).toBe(raising.length);
    expect([...evidence.keys()].sort()).toEqual(raising.map((o) => o.id).sort());
    for (const o of raising) {
      const jpeg = evidence.get(o.id)!;
      expect(o.evidence).toMatchObject({ contentType: 'image/jpeg', bytes: jpeg.length, redacted: ['persons', 'vehicle-lower-halves'] });
      expect(createHash('sha256').update(jpeg).digest('hex')).toBe(o.evidence!.sha256);
      const meta = await sharp(jpeg).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', o.evidence!.width, o.evidence!.height]);
    }
    // Observations that raise no incident carry no evidence.
    for (const o of messages.flatMap((m) => m.observations).filter((x) => x.category !== 'enforcement.bus')) expect(o.evidence).toBeUndefined();
  });
});
