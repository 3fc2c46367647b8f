import { loadCentralConfig, startCentral } from '@sightline/central';
import { parseCommandArgs } from '../args';

export const centralUsage = `usage: sightline central

Runs the central service (ingest + API). Configuration from the environment:
  DATABASE_URL        Postgres URL; unset = embedded PGlite in SIGHTLINE_DATA_DIR
  SIGHTLINE_DATA_DIR  PGlite data folder (default .sightline/pgdata)
  MQTT_URL            broker URL; unset = embedded broker on SIGHTLINE_MQTT_PORT (default 1883)
  HOST, PORT          API address (default 127.0.0.1:8080)
  LOG_LEVEL           pino level (default info)`;

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
