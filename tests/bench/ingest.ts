/**
 * `pnpm bench:ingest`: how fast Sightline's ingest stores observations, next to a naive ingest
 * and the PostgreSQL ceiling, in one run on this machine.
 *
 * ```
 * sightline  device publishes ─▶ Mosquitto (infra config, own port) ─▶ ingest (MQTT 5 shared sub,
 *            validate, batch, one transaction, PUBACK after commit) ─▶ PostgreSQL   [measured: rows committed/s]
 * naive      for each message: INSERT its rows, autocommit (no broker: an upper bound for naive)
 * COPY       COPY observations FROM STDIN of the same rows (the ceiling)
 * latency    a separate publisher process sends at --rate observations/s for --seconds; each
 *            message's capturedAt is its publish time; latency = commit time - publish time
 * ```
 *
 * All three write to the same `observations` table (same primary key and indexes) in fresh
 * databases. The Sightline figure drains a backlog the broker queued for the ingest's persistent
 * session (the catch-up case), so publishing does not compete for the CPU.
 *
 * Options: `--messages N` (default 20000), `--per-message K` observations per message (default
 * 1; the README demo frames carry about 5), `--rate R` observations/s for the latency run
 * (default 5000), `--seconds S` (default 10), `--naive N` messages for the naive run (default 3000),
 * `--devices D` publishing devices (default 10), `--batch B` the ingest's maxBatch (default: its
 * default), `--rounds R` (default 3): the three throughputs are measured in turn R times and the
 * medians reported, because a shared machine's load drifts.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { deviceTopic, type ObservationMessage } from '@sightline/contracts';
import mqtt from 'mqtt';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { openDatabase, startIngest, type DeviceRecord, type Ingest } from '../../services/central/src/index';
import { observationRows } from '../../services/central/src/ingest/observations';
import { observationMessage } from '../../services/central/test/helpers';
import { startMosquitto, type TestMosquitto } from '../../services/central/test/mosquitto';
import { createTestDatabase, type TestDatabase } from '../support/postgres';

const { values: args } = parseArgs({
  options: {
    messages: { type: 'string', default: '20000' },
    'per-message': { type: 'string', default: '1' },
    rate: { type: 'string', default: '5000' },
    seconds: { type: 'string', default: '10' },
    naive: { type: 'string', default: '3000' },
    devices: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    batch: { type: 'string' },
    // internal: run as the latency publisher child
    publisher: { type: 'string' },
  },
});
const MESSAGES = Number(args.messages);
const PER_MESSAGE = Number(args['per-message']);
const RATE = Number(args.rate);
const SECONDS = Number(args.seconds);
const NAIVE = Math.min(Number(args.naive), MESSAGES);
const DEVICES = Number(args.devices);
const ROUNDS = Number(args.rounds);
const PASSWORD = 'bench';
const LABELS = ['car', 'bus', 'person', 'truck', 'bicycle', 'motorcycle'];

if (args.publisher !== undefined) {
  await runPublisher(JSON.parse(args.publisher) as PublisherPlan);
  process.exit(0);
}

const say = (text: string) => process.stdout.write(`${text}\n`);
const devices = Array.from({ length: DEVICES }, (_, i) => `bench-${i}-${randomBytes(2).toString('hex')}`);
const labelsFor = (i: number) => Array.from({ length: PER_MESSAGE }, (_, j) => LABELS[(i + j) % LABELS.length]!);
const messageFor = (i: number, seq: number, capturedAt?: string): ObservationMessage =>
  observationMessage(devices[i % DEVICES]!, seq, { labels: labelsFor(i), ...(capturedAt ? { capturedAt } : {}) });

let broker: TestMosquitto | undefined;
const databases: TestDatabase[] = [];
try {
  broker = await startMosquitto({ users: { central: PASSWORD, ...Object.fromEntries(devices.map((d) => [d, PASSWORD])) } });
  const [sightlineDb, naiveDb, copyDb] = [await createTestDatabase(), await createTestDatabase(), await createTestDatabase()];
  databases.push(sightlineDb!, naiveDb!, copyDb!);
  for (const d of databases) await (await openDatabase({ databaseUrl: d.url })).close(); // migrate
  say(`bench:ingest — ${MESSAGES} messages × ${PER_MESSAGE} observation(s) from ${DEVICES} devices per round; Mosquitto ${broker.url}; PostgreSQL 127.0.0.1:5432`);

  // Fresh messages for every round: re-used ids would be re-deliveries, which take the slow path.
  let nextSeq = 0;
  const batchOfMessages = (): ObservationMessage[] => {
    const first = nextSeq;
    nextSeq += Math.ceil(MESSAGES / DEVICES);
    return Array.from({ length: MESSAGES }, (_, i) => messageFor(i, first + Math.floor(i / DEVICES) + 1));
  };
  const rows = MESSAGES * PER_MESSAGE;
  const columns = Object.keys(observationRows(batchOfMessages()[0]!, new Date())[0]!);

  const sightline = await openDatabase({ databaseUrl: sightlineDb!.url, poolSize: 4 });
  const ingestOptions = {
    mqttUrl: broker.url,
    username: 'central',
    password: PASSWORD,
    protocolVersion: 5 as const,
    sharedGroup: 'bench',
    clientId: `bench-ingest-${randomBytes(3).toString('hex')}`,
    ...(sightline.transactionWithCopy ? { transactionWithCopy: sightline.transactionWithCopy } : {}),
    ...(args.batch ? { batcher: { maxBatch: Number(args.batch) } } : {}),
  };
  let inserted = 0;
  let lastCommit = 0;
  const latencies: number[] = [];
  let measureLatency = false;
  const onCommitted = (records: readonly DeviceRecord[], committedAt: Date) => {
    for (const r of records) {
      if (r.kind !== 'observations') continue;
      inserted += r.message.observations.length;
      if (measureLatency) latencies.push(committedAt.getTime() - Date.parse(r.message.capturedAt));
    }
    lastCommit = performance.now();
  };
  let ingest: Ingest = await startIngest(sightline.db, { ...ingestOptions, onCommitted });
  const naiveClient = new pg.Client({ connectionString: naiveDb!.url });
  await naiveClient.connect();
  const copyClient = new pg.Client({ connectionString: copyDb!.url });
  await copyClient.connect();

  const measured = { sightline: [] as number[], naive: [] as number[], copy: [] as number[] };
  let transactions = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    // 1. Sightline: the broker queues a backlog for the ingest's persistent session while it is
    //    down; then the ingest starts and drains it. Timed from the start to the last commit.
    await ingest.close();
    const messages = batchOfMessages();
    await publishAll(broker.url, messages);
    inserted = 0;
    const drainStart = performance.now();
    ingest = await startIngest(sightline.db, { ...ingestOptions, onCommitted });
    while (inserted < rows) await sleep(5);
    measured.sightline.push(rows / ((lastCommit - drainStart) / 1000));
    transactions += ingest.stats().transactions;

    // 2. Naive: one INSERT per message, autocommit (fresh rows of the same shape).
    const naiveStart = performance.now();
    for (const message of batchOfMessages().slice(0, NAIVE)) {
      const params: unknown[] = [];
      const tuples = observationRows(message, new Date()).map(
        (row) => `(${columns.map((c) => `$${params.push((row as Record<string, unknown>)[c])}`).join(', ')})`,
      );
      await naiveClient.query(`insert into observations (${columns.join(', ')}) values ${tuples.join(', ')} on conflict (id) do nothing`, params);
    }
    measured.naive.push((NAIVE * PER_MESSAGE) / ((performance.now() - naiveStart) / 1000));

    // 3. COPY of as many rows (text format), one statement; the text is built before timing.
    const copyRows = batchOfMessages().flatMap((m) => observationRows(m, new Date()));
    const chunks: string[] = [];
    for (let i = 0; i < copyRows.length; i += 1000) {
      chunks.push(copyRows.slice(i, i + 1000).map((row) => `${columns.map((c) => copyText((row as Record<string, unknown>)[c])).join('\t')}\n`).join(''));
    }
    const copyStart = performance.now();
    await pipeline(Readable.from(chunks), copyClient.query(copyFrom(`copy observations (${columns.join(', ')}) from stdin`)));
    measured.copy.push(copyRows.length / ((performance.now() - copyStart) / 1000));
    say(`  round ${round}: sightline ${Math.round(measured.sightline.at(-1)!)}, naive ${Math.round(measured.naive.at(-1)!)}, COPY ${Math.round(measured.copy.at(-1)!)} obs/s`);
  }
  await naiveClient.end();
  await copyClient.end();
  const storedRows = Number((await sightlineDb!.query<{ n: number }>('select count(*)::int as n from observations'))[0]!.n);
  if (storedRows !== rows * ROUNDS) throw new Error(`sightline stored ${storedRows} rows, expected ${rows * ROUNDS}`);

  // 4. Latency at a steady rate from a separate publisher process.
  measureLatency = true;
  const latencyMessages = Math.round((RATE / PER_MESSAGE) * SECONDS);
  inserted = 0;
  await runPublisherChild({ url: broker.url, devices, password: PASSWORD, perMessage: PER_MESSAGE, messagesPerSecond: RATE / PER_MESSAGE, total: latencyMessages, firstSeq: nextSeq });
  const latencyDeadline = Date.now() + 30_000;
  while (inserted < latencyMessages * PER_MESSAGE && Date.now() < latencyDeadline) await sleep(10);
  await ingest.close();
  await sightline.close();

  const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
  const rate = { sightline: median(measured.sightline), naive: median(measured.naive), copy: median(measured.copy) };
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
  const line = (name: string, value: number, note: string) =>
    `  ${name.padEnd(42)} ${Math.round(value).toString().padStart(8)} obs/s  ${(value / rate.naive).toFixed(1).padStart(6)}× naive  ${(value / rate.copy).toFixed(2).padStart(5)}× COPY   ${note}`;
  say('');
  say(`medians of ${ROUNDS} rounds:`);
  say(line('Sightline ingest (broker → PG, committed)', rate.sightline, `${rows} rows per round, ${transactions} transactions in all`));
  say(line('naive (INSERT per message, autocommit)', rate.naive, `${NAIVE * PER_MESSAGE} rows per round`));
  say(line('COPY FROM STDIN (ceiling)', rate.copy, `${rows} rows per round`));
  say('');
  say(
    `  publish → commit latency at ${RATE} obs/s (${Math.round(RATE / PER_MESSAGE)} msg/s for ${SECONDS} s, ${latencies.length} messages): ` +
      `p50 ${pct(50)} ms, p99 ${pct(99)} ms, max ${latencies[latencies.length - 1]} ms`,
  );
  say('');
  const targets = [
    [`≥ 10× naive`, rate.sightline / rate.naive >= 10],
    [`≥ 0.3× COPY`, rate.sightline / rate.copy >= 0.3],
    [`p99 < 1 s at ${RATE} obs/s`, pct(99) < 1000 && latencies.length >= latencyMessages],
  ] as const;
  say(`  targets: ${targets.map(([name, ok]) => `${name} ${ok ? 'met' : 'NOT met'}`).join('; ')}`);
} finally {
  for (const d of databases) await d.drop().catch(() => undefined);
  await broker?.dispose();
}

/** Publishes `messages` QoS 1 from each device's own account, 200 in flight per device. */
async function publishAll(url: string, all: ObservationMessage[]): Promise<void> {
  await Promise.all(
    devices.map(async (device) => {
      const client = await mqtt.connectAsync(url, { username: device, password: PASSWORD, clientId: device, protocolVersion: 4 });
      const mine = all.filter((m) => m.deviceId === device);
      for (let i = 0; i < mine.length; i += 200) {
        await Promise.all(mine.slice(i, i + 200).map((m) => client.publishAsync(deviceTopic(device, 'observations'), JSON.stringify(m), { qos: 1 })));
      }
      await client.endAsync();
    }),
  );
}

interface PublisherPlan {
  url: string;
  devices: string[];
  password: string;
  perMessage: number;
  messagesPerSecond: number;
  total: number;
  firstSeq: number;
}

/** Runs this script again as the publisher process and waits for it to finish. */
function runPublisherChild(plan: PublisherPlan): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--publisher', JSON.stringify(plan)], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`publisher exited with ${code}`))));
  });
}

/** The publisher process: `total` messages at a steady rate, capturedAt = publish time. */
async function runPublisher(plan: PublisherPlan): Promise<void> {
  const clients = await Promise.all(
    plan.devices.map((d) => mqtt.connectAsync(plan.url, { username: d, password: plan.password, clientId: `${d}-live`, protocolVersion: 4 })),
  );
  const started = Date.now();
  const tickMs = 10;
  const pending: Promise<unknown>[] = [];
  for (let sent = 0; sent < plan.total; ) {
    const due = Math.min(plan.total, Math.floor(((Date.now() - started) / 1000) * plan.messagesPerSecond));
    for (; sent < due; sent++) {
      const device = plan.devices[sent % plan.devices.length]!;
      const message = observationMessage(device, plan.firstSeq + Math.floor(sent / plan.devices.length) + 1, {
        labels: Array.from({ length: plan.perMessage }, (_, j) => LABELS[(sent + j) % LABELS.length]!),
        capturedAt: new Date().toISOString(),
      });
      pending.push(clients[sent % clients.length]!.publishAsync(deviceTopic(device, 'observations'), JSON.stringify(message), { qos: 1 }));
    }
    await sleep(tickMs);
  }
  await Promise.all(pending);
  await Promise.all(clients.map((c) => c.endAsync()));
}

function copyText(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  if (value instanceof Date) return value.toISOString();
  return String(value).replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
