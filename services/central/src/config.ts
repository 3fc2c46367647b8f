/**
 * Central's configuration from the environment, checked up front with errors that name the
 * variable, the value and what is expected.
 *
 * | variable | meaning | default |
 * |---|---|---|
 * | `DATABASE_URL` | PostgreSQL URL (`postgres://` or `postgresql://`) | unset: embedded PGlite |
 * | `SIGHTLINE_DATA_DIR` | PGlite data directory, or `memory://` | `.sightline/pgdata` |
 * | `MQTT_URL` | broker URL (`mqtt`, `mqtts`, `tcp`, `ssl`, `ws`, `wss`) | unset: embedded aedes |
 * | `SIGHTLINE_MQTT_PORT` | embedded broker port (0 = any free port) | 1883 |
 * | `SIGHTLINE_MQTT_PROTOCOL` | `5` or `4` (MQTT 3.1.1) for `MQTT_URL` | 5 |
 * | `SIGHTLINE_MQTT_SHARED_GROUP` | shared subscription group; `none` = plain subscription | `sightline-ingest` |
 * | `MQTT_USERNAME`, `MQTT_PASSWORD` | broker credentials (or in `MQTT_URL`) | unset |
 * | `SIGHTLINE_INGEST_ID` | MQTT client id = persistent session of this ingest worker | `sightline-ingest-<host>-<hash of group and database>` |
 * | `SIGHTLINE_INGEST_SESSION_EXPIRY` | seconds the broker keeps the session while central is down; 0 = clean session | 604800 (7 days) |
 * | `HOST` | API (and embedded broker) interface | `127.0.0.1` |
 * | `PORT` | API port (0 = any free port) | 8080 |
 * | `LOG_LEVEL` | pino level: fatal, error, warn, info, debug, trace, silent | `info` |
 * | `SIGHTLINE_AUTH` | `on` = API keys required; `off` = every request is admin (local development only) | `on` |
 * | `SIGHTLINE_AUTH_CACHE_SECONDS` | seconds a verified key is cached per instance (revocation delay on other instances) | 5 |
 * | `SIGHTLINE_RATE_LIMIT` | requests per minute per API key (per IP without a key); 0 = no limit | 1200 |
 * | `SIGHTLINE_TAXONOMIES` | comma-separated taxonomy ids or JSON paths whose rules drive incident merging | the shipped ones |
 * | `SIGHTLINE_OPEN311_PUBLIC` | `true`: the Open311 read side needs no key; `false`: a read key | `true` |
 * | `SIGHTLINE_OPEN311_AGENCY` | `agency_responsible` of every Open311 request | unset (null) |
 * | `SIGHTLINE_PUBLIC_URL` | external base URL of the API, for absolute links (Open311 `media_url`) | from the request's Host |
 */
import type { CentralConfig } from './central';

/** A configuration value is wrong; the message says which, what it was and what is expected. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** {@link CentralConfig} plus the log level for the logger `startCentral` creates. */
export interface LoadedCentralConfig extends CentralConfig {
  logLevel: LogLevel;
}

/**
 * Reads the central configuration from environment variables (see the table above).
 * Empty variables count as unset.
 *
 * @param env the environment (default `process.env`).
 * @throws ConfigError naming the first bad variable, e.g.
 *   `PORT must be an integer from 0 to 65535, got "80a"`.
 */
export function loadCentralConfig(env: NodeJS.ProcessEnv = process.env): LoadedCentralConfig {
  const get = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const config: LoadedCentralConfig = { logLevel: 'info' };

  const databaseUrl = get('DATABASE_URL');
  if (databaseUrl !== undefined) {
    checkUrl('DATABASE_URL', databaseUrl, ['postgres:', 'postgresql:'], 'postgres://user:password@host:5432/sightline');
    config.databaseUrl = databaseUrl;
  }
  const dataDir = get('SIGHTLINE_DATA_DIR');
  if (dataDir !== undefined) config.dataDir = dataDir;

  const mqttUrl = get('MQTT_URL');
  if (mqttUrl !== undefined) {
    checkUrl('MQTT_URL', mqttUrl, ['mqtt:', 'mqtts:', 'tcp:', 'ssl:', 'ws:', 'wss:'], 'mqtt://broker:1883');
    config.mqttUrl = mqttUrl;
  }
  const mqttPort = get('SIGHTLINE_MQTT_PORT');
  if (mqttPort !== undefined) config.mqttPort = port('SIGHTLINE_MQTT_PORT', mqttPort);

  const protocol = get('SIGHTLINE_MQTT_PROTOCOL');
  if (protocol !== undefined) {
    if (protocol !== '4' && protocol !== '5') {
      throw new ConfigError(`SIGHTLINE_MQTT_PROTOCOL must be 5 (MQTT 5) or 4 (MQTT 3.1.1), got "${protocol}"`);
    }
    config.mqttProtocolVersion = protocol === '4' ? 4 : 5;
  }
  const group = get('SIGHTLINE_MQTT_SHARED_GROUP');
  if (group !== undefined) {
    if (group !== 'none' && !/^[^/+#]+$/.test(group)) {
      throw new ConfigError(`SIGHTLINE_MQTT_SHARED_GROUP must be a name without '/', '+' or '#' (or "none"), got "${group}"`);
    }
    config.mqttSharedGroup = group === 'none' ? null : group;
  }

  const username = get('MQTT_USERNAME');
  if (username !== undefined) config.mqttUsername = username;
  const password = env.MQTT_PASSWORD; // not trimmed: a password may end in a space
  if (password !== undefined && password !== '') config.mqttPassword = password;
  const ingestId = get('SIGHTLINE_INGEST_ID');
  if (ingestId !== undefined) {
    if (!/^[A-Za-z0-9_.:-]{1,128}$/.test(ingestId)) {
      throw new ConfigError(`SIGHTLINE_INGEST_ID must be 1-128 letters, digits, '_', '-', '.' or ':', got "${ingestId}"`);
    }
    config.ingestClientId = ingestId;
  }
  const expiry = get('SIGHTLINE_INGEST_SESSION_EXPIRY');
  if (expiry !== undefined) {
    const seconds = Number(expiry);
    if (!/^\d+$/.test(expiry) || seconds > 4_294_967_295) {
      throw new ConfigError(`SIGHTLINE_INGEST_SESSION_EXPIRY must be whole seconds from 0 to 4294967295 (0 = clean session), got "${expiry}"`);
    }
    config.mqttSessionExpirySeconds = seconds;
  }

  const host = get('HOST');
  if (host !== undefined) config.httpHost = host;
  const httpPort = get('PORT');
  if (httpPort !== undefined) config.httpPort = port('PORT', httpPort);

  const level = get('LOG_LEVEL');
  if (level !== undefined) {
    if (!(LOG_LEVELS as readonly string[]).includes(level)) {
      throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${level}"`);
    }
    config.logLevel = level as LogLevel;
  }

  const auth = get('SIGHTLINE_AUTH');
  if (auth !== undefined && auth !== 'on' && auth !== 'off') throw new ConfigError(`SIGHTLINE_AUTH must be on or off, got "${auth}"`);
  const cacheSeconds = get('SIGHTLINE_AUTH_CACHE_SECONDS');
  if (cacheSeconds !== undefined && (!/^\d+$/.test(cacheSeconds) || Number(cacheSeconds) > 3600)) {
    throw new ConfigError(`SIGHTLINE_AUTH_CACHE_SECONDS must be whole seconds from 0 to 3600, got "${cacheSeconds}"`);
  }
  const rate = get('SIGHTLINE_RATE_LIMIT');
  if (rate !== undefined && (!/^\d+$/.test(rate) || Number(rate) > 1_000_000)) {
    throw new ConfigError(`SIGHTLINE_RATE_LIMIT must be requests per minute from 0 (no limit) to 1000000, got "${rate}"`);
  }
  if (auth !== undefined || cacheSeconds !== undefined || rate !== undefined) {
    config.auth = {
      ...(auth !== undefined ? { enabled: auth === 'on' } : {}),
      ...(cacheSeconds !== undefined ? { cacheSeconds: Number(cacheSeconds) } : {}),
      ...(rate !== undefined ? { rateLimit: Number(rate) === 0 ? false : { max: Number(rate), timeWindowMs: 60_000 } } : {}),
    };
  }
  const taxonomies = get('SIGHTLINE_TAXONOMIES');
  if (taxonomies !== undefined) {
    const list = taxonomies.split(',').map((t) => t.trim()).filter((t) => t !== '');
    if (list.length === 0) throw new ConfigError('SIGHTLINE_TAXONOMIES must list taxonomy ids (coco, rdd2022) or JSON file paths, separated by commas');
    config.taxonomies = list;
  }
  const open311Public = get('SIGHTLINE_OPEN311_PUBLIC');
  if (open311Public !== undefined && open311Public !== 'true' && open311Public !== 'false') {
    throw new ConfigError(`SIGHTLINE_OPEN311_PUBLIC must be true or false, got "${open311Public}"`);
  }
  const agency = get('SIGHTLINE_OPEN311_AGENCY');
  const publicUrl = get('SIGHTLINE_PUBLIC_URL');
  if (publicUrl !== undefined) checkUrl('SIGHTLINE_PUBLIC_URL', publicUrl, ['http:', 'https:'], 'https://sightline.city.example');
  if (open311Public !== undefined || agency !== undefined || publicUrl !== undefined) {
    config.open311 = {
      ...(open311Public !== undefined ? { public: open311Public === 'true' } : {}),
      ...(agency !== undefined ? { agency } : {}),
      ...(publicUrl !== undefined ? { publicUrl } : {}),
    };
  }
  return config;
}

function port(name: string, text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isInteger(value) || value < 0 || value > 65535) {
    throw new ConfigError(`${name} must be an integer from 0 to 65535 (0 = any free port), got "${text}"`);
  }
  return value;
}

function checkUrl(name: string, text: string, protocols: string[], example: string): void {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`${name} is not a URL (expected e.g. ${example}), got "${redact(text)}"`);
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(
      `${name} must use ${protocols.map((p) => p.slice(0, -1)).join(', ')}, got "${url.protocol.slice(0, -1)}" (e.g. ${example})`,
    );
  }
}

/** The text with anything that looks like `user:password@` masked. */
function redact(text: string): string {
  return text.replace(/\/\/([^/@:]*):[^/@]*@/, '//$1:***@');
}
