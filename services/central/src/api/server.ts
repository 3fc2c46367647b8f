/**
 * The HTTP API: a Fastify server whose route plugins are listed here and nothing else.
 * TypeBox schemas validate requests, serialise responses and generate the OpenAPI document
 * served at `/docs` (UI) and `/docs/json`.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { TypeBoxValidatorCompiler, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/schema';
import { formatSchemaErrors, installProblemHandlers } from './problem';
import { healthRoutes, type HealthProbes } from './routes/health';
import { deviceRoutes } from './routes/devices';
import { observationRoutes } from './routes/observations';
import { trafficRoutes } from './routes/traffic';

/** What {@link buildApi} needs. */
export interface ApiOptions {
  db: Kysely<Database>;
  health: HealthProbes;
  /** Request logging; `false` or absent = silent. */
  logger?: Logger | false;
}

/** The API server type: Fastify with the TypeBox type provider. */
export type ApiServer = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/**
 * Builds the API server (routes registered, not yet listening). Call `listen()` on the result,
 * or `inject()` in tests.
 */
export async function buildApi(options: ApiOptions): Promise<ApiServer> {
  const base = Fastify({
    // pino's own Logger type and Fastify's FastifyBaseLogger differ only in generics.
    ...(options.logger ? { loggerInstance: options.logger as unknown as FastifyBaseLogger } : { logger: false }),
    schemaErrorFormatter: formatSchemaErrors,
    // Path parameters are ids; anything longer is a mistake or an attack.
    routerOptions: { maxParamLength: 200 },
  });
  installProblemHandlers(base);
  const app = base.setValidatorCompiler(TypeBoxValidatorCompiler).withTypeProvider<TypeBoxTypeProvider>();

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Sightline central API',
        version: '1',
        description:
          'Observations, traffic counts and device health from Sightline edge devices, as stored by the central ingest. Errors are RFC 9457 problem details.',
      },
      tags: [
        { name: 'observations', description: 'detected objects, one per box per frame' },
        { name: 'traffic', description: 'line-crossing counts per class and direction, as time series and FIWARE TrafficFlowObserved' },
        { name: 'devices', description: 'edge devices: state, versions, health, message-counter gaps' },
        { name: 'health', description: 'service health' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(healthRoutes, { probes: options.health });
  await app.register(observationRoutes, { db: options.db });
  await app.register(trafficRoutes, { db: options.db });
  await app.register(deviceRoutes, { db: options.db });
  return app;
}
