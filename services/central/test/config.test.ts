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
