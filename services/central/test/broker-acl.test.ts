/**
 * The broker configuration in infra/mosquitto (passwords + ACL) on a real Mosquitto: a device can
 * publish only under its own id, so device A cannot speak as device B; the central user reads
 * everything, shared subscriptions included; strangers cannot log in.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMosquitto, type TestMosquitto } from './mosquitto';
import { until } from './helpers';

const USERS = { central: 'central-secret', 'dev-a': 'secret-a', 'dev-b': 'secret-b' };

describe('broker security (infra/mosquitto)', () => {
  let broker: TestMosquitto;
  let central: MqttClient;
  const seen: string[] = [];
  const sharedSeen: string[] = [];

  const login = (user: keyof typeof USERS, protocolVersion: 4 | 5, extra: mqtt.IClientOptions = {}) =>
    mqtt.connectAsync(broker.url, { username: user, password: USERS[user], protocolVersion, reconnectPeriod: 0, ...extra });

  beforeAll(async () => {
    broker = await startMosquitto({ users: USERS });
    central = await login('central', 5, { clientId: 'acl-central' });
    central.on('message', (topic, payload) => seen.push(`${topic} ${payload.toString()}`));
    await central.subscribeAsync('sightline/v1/#', { qos: 1 });
    const shared = await login('central', 5, { clientId: 'acl-central-shared' });
    shared.on('message', (topic, payload) => sharedSeen.push(`${topic} ${payload.toString()}`));
    const granted = await shared.subscribeAsync('$share/acl-test/sightline/v1/+/observations', { qos: 1 });
    expect(granted[0]!.qos).toBe(1); // the central user may join a shared subscription
  });

  afterAll(async () => {
    await central?.endAsync();
    await broker?.dispose();
  });

  it('refuses anonymous clients and wrong passwords', async () => {
    await expect(mqtt.connectAsync(broker.url, { reconnectPeriod: 0, protocolVersion: 4 })).rejects.toThrow(/Not authorized|Connection refused/i);
    await expect(mqtt.connectAsync(broker.url, { username: 'dev-a', password: 'wrong', reconnectPeriod: 0, protocolVersion: 5 })).rejects.toThrow(
      /Bad User Name or Password|Not authorized/i,
    );
  });

  it('lets device A publish under its own id only: central never sees A speaking as B', async () => {
    // MQTT 3.1.1: the broker acknowledges the forbidden publish (the protocol has no way to say
    // no) and drops it.
    const a4 = await login('dev-a', 4, { clientId: 'dev-a' });
    await a4.publishAsync('sightline/v1/dev-b/observations', 'spoof-3.1.1', { qos: 1 });
    await a4.publishAsync('sightline/v1/dev-b/status', 'offline', { qos: 1, retain: true });
    await a4.publishAsync('sightline/v1/dev-a/observations', 'own-3.1.1', { qos: 1 });
    await a4.endAsync();

    // MQTT 5: the broker answers the forbidden publish with reason code 135 (Not authorized).
    const a5 = await login('dev-a', 5, { clientId: 'dev-a-v5' });
    await expect(a5.publishAsync('sightline/v1/dev-b/traffic', 'spoof-5', { qos: 1 })).rejects.toThrow(/Not authorized|135/);
    await a5.publishAsync('sightline/v1/dev-a/traffic', 'own-5', { qos: 1 });
    await a5.endAsync();

    // A Last Will on B's status topic is accepted at connect but never published.
    const willer = await login('dev-a', 5, {
      clientId: 'dev-a-will',
      will: { topic: 'sightline/v1/dev-b/status', payload: Buffer.from('offline-spoof'), qos: 1, retain: true },
    });
    willer.stream.destroy(); // an unclean loss: the broker fires the will

    // B's own messages go through.
    const b = await login('dev-b', 5, { clientId: 'dev-b' });
    await b.publishAsync('sightline/v1/dev-b/observations', 'shared-from-b', { qos: 1 });
    await b.publishAsync('sightline/v1/dev-b/stats', 'own-b', { qos: 1 });
    await b.endAsync();

    const all = await until(() => [...seen], (s) => s.some((m) => m.endsWith('own-b')));
    expect(all).toContain('sightline/v1/dev-a/observations own-3.1.1');
    expect(all).toContain('sightline/v1/dev-a/traffic own-5');
    expect(all.filter((m) => m.startsWith('sightline/v1/dev-b/'))).toEqual([
      'sightline/v1/dev-b/observations shared-from-b',
      'sightline/v1/dev-b/stats own-b',
    ]);
    expect(all.some((m) => m.includes('spoof'))).toBe(false);
    // The shared subscription got the observations of both devices (and nothing spoofed).
    expect(await until(() => [...sharedSeen], (s) => s.length >= 2)).toEqual([
      'sightline/v1/dev-a/observations own-3.1.1',
      'sightline/v1/dev-b/observations shared-from-b',
    ]);
    // The retained status of B is not A's to set.
    const probe = await login('central', 5, { clientId: 'acl-probe' });
    const retained: string[] = [];
    probe.on('message', (topic, payload) => retained.push(`${topic} ${payload.toString()}`));
    await probe.subscribeAsync('sightline/v1/dev-b/status', { qos: 1 });
    await new Promise((r) => setTimeout(r, 200));
    expect(retained).toEqual([]);
    await probe.endAsync();
    console.log(`[broker ACL] central received ${all.length} messages; 0 of the 4 spoofed publishes by dev-a on dev-b's topics (2 plain, 1 MQTT 5, 1 Last Will)`);
  });

  it("does not let a device read other devices' topics", async () => {
    const a = await login('dev-a', 5, { clientId: 'dev-a-reader' });
    const got: string[] = [];
    a.on('message', (topic) => got.push(topic));
    await a.subscribeAsync('sightline/v1/#', { qos: 1 }).catch(() => undefined);
    const b = await login('dev-b', 5, { clientId: 'dev-b-2' });
    await b.publishAsync('sightline/v1/dev-b/stats', 'private', { qos: 1 });
    await b.endAsync();
    await until(() => seen.filter((m) => m.endsWith('private')).length, (n) => n >= 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toEqual([]);
    await a.endAsync();
  });
});
