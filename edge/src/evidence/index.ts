/**
 * Evidence: the redacted JPEG of an observation (persons and vehicles' lower halves made
 * unrecoverable, the object's box drawn) that the agent publishes for incident-raising categories.
 */
export * from './redact';
export * from './render';
export * from './observations';
