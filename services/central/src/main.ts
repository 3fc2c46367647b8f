/**
 * Runs central from the environment (see `config.ts`) until SIGINT/SIGTERM:
 * `tsx services/central/src/main.ts` (or `pnpm sightline central`).
 */
import { ConfigError, loadCentralConfig } from './config';
import { startCentral } from './central';

try {
  const central = await startCentral(loadCentralConfig(process.env));
  const stop = (): void => {
    void central.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  process.stderr.write(`sightline central: ${error instanceof ConfigError ? error.message : (error as Error).message}\n`);
  process.exit(error instanceof ConfigError ? 2 : 1);
}
