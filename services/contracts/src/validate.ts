import { Compile } from 'typebox/compile';
import type { TSchema, Static } from 'typebox';
import { ObservationMessage } from './observation';
import { TrafficCountMessage } from './traffic';
import { StatsMessage, StatusInfoMessage } from './device';

/** Result of validating an untrusted payload against a contract schema. */
export type Validation<T> = { ok: true; value: T } | { ok: false; reason: string };

/**
 * Compiles `schema` once and returns a function that checks values against it.
 * The failure reason names the first few offending JSON pointers and what was expected,
 * e.g. `/observations/0/score: must be <= 1`.
 */
export function validator<S extends TSchema>(schema: S): (value: unknown) => Validation<Static<S>> {
  const compiled = Compile(schema);
  return (value) => {
    if (compiled.Check(value)) return { ok: true, value: value as Static<S> };
    const reasons = [...compiled.Errors(value)]
      .slice(0, 5)
      .map((e) => `${e.instancePath || '/'}: ${e.message}`);
    return { ok: false, reason: `schema violation: ${reasons.join('; ')}` };
  };
}

/** Validates the payload of `sightline/v1/{deviceId}/observations`. */
export const validateObservationMessage = validator(ObservationMessage);

/** Validates the payload of `sightline/v1/{deviceId}/traffic`. */
export const validateTrafficCountMessage = validator(TrafficCountMessage);

/** Validates the payload of `sightline/v1/{deviceId}/stats`. */
export const validateStatsMessage = validator(StatsMessage);

/** Validates the payload of `sightline/v1/{deviceId}/status/info`. */
export const validateStatusInfoMessage = validator(StatusInfoMessage);
