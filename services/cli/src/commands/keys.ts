import { API_KEY_SCOPES, createApiKey, listApiKeys, loadCentralConfig, openDatabase, revokeApiKey, type ApiKeyScope } from '@sightline/central';
import { parseCommandArgs, UsageError } from '../args';

export const keysUsage = `usage: sightline keys create --scope read|operate|admin [--name NAME]
       sightline keys list [--all]
       sightline keys revoke ID

Manages the central API's keys directly in its database (DATABASE_URL, or the embedded PGlite in
SIGHTLINE_DATA_DIR, default .sightline/pgdata — stop central first in embedded mode: PGlite allows
one process). Use it to create the first admin key; afterwards admins can use the API (/v1/keys).

  create   prints the new key on stdout, once: central keeps only its SHA-256
  list     id, scope, name, prefix, created, last used (--all: revoked keys too)
  revoke   the key stops working (within 5 s on running instances)

Scopes nest: read (GET the data) < operate (also PATCH incidents) < admin (also manage keys).`;

/** `sightline keys ...`: create, list and revoke API keys. */
export async function keysCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    scope: { type: 'string' },
    name: { type: 'string' },
    all: { type: 'boolean', default: false },
  });
  const [action, ...rest] = positionals;
  if (action !== 'create' && action !== 'list' && action !== 'revoke') {
    throw new UsageError(action === undefined ? 'which action: create, list or revoke?' : `unknown action "${action}"`);
  }
  if (action === 'create' && !(API_KEY_SCOPES as readonly string[]).includes(values.scope ?? '')) {
    throw new UsageError(`--scope must be one of ${API_KEY_SCOPES.join(', ')}${values.scope === undefined ? '' : `, got "${values.scope}"`}`);
  }
  if (action === 'revoke' && rest.length !== 1) throw new UsageError('revoke takes one key id (see "sightline keys list")');

  const config = loadCentralConfig(process.env);
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    switch (action) {
      case 'create': {
        const created = await createApiKey(database.db, { scope: values.scope as ApiKeyScope, ...(values.name ? { name: values.name } : {}), createdBy: 'cli' });
        process.stderr.write(`created ${created.scope} key "${created.name}" (id ${created.id}); it is shown once, store it now:\n`);
        process.stdout.write(`${created.key}\n`);
        return 0;
      }
      case 'list': {
        const keys = await listApiKeys(database.db, { includeRevoked: values.all });
        for (const k of keys) {
          const used = k.lastUsedAt ? `used ${k.lastUsedAt.toISOString()}` : 'never used';
          const revoked = k.revokedAt ? `  REVOKED ${k.revokedAt.toISOString()}` : '';
          process.stdout.write(`${k.id}  ${k.scope.padEnd(7)}  ${k.prefix}…  ${k.name}  (created ${k.createdAt.toISOString()}, ${used})${revoked}\n`);
        }
        if (keys.length === 0) process.stderr.write('no keys\n');
        return 0;
      }
      case 'revoke': {
        const id = rest[0]!;
        if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) throw new UsageError(`"${id}" is not a key id (a UUID, see "sightline keys list")`);
        const revoked = await revokeApiKey(database.db, id.toLowerCase());
        if (!revoked) {
          process.stderr.write(`sightline keys: no key has id ${id}\n`);
          return 1;
        }
        process.stderr.write(`revoked ${revoked.scope} key "${revoked.name}" (id ${revoked.id})\n`);
        return 0;
      }
    }
  } finally {
    await database.close();
  }
}
