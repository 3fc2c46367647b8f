/**
 * API keys: creating, finding, listing and revoking them.
 *
 * A key is `sl_` followed by 43 base64url characters (32 random bytes from the OS CSPRNG, 256
 * bits). It is shown once, when created; the database keeps only its SHA-256 (hex). Because the key
 * is high-entropy random data rather than a password, a fast unsalted hash is sufficient: there is
 * no dictionary to try and 2^256 keys to guess, so a stolen `api_keys` table does not reveal usable
 * keys, and looking a key up is one unique-index probe.
 *
 * Scopes nest: `read` (GET the data) ⊂ `operate` (also change incidents: PATCH) ⊂ `admin` (also
 * manage keys). A key has one scope.
 */
import { createHash, randomBytes } from 'node:crypto';
import { newId } from '@sightline/contracts';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import type { ApiKeyRow, ApiKeyScope } from '../db/schema-incidents';

/** The scopes, weakest first. */
export const API_KEY_SCOPES: readonly ApiKeyScope[] = ['read', 'operate', 'admin'];

/** Every key starts with this, so it can be recognised (e.g. by secret scanners). */
export const API_KEY_PREFIX = 'sl_';

/** Characters of a key shown in listings (`sl_` + 8): enough to tell keys apart, useless to an attacker. */
const SHOWN_PREFIX_LENGTH = API_KEY_PREFIX.length + 8;

/** True when a key of scope `have` may do what needs scope `need`. */
export function scopeAllows(have: ApiKeyScope, need: ApiKeyScope): boolean {
  return API_KEY_SCOPES.indexOf(have) >= API_KEY_SCOPES.indexOf(need);
}

/** A new random key text. */
export function generateApiKey(): string {
  return API_KEY_PREFIX + randomBytes(32).toString('base64url');
}

/** The stored form of a key: lower-case hex SHA-256 of its UTF-8 text. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** A key as listed (never the key itself). */
export interface ApiKeyInfo {
  id: string;
  name: string;
  scope: ApiKeyScope;
  prefix: string;
  createdAt: Date;
  createdBy: string | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** A newly created key: its info and the key text, which is never available again. */
export interface CreatedApiKey extends ApiKeyInfo {
  key: string;
}

function info(row: ApiKeyRow): ApiKeyInfo {
  return {
    id: row.id,
    name: row.name,
    scope: row.scope,
    prefix: row.prefix,
    createdAt: row.created_at,
    createdBy: row.created_by,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}

/** Creates a key of `scope`; the returned `key` must be handed to its user now. */
export async function createApiKey(
  db: Kysely<Database>,
  options: { scope: ApiKeyScope; name?: string; createdBy?: string },
): Promise<CreatedApiKey> {
  const key = generateApiKey();
  const row = await db
    .insertInto('api_keys')
    .values({
      id: newId(),
      name: options.name ?? `${options.scope} key`,
      scope: options.scope,
      key_hash: hashApiKey(key),
      prefix: key.slice(0, SHOWN_PREFIX_LENGTH),
      created_by: options.createdBy ?? null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { ...info(row), key };
}

/** The key row for a presented key text, if it exists and is not revoked. */
export async function findApiKey(db: Kysely<Database>, key: string): Promise<ApiKeyInfo | undefined> {
  const row = await db.selectFrom('api_keys').selectAll().where('key_hash', '=', hashApiKey(key)).where('revoked_at', 'is', null).executeTakeFirst();
  return row ? info(row) : undefined;
}

/** Every key (revoked ones only when asked), oldest first. */
export async function listApiKeys(db: Kysely<Database>, options: { includeRevoked?: boolean } = {}): Promise<ApiKeyInfo[]> {
  let query = db.selectFrom('api_keys').selectAll();
  if (!options.includeRevoked) query = query.where('revoked_at', 'is', null);
  return (await query.orderBy('created_at').orderBy('id').execute()).map(info);
}

/**
 * Revokes the key `id` (it stops working at once on this instance, within the auth cache time on
 * others). Revoking a revoked key changes nothing.
 * @returns the key's info, or `undefined` when no key has this id.
 */
export async function revokeApiKey(db: Kysely<Database>, id: string): Promise<ApiKeyInfo | undefined> {
  await db.updateTable('api_keys').set({ revoked_at: new Date() }).where('id', '=', id).where('revoked_at', 'is', null).execute();
  const row = await db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? info(row) : undefined;
}

/** Records that a key was used (best effort; at most once per auth cache period per instance). */
export async function touchApiKey(db: Kysely<Database>, id: string): Promise<void> {
  await db.updateTable('api_keys').set({ last_used_at: new Date() }).where('id', '=', id).execute();
}
