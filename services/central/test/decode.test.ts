/**
 * Checking a received message: the reason for each kind of bad input, and no throw on any input.
 */
import { randomBytes } from 'node:crypto';
import { deviceTopic } from '@sightline/contracts';
import { describe, expect, it } from 'vitest';
import { decodeObservationMessage } from '../src/ingest/decode';
import { observationMessage } from './helpers';

const topic = deviceTopic('dev-1', 'observations');
const bytes = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

describe('decodeObservationMessage', () => {
  it('accepts a valid message', () => {
    const message = observationMessage('dev-1', 1);
    expect(decodeObservationMessage(topic, bytes(message))).toEqual({ ok: true, message });
  });

  it.each([
    ['invalid JSON', '{"a":', /^invalid JSON: /],
    ['empty payload', '', /^invalid JSON: /],
    ['JSON that is not an object', '42', /^schema violation: \/: /],
    ['a missing field', { ...observationMessage('dev-1', 1), seq: undefined }, /^schema violation: .*seq/],
    ['a score above 1', (() => { const m = observationMessage('dev-1', 1); m.observations[0]!.score = 2; return m; })(), /^schema violation: \/observations\/0\/score: must be <= 1/],
    ['an extra property', { ...observationMessage('dev-1', 1), extra: true }, /^schema violation: /],
    ['a foreign deviceId', observationMessage('dev-2', 1), /^deviceId "dev-2" does not match topic device "dev-1"$/],
  ])('rejects %s', (_name, payload, reason) => {
    const decoded = decodeObservationMessage(topic, bytes(payload));
    expect(decoded).toEqual({ ok: false, reason: expect.stringMatching(reason), deviceId: 'dev-1' });
  });

  it('rejects an oversized payload before parsing it', () => {
    const decoded = decodeObservationMessage(topic, Buffer.alloc(101, 0x7b), 100);
    expect(decoded).toEqual({ ok: false, reason: 'payload too large: 101 bytes exceeds the 100-byte limit', deviceId: 'dev-1' });
  });

  it('rejects topics outside sightline/v1/{deviceId}/observations', () => {
    const message = bytes(observationMessage('dev-1', 1));
    expect(decodeObservationMessage('sightline/v1//observations', message)).toMatchObject({ ok: false, deviceId: null });
    expect(decodeObservationMessage('sightline/v1/dev-1/observations/extra', message)).toMatchObject({ ok: false, deviceId: 'dev-1' });
    expect(decodeObservationMessage('other/dev-1/observations', message)).toMatchObject({ ok: false, reason: expect.stringMatching(/is not sightline/) });
  });

  it('never throws, whatever the bytes', () => {
    const samples: Buffer[] = [
      Buffer.from([0xff, 0xfe, 0x00]),
      bytes('{"__proto__": {"polluted": true}}'),
      bytes('[' .repeat(10_000)),
      bytes({ schema: 'sightline/v1/observations', observations: new Array(5000).fill({}) }),
      bytes('"\\ud800"'),
    ];
    for (let i = 0; i < 200; i++) samples.push(randomBytes(i));
    for (const payload of samples) {
      const decoded = decodeObservationMessage(topic, payload);
      expect(decoded.ok).toBe(false);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
