import { loadCentralConfig, startCentral } from '@sightline/central';
import { parseCommandArgs } from '../args';

export const centralUsage = `usage: sightline central

Runs the central service (ingest + API). Configuration from the environment:
  DATABASE_URL        Postgres URL; unset = embedded PGlite in SIGHTLINE_DATA_DIR
  SIGHTLINE_DATA_DIR  PGlite data folder (default .sightline/pgdata)
  MQTT_URL            broker URL; unset = embedded broker on SIGHTLINE_MQTT_PORT (default 1883)
  MQTT_USERNAME, MQTT_PASSWORD   broker credentials (or in MQTT_URL)
  SIGHTLINE_MQTT_PROTOCOL        5 (default, shared subscription) or 4 (MQTT 3.1.1)
  SIGHTLINE_MQTT_SHARED_GROUP    shared subscription group (default sightline-ingest; none = plain)
  SIGHTLINE_INGEST_ID            this worker's MQTT client id = its persistent session
  SIGHTLINE_INGEST_SESSION_EXPIRY  seconds the broker keeps the session (default 604800; 0 = clean)
  HOST, PORT          API address (default 127.0.0.1:8080)
  LOG_LEVEL           pino level (default info)
  SIGHTLINE_AUTH      on (default: API keys required) or off (local development only)
  SIGHTLINE_RATE_LIMIT           requests per minute per API key (default 1200; 0 = none)
  SIGHTLINE_TAXONOMIES           taxonomies whose rules drive incident merging (default: shipped)
  SIGHTLINE_OPEN311_PUBLIC       true (default) or false (Open311 needs a read key)
The first admin key: sightline keys create --scope admin.
The README's "Configuration" section lists every variable.`;

/** `sightline central`: runs ingest + API until SIGINT/SIGTERM. */
export async function centralCommand(argv: string[]): Promise<number> {
  parseCommandArgs(argv, {});
  const central = await startCentral(loadCentralConfig(process.env));
  process.stderr.write(`sightline central: API ${central.apiUrl} (OpenAPI ${central.apiUrl}/docs), MQTT ${central.mqttUrl}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await central.close();
  return 0;
}
