import { jsonSchemas } from '@sightline/contracts';

/** `sightline schemas`: prints the MQTT message contracts as JSON Schema. */
export async function schemasCommand(): Promise<number> {
  process.stdout.write(`${JSON.stringify(jsonSchemas(), null, 2)}\n`);
  return 0;
}
