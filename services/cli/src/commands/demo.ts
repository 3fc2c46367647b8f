import { resolve } from 'node:path';
import pino from 'pino';
import { createApiKey, startCentral } from '@sightline/central';
import { parseAgentConfig, runAgent } from '@sightline/edge';
import { resolveSamples } from '@sightline/models';
import { parseCommandArgs } from '../args';
import { portOrFree } from '../ports';

export const demoUsage = `usage: sightline demo [--source DIR] [--data DIR] [--no-serve]

Starts the central service on the embedded defaults (PGlite in --data, default .sightline/demo;
an in-process MQTT broker on port 1883 or a free one) and one edge agent over the sample street
photos (models/manifests/samples.json; SIGHTLINE_SAMPLES_DIR, cache, else download) or over the
images in --source DIR. Waits until every observation is stored, prints a summary and a read-scoped
API key for trying the API, and serves it until Ctrl-C (--no-serve: exit after the summary).`;

const DEMO_DEVICE = 'demo-edge';

/** `sightline demo`: the whole system on embedded defaults, fed with sample frames. */
export async function demoCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    source: { type: 'string' },
    data: { type: 'string', default: '.sightline/demo' },
    'no-serve': { type: 'boolean', default: false },
  });
  const quiet = pino({ level: process.env.LOG_LEVEL ?? 'warn' });
  const say = (text: string) => process.stdout.write(`${text}\n`);

  const frames = values.source ? [resolve(values.source)] : await resolveSamples();
  const central = await startCentral({
    dataDir: resolve(values.data, 'pgdata'),
    mqttPort: await portOrFree(Number(process.env.SIGHTLINE_MQTT_PORT ?? 1883)),
    httpHost: process.env.HOST ?? '127.0.0.1',
    httpPort: await portOrFree(Number(process.env.PORT ?? 8080)),
    logger: quiet,
  });
  try {
    say(`central: API ${central.apiUrl}, MQTT ${central.mqttUrl}, PGlite data in ${resolve(values.data, 'pgdata')}`);
    // The API needs a key: a read key for this run, printed below for the curl examples.
    const key = (await createApiKey(central.db, { scope: 'read', name: 'demo', createdBy: 'demo' })).key;
    // A camera id per run, so the summary counts this run's rows even when --data holds earlier runs.
    const cameraId = `demo-${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}`;
    const config = parseAgentConfig(
      {
        deviceId: DEMO_DEVICE,
        mqtt: { url: central.mqttUrl },
        stateDir: resolve(values.data, 'edge'),
        cameras: [{ id: cameraId, source: { type: 'images', paths: frames } }],
      },
      process.cwd(),
    );
    say(`edge: detecting on ${values.source ?? `${frames.length} sample photos`} ...`);
    const stats = await runAgent(config, { logger: quiet });

    const stored = await waitForStored(central.apiUrl, key, cameraId, stats.observations, 30_000);
    const byLabel = new Map<string, number>();
    for (const item of stored) byLabel.set(item.label, (byLabel.get(item.label) ?? 0) + 1);
    say('');
    say(`${stats.frames} frames, ${stats.failed} failed, ${stats.messages} messages, ${stored.length} observations stored`);
    for (const [label, count] of [...byLabel].sort((a, b) => b[1] - a[1])) say(`  ${label.padEnd(16)} ${count}`);
    say('');
    say(`API:      ${central.apiUrl}/v1/observations`);
    say(`OpenAPI:  ${central.apiUrl}/docs`);
    say(`API key:  ${key}   (read scope, kept in this demo's database)`);
    say(`try:      curl -H 'Authorization: Bearer ${key}' '${central.apiUrl}/v1/observations?camera=${cameraId}&label=bus&limit=5'`);
    say(`          curl -H 'Authorization: Bearer ${key}' '${central.apiUrl}/v1/incidents?status=open'`);
    say(`          curl '${central.apiUrl}/open311/v2/requests.json'   (Open311 is public)`);
    if (stored.length !== stats.observations) {
      say(`warning: ${stats.observations} observations published but ${stored.length} stored`);
      return 1;
    }
    if (values['no-serve']) {
      say(`\n--no-serve: stopped. The data stays in ${resolve(values.data)}; run again without --no-serve to serve it.`);
    } else {
      say('\nserving until Ctrl-C');
      await new Promise<void>((done) => {
        process.once('SIGINT', done);
        process.once('SIGTERM', done);
      });
    }
    return 0;
  } finally {
    await central.close();
  }
}

interface StoredObservation {
  id: string;
  label: string;
}

/** Pages through `GET /v1/observations` of the demo camera until `expected` rows are there. */
async function waitForStored(apiUrl: string, key: string, cameraId: string, expected: number, timeoutMs: number): Promise<StoredObservation[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const items: StoredObservation[] = [];
    let cursor: string | null = null;
    do {
      const url = new URL('/v1/observations', apiUrl);
      url.searchParams.set('device', DEMO_DEVICE);
      url.searchParams.set('camera', cameraId);
      url.searchParams.set('limit', '1000');
      if (cursor) url.searchParams.set('cursor', cursor);
      const page = (await (await fetch(url, { headers: { authorization: `Bearer ${key}` } })).json()) as { items: StoredObservation[]; nextCursor: string | null };
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    if (items.length >= expected || Date.now() > deadline) return items;
    await new Promise((r) => setTimeout(r, 200));
  }
}
