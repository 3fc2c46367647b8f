/**
 * Fault-injection harness for the edge publisher: a private Mosquitto on a free port that a test
 * may stop and start (never the shared broker on 1883), and a receiver that checks what arrived.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';

/** A free TCP port on 127.0.0.1 (bound and released; fine for a test). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Polls `done` every 20 ms until it is true or `timeoutMs` passed; returns its last value. */
export async function until(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/**
 * A Mosquitto of the test's own, on `127.0.0.1:<free port>`, anonymous.
 *
 * Persistence is on, in a temporary folder: a stop is a clean SIGTERM (Mosquitto saves its
 * sessions), so the receiver's persistent session and the messages queued for it survive the
 * restart. Without it, the edge could reconnect and replay before the receiver resubscribed,
 * and the test would measure that race instead of the edge.
 */
export class TestBroker {
  readonly port: number;
  readonly url: string;
  readonly #dir: string;
  readonly #conf: string;
  #process: ChildProcess | undefined;

  private constructor(port: number) {
    this.port = port;
    this.url = `mqtt://127.0.0.1:${port}`;
    this.#dir = mkdtempSync(join(tmpdir(), 'sightline-mosquitto-'));
    this.#conf = join(this.#dir, 'mosquitto.conf');
    writeFileSync(
      this.#conf,
      [
        `listener ${port} 127.0.0.1`,
        'allow_anonymous true',
        'persistence true',
        `persistence_location ${this.#dir}/`,
        // Running as root in CI: stay root so the temporary folder stays writable.
        'user root',
        // The receiver may hold a long outage's worth of messages.
        'max_queued_messages 1000000',
        'log_dest none',
        '',
      ].join('\n'),
    );
  }

  /** Starts a broker on a free port and waits until it accepts connections. */
  static async start(): Promise<TestBroker> {
    const broker = new TestBroker(await freePort());
    await broker.start();
    return broker;
  }

  get running(): boolean {
    return this.#process !== undefined;
  }

  /** (Re)starts Mosquitto on the same port. */
  async start(): Promise<void> {
    if (this.#process) return;
    const child = spawn('mosquitto', ['-c', this.#conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    this.#process = child;
    let up = false;
    for (const deadline = Date.now() + 10_000; !up && child.exitCode === null && Date.now() < deadline; ) {
      up = await portOpen(this.port);
      if (!up) await new Promise((r) => setTimeout(r, 50));
    }
    if (!up) {
      child.kill('SIGKILL');
      this.#process = undefined;
      throw new Error(`mosquitto did not start on port ${this.port}: ${stderr.trim() || 'no output'}`);
    }
  }

  /** Stops Mosquitto (SIGTERM: it saves its sessions) and waits for it to exit. */
  async stop(): Promise<void> {
    const child = this.#process;
    if (!child) return;
    this.#process = undefined;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }

  /** Stops the broker and deletes its folder. */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

/** A message as the receiver saw it. */
export interface Received {
  topic: string;
  id: string;
  seq: number;
  body: Record<string, unknown>;
}

/**
 * The far side of the wire: a persistent-session (clean: false) QoS 1 subscriber to one device's
 * topics that keeps the first copy of each message id, counts duplicates, and counts a message as
 * out of order when its seq is not above every seq seen before it.
 */
export class Receiver {
  readonly client: MqttClient;
  /** First copy of each message, in arrival order. */
  readonly messages: Received[] = [];
  readonly #ids = new Set<string>();
  duplicates = 0;
  outOfOrder = 0;
  #maxSeq = -1;

  private constructor(client: MqttClient) {
    this.client = client;
    client.on('message', (topic, payload) => {
      if (topic.endsWith('/status') || topic.includes('/status/')) return;
      const body = JSON.parse(payload.toString('utf8')) as { id: string; seq: number };
      if (this.#ids.has(body.id)) {
        this.duplicates += 1;
        return;
      }
      this.#ids.add(body.id);
      if (body.seq <= this.#maxSeq) this.outOfOrder += 1;
      this.#maxSeq = Math.max(this.#maxSeq, body.seq);
      this.messages.push({ topic, id: body.id, seq: body.seq, body });
    });
    client.on('error', () => {});
  }

  /** Connects (persistent session, reconnecting every 200 ms) and subscribes to `sightline/v1/<deviceId>/+` at QoS 1. */
  static async connect(url: string, deviceId: string): Promise<Receiver> {
    const client = await mqtt.connectAsync(url, { clientId: `receiver-${deviceId}`, clean: false, reconnectPeriod: 200 });
    const receiver = new Receiver(client);
    await client.subscribeAsync(`sightline/v1/${deviceId}/+`, { qos: 1 });
    return receiver;
  }

  /** Unique messages on topics ending in `/<kind>`. */
  of(kind: string): Received[] {
    return this.messages.filter((m) => m.topic.endsWith(`/${kind}`));
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}
