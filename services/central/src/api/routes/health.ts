/**
 * `GET /healthz`: can this instance do its job? 200 when the database answers and the MQTT
 * connection is up, else 503 — for load balancers, orchestrators and the CLI.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type, { type Static } from 'typebox';

export const HealthReport = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]),
  database: Type.Object({
    ok: Type.Boolean(),
    latencyMs: Type.Optional(Type.Number({ description: 'round trip of `select 1`' })),
    error: Type.Optional(Type.String()),
  }),
  broker: Type.Object({ connected: Type.Boolean() }),
  ingest: Type.Optional(
    Type.Object({
      received: Type.Integer(),
      stored: Type.Integer(),
      deadLettered: Type.Integer(),
      pending: Type.Integer(),
      writeFailures: Type.Integer(),
      acknowledged: Type.Optional(Type.Integer({ description: 'messages committed and acknowledged to the broker' })),
    }),
  ),
});

export type HealthReport = Static<typeof HealthReport>;

/** What the health route asks the rest of central. */
export interface HealthProbes {
  /** Resolves when the database answers; rejects (or times out) otherwise. */
  pingDatabase(): Promise<void>;
  /** Whether the ingest's MQTT client is connected. */
  brokerConnected(): boolean;
  /** Ingest counters, when an ingest runs in this process. */
  ingestStats?(): NonNullable<HealthReport['ingest']>;
}

/** Longest wait for the database before reporting it unreachable, in milliseconds. */
export const DATABASE_PING_TIMEOUT_MS = 2000;

export const healthRoutes: FastifyPluginAsyncTypebox<{ probes: HealthProbes }> = async (app, { probes }) => {
  app.get(
    '/healthz',
    {
      config: { access: 'public' },
      schema: {
        summary: 'Database and broker reachability',
        tags: ['health'],
        response: { 200: HealthReport, 503: HealthReport },
      },
    },
    async (_request, reply) => {
      const started = performance.now();
      let database: HealthReport['database'];
      try {
        await withTimeout(probes.pingDatabase(), DATABASE_PING_TIMEOUT_MS);
        database = { ok: true, latencyMs: Math.round((performance.now() - started) * 10) / 10 };
      } catch (error) {
        database = { ok: false, error: error instanceof Error ? error.message : String(error) };
      }
      const broker = { connected: probes.brokerConnected() };
      const ok = database.ok && broker.connected;
      const report: HealthReport = {
        status: ok ? 'ok' : 'unavailable',
        database,
        broker,
        ...(probes.ingestStats ? { ingest: probes.ingestStats() } : {}),
      };
      return reply.code(ok ? 200 : 503).send(report);
    },
  );
};

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
