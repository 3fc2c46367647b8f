import { ObservationMessage } from './observation';

/**
 * The message contracts as JSON Schema documents (draft 2020-12 compatible), keyed by topic kind,
 * for integrators who validate Sightline messages with their own tools.
 */
export function jsonSchemas(): Record<string, unknown> {
  return {
    observations: { $schema: 'https://json-schema.org/draft/2020-12/schema', ...ObservationMessage },
  };
}
