import { ObservationMessage } from './observation';
import { TrafficCountMessage } from './traffic';
import { StatsMessage, StatusInfoMessage } from './device';

const DRAFT = 'https://json-schema.org/draft/2020-12/schema';

/**
 * The message contracts as JSON Schema documents (draft 2020-12 compatible), keyed by topic kind,
 * for integrators who validate Sightline messages with their own tools.
 */
export function jsonSchemas(): Record<string, unknown> {
  return {
    observations: { $schema: DRAFT, ...ObservationMessage },
    traffic: { $schema: DRAFT, ...TrafficCountMessage },
    stats: { $schema: DRAFT, ...StatsMessage },
    'status/info': { $schema: DRAFT, ...StatusInfoMessage },
  };
}
