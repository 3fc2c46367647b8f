/**
 * Test environment: where the shared models and fixtures are, and the real servers.
 * `.ci/run` sets these; the defaults point at `../shared` beside the checkout and the
 * local PostgreSQL / Mosquitto, so `pnpm test` works from a developer's checkout too.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const shared = resolve(root, '..', 'shared');

process.env.SIGHTLINE_MODELS_DIR ??= resolve(shared, 'models');
process.env.SIGHTLINE_FIXTURES_DIR ??= resolve(shared, 'fixtures');
process.env.SIGHTLINE_SAMPLES_DIR ??= resolve(shared, 'fixtures', 'street', 'images');
process.env.SIGHTLINE_TEST_DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/postgres';
process.env.SIGHTLINE_TEST_MQTT_URL ??= 'mqtt://127.0.0.1:1883';
// Never download during tests: the machines have no route to the model hosts.
process.env.SIGHTLINE_CACHE_DIR ??= resolve(root, '.sightline', 'test-cache');
