/**
 * Checking a received message of every kind: what is accepted, the reason for each kind of bad
 * input (spoofed device, wrong schema version, oversized, not JSON), and no throw on any input.
 */
import { randomBytes } from 'node:crypto';
import { deviceTopic, newId, type StatsMessage, type TrafficCountMessage } from '@sightline/contracts';
import { describe, expect, it } from 'vitest';
import { decodeDeviceMessage } from '../src/ingest/decode';
import { observationMessage, statsMessage, trafficMessage } from './helpers';

const topic = deviceTopic('dev-1', 'observations');
const bytes = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

describe('decodeDeviceMessage', () => {
  it('accepts a valid message of each kind', () => {
    const observations = observationMessage('dev-1', 1);
    expect(decodeDeviceMessage(topic, bytes(observations))).toEqual({
      ok: true,
      record: { kind: 'observations', deviceId: 'dev-1', message: observations },
    });
    const traffic: TrafficCountMessage = trafficMessage('dev-1', 2);
    expect(decodeDeviceMessage(deviceTopic('dev-1', 'traffic'), bytes(traffic))).toEqual({
      ok: true,
      record: { kind: 'traffic', deviceId: 'dev-1', message: traffic },
    });
    const stats: StatsMessage = statsMessage('dev-1', 3);
    expect(decodeDeviceMessage(deviceTopic('dev-1', 'stats'), bytes(stats))).toEqual({
      ok: true,
      record: { kind: 'stats', deviceId: 'dev-1', message: stats },
    });
    expect(decodeDeviceMessage(deviceTopic('dev-1', 'status'), bytes('offline\n'))).toEqual({
      ok: true,
      record: { kind: 'status', deviceId: 'dev-1', state: 'offline' },
    });
    const info = { deviceId: 'dev-1', startedAt: '2025-05-01T08:00:00.000Z', software: { name: 'sightline-edge', version: '0.1.0' }, cameras: ['north'] };
    expect(decodeDeviceMessage('sightline/v1/dev-1/status/info', bytes(info))).toEqual({
      ok: true,
      record: { kind: 'status-info', deviceId: 'dev-1', message: info },
    });
  });

  it.each([
    ['invalid JSON', '{"a":', /^invalid JSON: /],
    ['empty payload', '', /^invalid JSON: /],
    ['JSON that is not an object', '42', /^schema violation: \/: /],
    ['a missing field', { ...observationMessage('dev-1', 1), seq: undefined }, /^schema violation: .*seq/],
    ['a score above 1', (() => { const m = observationMessage('dev-1', 1); m.observations[0]!.score = 2; return m; })(), /^schema violation: \/observations\/0\/score: must be <= 1/],
    ['an extra property', { ...observationMessage('dev-1', 1), extra: true }, /^schema violation: /],
    ['another schema version', { ...observationMessage('dev-1', 1), schema: 'sightline/v2/observations' }, /^schema violation: \/schema: /],
    ['a foreign deviceId', observationMessage('dev-2', 1), /^deviceId "dev-2" does not match topic device "dev-1"$/],
  ])('rejects %s', (_name, payload, reason) => {
    const decoded = decodeDeviceMessage(topic, bytes(payload));
    expect(decoded).toEqual({ ok: false, reason: expect.stringMatching(reason), deviceId: 'dev-1' });
  });

  it('rejects a payload speaking for another device on every kind of topic (spoofing)', () => {
    const spoofed: Array<[string, unknown]> = [
      [deviceTopic('dev-1', 'traffic'), trafficMessage('dev-2', 1)],
      [deviceTopic('dev-1', 'stats'), statsMessage('dev-2', 1)],
      ['sightline/v1/dev-1/status/info', { deviceId: 'dev-2', startedAt: '2025-05-01T08:00:00Z' }],
    ];
    for (const [where, payload] of spoofed) {
      expect(decodeDeviceMessage(where, bytes(payload))).toEqual({
        ok: false,
        reason: 'deviceId "dev-2" does not match topic device "dev-1"',
        deviceId: 'dev-1',
      });
    }
  });

  it('rejects an unknown status and a traffic message of another schema', () => {
    expect(decodeDeviceMessage(deviceTopic('dev-1', 'status'), bytes('rebooting'))).toEqual({
      ok: false,
      reason: 'status "rebooting" is not one of online, offline, stopped',
      deviceId: 'dev-1',
    });
    const traffic = { ...trafficMessage('dev-1', 1), schema: 'sightline/v1/observations' };
    expect(decodeDeviceMessage(deviceTopic('dev-1', 'traffic'), bytes(traffic))).toMatchObject({ ok: false, reason: expect.stringMatching(/^schema violation: \/schema/) });
  });

  it('skips the empty payload that clears a retained status', () => {
    expect(decodeDeviceMessage(deviceTopic('dev-1', 'status'), Buffer.alloc(0))).toEqual({
      ok: 'skip',
      reason: 'empty payload on sightline/v1/dev-1/status (retained message cleared)',
    });
    expect(decodeDeviceMessage('sightline/v1/dev-1/status/info', Buffer.alloc(0))).toMatchObject({ ok: 'skip' });
  });

  it('rejects values the contract allows no longer because PostgreSQL could not store them', () => {
    const cases: Array<[string, (m: ReturnType<typeof observationMessage>) => void, RegExp]> = [
      ['NUL in a label', (m) => (m.observations[0]!.label = 'car\u0000'), /\/observations\/0\/label/],
      ['NUL in the frame source', (m) => (m.frame.source = 'a\u0000b.jpg'), /\/frame\/source/],
      ['seq beyond 2^53', (m) => (m.seq = 2 ** 53 + 10), /\/seq/],
      ['classId beyond int4', (m) => (m.observations[0]!.classId = 2 ** 40), /\/observations\/0\/classId/],
      ['frame width beyond int4', (m) => (m.frame.width = 2 ** 40), /\/frame\/width/],
      ['a box value of 1e308', (m) => (m.observations[0]!.box = [0, 0, 1e308, 10]), /\/observations\/0\/box/],
      ['capture time in year 0', (m) => (m.capturedAt = '0000-01-01T00:00:00Z'), /\/capturedAt/],
      ['the same observation id twice', (m) => (m.observations[1]!.id = m.observations[0]!.id), /appears twice in one message/],
    ];
    for (const [name, spoil, reason] of cases) {
      const message = observationMessage('dev-1', 1);
      spoil(message);
      const decoded = decodeDeviceMessage(topic, bytes(message));
      expect(decoded.ok, name).toBe(false);
      if (!decoded.ok) expect(decoded.reason, name).toMatch(reason);
    }
    const traffic = trafficMessage('dev-1', 2);
    traffic.counts = [{ label: 'car', direction: 'in', count: 2 ** 53 }];
    const decoded = decodeDeviceMessage(deviceTopic('dev-1', 'traffic'), bytes(traffic));
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.reason).toMatch(/\/counts\/0\/count/);
  });

  it('rejects an oversized payload before parsing it', () => {
    const decoded = decodeDeviceMessage(topic, Buffer.alloc(101, 0x7b), 100);
    expect(decoded).toEqual({ ok: false, reason: 'payload too large: 101 bytes exceeds the 100-byte limit', deviceId: 'dev-1' });
  });

  it('rejects topics it does not store', () => {
    const message = bytes(observationMessage('dev-1', 1));
    expect(decodeDeviceMessage('sightline/v1//observations', message)).toMatchObject({ ok: false, deviceId: null });
    expect(decodeDeviceMessage('sightline/v1/dev-1/observations/extra', message)).toMatchObject({ ok: false, deviceId: 'dev-1' });
    expect(decodeDeviceMessage('sightline/v1/dev-1/status/other', message)).toMatchObject({ ok: false, deviceId: 'dev-1' });
    expect(decodeDeviceMessage(`sightline/v1/dev-1/evidence/${newId()}`, message)).toMatchObject({ ok: false, reason: expect.stringMatching(/is not a device topic central stores/) });
    expect(decodeDeviceMessage('other/dev-1/observations', message)).toMatchObject({ ok: false, reason: expect.stringMatching(/is not under sightline/) });
  });

  it('never throws, whatever the bytes', () => {
    const samples: Buffer[] = [
      Buffer.from([0xff, 0xfe, 0x00]),
      bytes('{"__proto__": {"polluted": true}}'),
      bytes('['.repeat(10_000)),
      bytes({ schema: 'sightline/v1/observations', observations: new Array(5000).fill({}) }),
      bytes('"\\ud800"'),
    ];
    for (let i = 0; i < 200; i++) samples.push(randomBytes(i));
    for (const where of [topic, deviceTopic('dev-1', 'traffic'), deviceTopic('dev-1', 'stats'), deviceTopic('dev-1', 'status'), 'sightline/v1/dev-1/status/info']) {
      for (const payload of samples) {
        const decoded = decodeDeviceMessage(where, payload);
        if (payload.length > 0 || !where.includes('status')) expect(decoded.ok).toBe(false);
      }
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
