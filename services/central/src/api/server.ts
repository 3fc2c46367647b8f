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
import { PostgresEvidenceStore, type EvidenceStore } from '../evidence/store';
import { CategoryRules } from '../incidents/rules';
import { installAuth, type AuthOptions } from './auth';
import { installInputGuard } from './input-guard';
import { formatSchemaErrors, installProblemHandlers } from './problem';
import { healthRoutes, type HealthProbes } from './routes/health';
import { deviceRoutes } from './routes/devices';
import { evidenceRoutes } from './routes/evidence';
import { incidentRoutes } from './routes/incidents';
import { keyRoutes } from './routes/keys';
import { observationRoutes } from './routes/observations';
import { open311Routes } from './routes/open311';
import { trafficRoutes } from './routes/traffic';

/** What {@link buildApi} needs. */
export interface ApiOptions {
  db: Kysely<Database>;
  health: HealthProbes;
  /** Request logging; `false` or absent = silent. */
  logger?: Logger | false;
  /** API keys, scopes and rate limiting (default: keys required, 1200 requests per minute per key). */
  auth?: AuthOptions;
  /** Category rules (titles, Open311 services; default: the shipped taxonomies). */
  rules?: CategoryRules;
  /** Where evidence JPEGs are read from (default: the `evidence_blobs` table). */
  evidenceStore?: EvidenceStore;
  /** Open311 read side: public (default true), `agency_responsible`, base URL of `media_url`. */
  open311?: { public?: boolean; agency?: string; publicUrl?: string };
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
  installInputGuard(base);
  const app = base.setValidatorCompiler(TypeBoxValidatorCompiler).withTypeProvider<TypeBoxTypeProvider>();
  // Before swagger and the routes: its onRoute hook documents each route's security.
  const auth = await installAuth(base, options.db, options.auth);
  const rules = options.rules ?? new CategoryRules();
  const evidenceStore = options.evidenceStore ?? new PostgresEvidenceStore();

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Sightline central API',
        version: '1',
        description:
          'Observations, incidents, traffic counts and device health from Sightline edge devices, as stored by the central ingest. ' +
          'Errors are RFC 9457 problem details (Open311 routes: GeoReport v2 error lists). Authenticate with an API key: ' +
          '`Authorization: Bearer <key>` or `X-API-Key: <key>`; scopes read ⊂ operate ⊂ admin.',
      },
      components: {
        securitySchemes: {
          bearerKey: { type: 'http', scheme: 'bearer', description: 'API key as a bearer token' },
          headerKey: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'API key in a header' },
        },
      },
      tags: [
        { name: 'incidents', description: 'things city staff act on (a dumped couch, a pothole), merged from repeated sightings' },
        { name: 'observations', description: 'detected objects, one per box per frame' },
        { name: 'traffic', description: 'line-crossing counts per class and direction, as time series and FIWARE TrafficFlowObserved' },
        { name: 'devices', description: 'edge devices: state, versions, health, message-counter gaps' },
        { name: 'health', description: 'service health' },
        { name: 'open311', description: 'Open311 GeoReport v2 read side: incidents as service requests' },
        { name: 'keys', description: 'API keys (admin)' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(healthRoutes, { probes: options.health });
  await app.register(observationRoutes, { db: options.db });
  await app.register(trafficRoutes, { db: options.db });
  await app.register(deviceRoutes, { db: options.db });
  await app.register(incidentRoutes, { db: options.db, rules });
  await app.register(evidenceRoutes, { db: options.db, store: evidenceStore });
  await app.register(open311Routes, {
    db: options.db,
    rules,
    store: evidenceStore,
    access: options.open311?.public === false ? 'read' : 'public',
    ...(options.open311?.agency !== undefined ? { agency: options.open311.agency } : {}),
    ...(options.open311?.publicUrl !== undefined ? { publicUrl: options.open311.publicUrl } : {}),
  });
  await app.register(keyRoutes, { db: options.db, auth });
  return app;
}
