/**
 * The embedded MQTT broker (aedes) for running central without any setup.
 *
 * aedes 1.x speaks MQTT 3.1 / 3.1.1 only: no MQTT 5, no shared subscriptions. Central's ingest
 * therefore subscribes plainly (protocol version 4) in embedded mode; devices must connect with
 * MQTT 3.1.1 (mqtt.js's default). For production and scale-out use Mosquitto or EMQX (`MQTT_URL`).
 */
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { Aedes } from 'aedes';
import type { Logger } from 'pino';

/** Options of {@link startEmbeddedBroker}. */
export interface EmbeddedBrokerOptions {
  /** TCP port (default 1883); 0 picks a free one. */
  port?: number;
  /** Interface to listen on (default `127.0.0.1`: the embedded broker has no authentication). */
  host?: string;
  logger?: Logger;
}

/** A running embedded broker. */
export interface EmbeddedBroker {
  /** `mqtt://host:port` clients connect to (the actual port when 0 was asked). */
  url: string;
  /** The TCP port it listens on. */
  port: number;
  /** Disconnects every client and stops listening. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts an aedes broker on a TCP port.
 * @throws Error `cannot start the embedded MQTT broker on host:port: ...` e.g. when the port is taken.
 */
export async function startEmbeddedBroker(options: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger;
  const broker = await Aedes.createBroker();
  broker.on('clientError', (client, error) => logger?.debug({ client: client?.id, err: error }, 'embedded broker: client error'));
  broker.on('connectionError', (client, error) => logger?.debug({ client: client?.id, err: error }, 'embedded broker: connection error'));

  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    broker.handle(socket);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 1883, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    throw new Error(`cannot start the embedded MQTT broker on ${host}:${options.port ?? 1883}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  server.on('error', (error) => logger?.error({ err: error }, 'embedded broker: server error'));
  const port = (server.address() as AddressInfo).port;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  logger?.info({ port, host }, 'embedded MQTT broker listening');

  let closed: Promise<void> | undefined;
  return {
    url: `mqtt://${urlHost}:${port}`,
    port,
    close: () =>
      (closed ??= (async () => {
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        await new Promise<void>((resolve) => broker.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await serverClosed;
      })()),
  };
}
