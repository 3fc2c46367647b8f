/**
 * The central service in one call: database, broker (embedded unless given), ingest and API.
 *
 * ```
 * MQTT broker ──▶ ingest (check, batch, idempotent insert) ──▶ Postgres / PGlite ──▶ API (Fastify)
 * ```
 */
import { resolve } from 'node:path';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import pino, { type Logger } from 'pino';
import type { AuthOptions } from './api/auth';
import { buildApi } from './api/server';
import { startEmbeddedBroker, type EmbeddedBroker } from './broker/embedded';
import { DEFAULT_DATA_DIR, openDatabase, redactUrl, type DatabaseHandle } from './db/connect';
import type { Database } from './db/schema';
import { PostgresEvidenceStore, type EvidenceStore } from './evidence/store';
import { CategoryRules } from './incidents/rules';
import type { BatcherOptions } from './ingest/batcher';
import { DEFAULT_SHARED_GROUP, defaultIngestClientId, startIngest, type Ingest, type IngestOptions, type IngestStats } from './ingest/ingest';

/** Configuration of {@link startCentral}; every field is optional. */
export interface CentralConfig {
  /** PostgreSQL URL. Unset: embedded PGlite in `dataDir`. */
  databaseUrl?: string;
  /** PGlite data directory (default `.sightline/pgdata` under cwd) or `memory://`. Ignored with `databaseUrl`. */
  dataDir?: string;
  /** Broker URL, e.g. `mqtt://127.0.0.1:1883`. Unset: an embedded aedes broker on `mqttPort`. */
  mqttUrl?: string;
  /** Embedded broker port (default 1883; 0 = any free port). Ignored with `mqttUrl`. */
  mqttPort?: number;
  /** MQTT protocol for `mqttUrl`: 5 (default) or 4 (MQTT 3.1.1). The embedded broker always uses 4. */
  mqttProtocolVersion?: 4 | 5;
  /**
   * Shared subscription group with MQTT 5 (default `sightline-ingest`); `null` = plain subscription.
   * Tests sharing one broker should pass a unique group (or null) so their instances don't split messages.
   */
  mqttSharedGroup?: string | null;
  /** Broker user name and password (alternatively inside `mqttUrl`). */
  mqttUsername?: string;
  mqttPassword?: string;
  /**
   * MQTT client id of this ingest worker = the name of its persistent session on the broker.
   * Default: {@link defaultIngestClientId} of the host, shared group and database, which is
   * stable across restarts. Several workers of one deployment on one host need distinct ids.
   */
  ingestClientId?: string;
  /**
   * How long the broker keeps this worker's session while it is disconnected, in seconds
   * (default 7 days; MQTT 5). 0 = clean session (no redelivery after a crash).
   */
  mqttSessionExpirySeconds?: number;
  /** Interface the API (and the embedded broker) listen on (default `127.0.0.1`). */
  httpHost?: string;
  /** API port (default 8080; 0 = any free port). */
  httpPort?: number;
  /** Logger for everything; `false` = silent; unset = pino at `logLevel` on stdout. */
  logger?: Logger | false;
  /** Level of the default logger (default `info`). */
  logLevel?: string;
  /** Ingest tuning: payload limits and batching / retry; a hook called after each commit. */
  ingest?: { maxPayloadBytes?: number; maxEvidenceBytes?: number; batcher?: Partial<BatcherOptions>; onCommitted?: IngestOptions['onCommitted'] };
  /** API keys and rate limiting (default: keys required; `{ enabled: false }` for local development only). */
  auth?: AuthOptions;
  /** Taxonomies (ids like `coco` or JSON paths) whose category rules drive incident merging (default: the shipped ones). */
  taxonomies?: string[];
  /** Where evidence JPEG bytes are kept (default: the `evidence_blobs` table of the database). */
  evidenceStore?: EvidenceStore;
  /** Open311 read side: public (default true), `agency_responsible`, base URL for `media_url`. */
  open311?: { public?: boolean; agency?: string; publicUrl?: string };
}

/** A running central service. */
export interface Central {
  /** Base URL of the API, e.g. `http://127.0.0.1:8080` (the actual port when 0 was asked). */
  apiUrl: string;
  /** URL of the broker the ingest subscribes to (the embedded one's, when embedded). */
  mqttUrl: string;
  /** The database (typed), for tests and tools. */
  db: Kysely<Database>;
  /** The ingest's counters, its MQTT client id, and a way to wait until everything received is stored. */
  ingest: { clientId: string; stats(): IngestStats; idle(): Promise<void> };
  /** Stops the API, the ingest (writing what it holds), the embedded broker and the database. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts central: opens (and migrates) the database, starts the embedded broker when there is no
 * `mqttUrl`, subscribes the ingest, and starts the API.
 *
 * Usage:
 * ```ts
 * const central = await startCentral({ dataDir: 'memory://', mqttPort: 0, httpPort: 0, logger: false });
 * // publish to central.mqttUrl, read `${central.apiUrl}/v1/observations`
 * await central.close();
 * ```
 *
 * @throws Error when a part cannot start (database unreachable or migration failed, port taken,
 *   broker unreachable); the message names the part and the address, and whatever had already
 *   started is closed again.
 */
export async function startCentral(config: CentralConfig = {}): Promise<Central> {
  const logger = config.logger === false ? undefined : (config.logger ?? pino({ level: config.logLevel ?? 'info' }));
  const host = config.httpHost ?? '127.0.0.1';
  const cleanups: Array<() => Promise<void>> = [];
  const closeAll = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup().catch((error: unknown) => logger?.error({ err: error }, 'error while closing central'));
    }
  };

  try {
    // The broker first: it is cheap and fails fast (port taken) before the database is opened.
    let broker: EmbeddedBroker | undefined;
    if (!config.mqttUrl) {
      broker = await startEmbeddedBroker({ port: config.mqttPort ?? 1883, host, ...(logger ? { logger } : {}) });
      const started = broker;
      cleanups.push(() => started.close());
    }
    const mqttUrl = config.mqttUrl ?? broker!.url;

    const database: DatabaseHandle = await openDatabase({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      ...(logger ? { logger } : {}),
    });
    cleanups.push(() => database.close());
    logger?.info({ engine: database.engine }, 'database ready');

    const rules = config.taxonomies ? CategoryRules.load(config.taxonomies) : new CategoryRules();
    const evidenceStore = config.evidenceStore ?? new PostgresEvidenceStore();
    const group = config.mqttSharedGroup === undefined ? DEFAULT_SHARED_GROUP : config.mqttSharedGroup;
    const databaseIdentity = config.databaseUrl ? redactUrl(config.databaseUrl) : resolve(config.dataDir ?? DEFAULT_DATA_DIR);
    const ingest: Ingest = await startIngest(database.db, {
      mqttUrl,
      // aedes speaks MQTT 3.1.1 only, hence no shared subscription in embedded mode.
      protocolVersion: broker ? 4 : (config.mqttProtocolVersion ?? 5),
      sharedGroup: group,
      clientId: config.ingestClientId ?? defaultIngestClientId(`${group ?? '(plain)'} ${databaseIdentity}`),
      ...(config.mqttUsername !== undefined ? { username: config.mqttUsername } : {}),
      ...(config.mqttPassword !== undefined ? { password: config.mqttPassword } : {}),
      ...(config.mqttSessionExpirySeconds !== undefined ? { sessionExpirySeconds: config.mqttSessionExpirySeconds } : {}),
      ...(config.ingest?.onCommitted ? { onCommitted: config.ingest.onCommitted } : {}),
      ...(database.transactionWithCopy ? { transactionWithCopy: database.transactionWithCopy } : {}),
      ...(config.ingest?.maxPayloadBytes !== undefined ? { maxPayloadBytes: config.ingest.maxPayloadBytes } : {}),
      ...(config.ingest?.maxEvidenceBytes !== undefined ? { maxEvidenceBytes: config.ingest.maxEvidenceBytes } : {}),
      rules,
      evidenceStore,
      ...(config.ingest?.batcher ? { batcher: config.ingest.batcher } : {}),
      ...(logger ? { logger: logger.child({ component: 'ingest' }) } : {}),
    });
    cleanups.push(() => ingest.close());

    const api = await buildApi({
      db: database.db,
      logger: logger ? logger.child({ component: 'api' }) : false,
      rules,
      evidenceStore,
      ...(config.auth ? { auth: config.auth } : {}),
      ...(config.open311 ? { open311: config.open311 } : {}),
      health: {
        pingDatabase: async () => {
          await sql`select 1`.execute(database.db);
        },
        brokerConnected: () => ingest.connected(),
        ingestStats: () => {
          const s = ingest.stats();
          return { received: s.received, stored: s.stored, deadLettered: s.deadLettered, pending: s.pending, writeFailures: s.writeFailures, acknowledged: s.acknowledged };
        },
      },
    });
    cleanups.push(() => api.close());
    try {
      await api.listen({ host, port: config.httpPort ?? 8080 });
    } catch (error) {
      throw new Error(`cannot start the API on ${host}:${config.httpPort ?? 8080}: ${(error as Error).message}`, { cause: error });
    }
    const address = api.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : (config.httpPort ?? 8080);
    const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
    const apiUrl = `http://${urlHost}:${port}`;
    if (config.auth?.enabled === false) logger?.warn('API authentication is OFF (SIGHTLINE_AUTH=off): anyone who can reach the API is an admin; never run like this outside local development');
    logger?.info({ apiUrl, mqttUrl: redactUrl(mqttUrl), subscriptions: ingest.subscriptions, ingestClientId: ingest.clientId }, 'central started');

    let closed: Promise<void> | undefined;
    return {
      apiUrl,
      mqttUrl,
      db: database.db,
      ingest: { clientId: ingest.clientId, stats: () => ingest.stats(), idle: () => ingest.idle() },
      close: () => (closed ??= closeAll()),
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
