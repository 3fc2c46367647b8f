/**
 * Reading central's configuration from the environment: defaults, values, and errors that name
 * the variable.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadCentralConfig } from '../src/index';

describe('loadCentralConfig', () => {
  it('defaults to the embedded database and broker', () => {
    expect(loadCentralConfig({})).toEqual({ logLevel: 'info' });
    expect(loadCentralConfig({ DATABASE_URL: '', MQTT_URL: '  ' })).toEqual({ logLevel: 'info' });
  });

  it('reads every variable', () => {
    expect(
      loadCentralConfig({
        DATABASE_URL: 'postgres://u:p@db:5432/sightline',
        SIGHTLINE_DATA_DIR: '/var/lib/sightline',
        MQTT_URL: 'mqtts://broker:8883',
        SIGHTLINE_MQTT_PORT: '0',
        SIGHTLINE_MQTT_PROTOCOL: '4',
        SIGHTLINE_MQTT_SHARED_GROUP: 'none',
        MQTT_USERNAME: 'central',
        MQTT_PASSWORD: 'pw ',
        SIGHTLINE_INGEST_ID: 'ingest-a.1',
        SIGHTLINE_INGEST_SESSION_EXPIRY: '0',
        HOST: '0.0.0.0',
        PORT: '9000',
        LOG_LEVEL: 'debug',
      }),
    ).toEqual({
      databaseUrl: 'postgres://u:p@db:5432/sightline',
      dataDir: '/var/lib/sightline',
      mqttUrl: 'mqtts://broker:8883',
      mqttPort: 0,
      mqttProtocolVersion: 4,
      mqttSharedGroup: null,
      mqttUsername: 'central',
      mqttPassword: 'pw ',
      ingestClientId: 'ingest-a.1',
      mqttSessionExpirySeconds: 0,
      httpHost: '0.0.0.0',
      httpPort: 9000,
      logLevel: 'debug',
    });
  });

  it.each([
    [{ PORT: '80a' }, 'PORT must be an integer from 0 to 65535 (0 = any free port), got "80a"'],
    [{ PORT: '70000' }, 'PORT must be an integer from 0 to 65535'],
    [{ SIGHTLINE_MQTT_PORT: '-1' }, 'SIGHTLINE_MQTT_PORT must be an integer'],
    [{ DATABASE_URL: 'mysql://db/x' }, 'DATABASE_URL must use postgres, postgresql, got "mysql"'],
    [{ DATABASE_URL: 'not a url:secret@' }, 'DATABASE_URL is not a URL'],
    [{ MQTT_URL: 'http://broker' }, 'MQTT_URL must use mqtt, mqtts, tcp, ssl, ws, wss, got "http"'],
    [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "verbose"'],
    [{ SIGHTLINE_MQTT_PROTOCOL: '3' }, 'SIGHTLINE_MQTT_PROTOCOL must be 5 (MQTT 5) or 4 (MQTT 3.1.1), got "3"'],
    [{ SIGHTLINE_MQTT_SHARED_GROUP: 'a/b' }, 'SIGHTLINE_MQTT_SHARED_GROUP must be a name without'],
    [{ SIGHTLINE_INGEST_ID: 'a b' }, `SIGHTLINE_INGEST_ID must be 1-128 letters, digits, '_', '-', '.' or ':', got "a b"`],
    [{ SIGHTLINE_INGEST_SESSION_EXPIRY: '1h' }, 'SIGHTLINE_INGEST_SESSION_EXPIRY must be whole seconds from 0 to 4294967295 (0 = clean session), got "1h"'],
  ])('rejects %o', (env, message) => {
    expect(() => loadCentralConfig(env)).toThrow(ConfigError);
    expect(() => loadCentralConfig(env)).toThrow(message);
  });

  it('does not echo a password in errors', () => {
    expect(() => loadCentralConfig({ DATABASE_URL: 'mysql://user:hunter2@db/x' })).not.toThrow(/hunter2/);
    expect(() => loadCentralConfig({ DATABASE_URL: '//user:hunter2@' })).toThrow(/user:\*\*\*@/);
  });
});

describe('loadCentralConfig: API auth, taxonomies and Open311', () => {
  it('reads the auth, rate limit, taxonomy and Open311 variables', () => {
    expect(
      loadCentralConfig({
        SIGHTLINE_AUTH: 'off',
        SIGHTLINE_AUTH_CACHE_SECONDS: '0',
        SIGHTLINE_RATE_LIMIT: '0',
        SIGHTLINE_TAXONOMIES: 'coco, ./my-taxonomy.json',
        SIGHTLINE_OPEN311_PUBLIC: 'false',
        SIGHTLINE_OPEN311_AGENCY: 'Public Works',
        SIGHTLINE_PUBLIC_URL: 'https://sightline.city.example',
      }),
    ).toEqual({
      logLevel: 'info',
      auth: { enabled: false, cacheSeconds: 0, rateLimit: false },
      taxonomies: ['coco', './my-taxonomy.json'],
      open311: { public: false, agency: 'Public Works', publicUrl: 'https://sightline.city.example' },
    });
    expect(loadCentralConfig({ SIGHTLINE_RATE_LIMIT: '600' }).auth).toEqual({ rateLimit: { max: 600, timeWindowMs: 60_000 } });
    expect(loadCentralConfig({}).auth).toBeUndefined(); // auth on by default
  });

  it.each([
    ['SIGHTLINE_AUTH', 'maybe', /SIGHTLINE_AUTH must be on or off, got "maybe"/],
    ['SIGHTLINE_RATE_LIMIT', '-1', /SIGHTLINE_RATE_LIMIT must be requests per minute/],
    ['SIGHTLINE_AUTH_CACHE_SECONDS', '1h', /SIGHTLINE_AUTH_CACHE_SECONDS must be whole seconds/],
    ['SIGHTLINE_OPEN311_PUBLIC', 'yes', /SIGHTLINE_OPEN311_PUBLIC must be true or false/],
    ['SIGHTLINE_PUBLIC_URL', 'ftp://x', /SIGHTLINE_PUBLIC_URL must use http, https/],
    ['SIGHTLINE_TAXONOMIES', ' , ', /SIGHTLINE_TAXONOMIES must list taxonomy ids/],
  ])('names %s when it is wrong', (name, value, message) => {
    expect(() => loadCentralConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadCentralConfig({ [name]: value })).toThrow(message);
  });
});
