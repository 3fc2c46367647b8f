/**
 * Refuses text PostgreSQL cannot store or compare: a NUL character (U+0000) in any query or path
 * parameter or top-level JSON body field is a 400 naming it, before a handler could pass it to the database (which
 * would fail with "invalid byte sequence" and turn a bad request into a 500).
 */
import type { FastifyInstance } from 'fastify';
import { invalidParam } from './problem';

function firstWithNul(values: unknown): string | undefined {
  if (values === null || typeof values !== 'object') return undefined;
  for (const [name, value] of Object.entries(values as Record<string, unknown>)) {
    const texts = Array.isArray(value) ? value : [value];
    if (texts.some((t) => typeof t === 'string' && t.includes('\u0000'))) return name;
  }
  return undefined;
}

/** Installs the guard on the root instance (a preValidation hook for every route). */
export function installInputGuard(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const query = firstWithNul(request.query);
    if (query !== undefined) throw invalidParam(query, 'query', 'must not contain NUL characters');
    const path = firstWithNul(request.params);
    if (path !== undefined) throw invalidParam(path, 'path', 'must not contain NUL characters');
    const body = firstWithNul(request.body);
    if (body !== undefined) throw invalidParam(body, 'body', 'must not contain NUL characters');
  });
}
