/**
 * Errors as RFC 9457 problem details (`application/problem+json`): every error response of the
 * API — bad parameters, unknown routes, missing rows, internal failures — has this one shape.
 *
 * ```json
 * { "type": "about:blank", "title": "Bad Request", "status": 400,
 *   "detail": "query parameter 'limit': must be >= 1",
 *   "invalidParams": [{ "name": "limit", "in": "query", "reason": "must be >= 1" }] }
 * ```
 */
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifySchemaValidationError } from 'fastify';
import Type, { type Static } from 'typebox';
import { isUnavailableError } from '../db/errors';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** One offending request parameter. */
export const InvalidParam = Type.Object({
  name: Type.String({ description: 'parameter name, e.g. `limit`' }),
  in: Type.Union([Type.Literal('query'), Type.Literal('path'), Type.Literal('header'), Type.Literal('body')]),
  reason: Type.String({ description: 'what was wrong and what is expected' }),
});

/** RFC 9457 problem details, plus `invalidParams` on 400 responses. */
export const Problem = Type.Object(
  {
    type: Type.String({ description: 'problem type URI; `about:blank` means the HTTP status says it all' }),
    title: Type.String({ description: 'short summary of the problem type (the HTTP status phrase)' }),
    status: Type.Integer({ description: 'HTTP status code' }),
    detail: Type.String({ description: 'what went wrong with this request, naming the input' }),
    instance: Type.Optional(Type.String({ description: 'the request path' })),
    invalidParams: Type.Optional(Type.Array(InvalidParam)),
  },
  { description: 'RFC 9457 problem details' },
);

export type Problem = Static<typeof Problem>;
export type InvalidParam = Static<typeof InvalidParam>;

/**
 * Route schema `response` entries documenting problem responses for the given status codes, e.g.
 * `response: { 200: Page, ...problemResponses(400, 500) }`.
 */
export function problemResponses<const C extends number>(...codes: C[]): Record<C, { description: string; content: { [PROBLEM_CONTENT_TYPE]: { schema: typeof Problem } } }> {
  const out = {} as Record<C, { description: string; content: { [PROBLEM_CONTENT_TYPE]: { schema: typeof Problem } } }>;
  for (const code of codes) {
    out[code] = { description: STATUS_CODES[code] ?? String(code), content: { [PROBLEM_CONTENT_TYPE]: { schema: Problem } } };
  }
  return out;
}

/** An error a handler throws to answer with a problem document of `status`. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly invalidParams?: InvalidParam[],
  ) {
    super(detail);
    this.name = 'HttpProblem';
  }
}

/** A 400 naming the offending parameter: `query parameter 'cursor': <reason>`. */
export function invalidParam(name: string, where: InvalidParam['in'], reason: string): HttpProblem {
  return new HttpProblem(400, `${where} parameter '${name}': ${reason}`, [{ name, in: where, reason }]);
}

const PART_NAMES: Record<string, InvalidParam['in']> = { querystring: 'query', params: 'path', headers: 'header', body: 'body' };

/** Human wording for schema errors whose default message says little. */
function reasonOf(error: FastifySchemaValidationError): string {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'format' && params.format === 'date-time') {
    return 'must be an RFC 3339 date-time with offset, e.g. 2025-05-01T08:00:00Z';
  }
  if (error.keyword === 'format' && params.format === 'uuid') return 'must be a UUID';
  if (error.keyword === 'pattern' && params.pattern === '^[A-Za-z0-9_-]{1,64}$') {
    return "must be 1-64 letters, digits, '_' or '-'";
  }
  return error.message ?? 'is invalid';
}

/**
 * Fastify `schemaErrorFormatter`: one message naming every offending parameter, with the list
 * attached as `invalidParams` for the error handler.
 */
export function formatSchemaErrors(errors: FastifySchemaValidationError[], dataVar: string): Error {
  const where = PART_NAMES[dataVar] ?? 'query';
  const byName = new Map<string, string>();
  for (const error of errors) {
    const params = error.params as Record<string, unknown>;
    if (error.keyword === 'boolean') continue; // TypeBox's twin of additionalProperties
    if (error.keyword === 'additionalProperties' && Array.isArray(params.additionalProperties)) {
      for (const name of params.additionalProperties) byName.set(String(name), 'is not a supported parameter');
      continue;
    }
    if (error.keyword === 'required' && Array.isArray(params.requiredProperties)) {
      for (const name of params.requiredProperties) byName.set(String(name), 'is required');
      continue;
    }
    const name = error.instancePath.split('/')[1] ?? '';
    if (!byName.has(name)) byName.set(name, reasonOf(error));
  }
  const invalidParams: InvalidParam[] = [...byName].map(([name, reason]) => ({ name: decodePointer(name), in: where, reason }));
  const detail = invalidParams.map((p) => (p.name ? `${where} parameter '${p.name}': ${p.reason}` : `${where}: ${p.reason}`)).join('; ');
  return Object.assign(new Error(detail || `invalid ${where}`), { invalidParams });
}

function decodePointer(segment: string): string {
  return segment.replaceAll('~1', '/').replaceAll('~0', '~');
}

/** The problem document for `status` with `detail`. */
export function problem(status: number, detail: string, instance?: string, invalidParams?: InvalidParam[]): Problem {
  return {
    type: 'about:blank',
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail,
    ...(instance !== undefined ? { instance } : {}),
    ...(invalidParams && invalidParams.length > 0 ? { invalidParams } : {}),
  };
}

/**
 * Installs the error and not-found handlers that answer with problem documents. Register it on
 * the root instance before the route plugins. Errors of status 500 and above are logged; their
 * detail never leaks internals. An unreachable database answers 503 with `Retry-After`.
 */
export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | HttpProblem, request, reply) => {
    const path = request.url.split('?')[0];
    if (error instanceof HttpProblem) {
      return reply.code(error.status).type(PROBLEM_CONTENT_TYPE).send(problem(error.status, error.detail, path, error.invalidParams));
    }
    if (isUnavailableError(error)) {
      request.log.warn({ err: error }, 'database unavailable');
      return reply
        .code(503)
        .header('retry-after', '5')
        .type(PROBLEM_CONTENT_TYPE)
        .send(problem(503, 'the database is unavailable right now; try again shortly', path));
    }
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed');
      const detail = `the server failed to answer ${request.method} ${path}; see its log for request ${request.id}`;
      return reply.code(status).type(PROBLEM_CONTENT_TYPE).send(problem(status, detail, path));
    }
    const invalidParams = (error as { invalidParams?: InvalidParam[] }).invalidParams;
    return reply.code(status).type(PROBLEM_CONTENT_TYPE).send(problem(status, error.message, path, invalidParams));
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    return reply
      .code(404)
      .type(PROBLEM_CONTENT_TYPE)
      .send(problem(404, `no route ${request.method} ${path}; see /docs for the API`, path));
  });
}
