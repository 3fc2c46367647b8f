/**
 * Central as a child process (`node --import tsx services/central/src/main.ts`, configured by environment), so
 * fault tests can kill it for real (SIGKILL) and start it again.
 *
 * Usage:
 * ```ts
 * const central = await startCentralProcess({ DATABASE_URL: db.url, MQTT_URL: broker.url, SIGHTLINE_INGEST_ID: 'w1' });
 * const health = await central.health();   // GET /healthz: ingest counters
 * await central.kill('SIGKILL');
 * ```
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './mosquitto';

const ROOT = resolve(fileURLToPath(new URL('../../../', import.meta.url)));

/** The ingest counters `/healthz` reports. */
export interface HealthIngest {
  received: number;
  stored: number;
  deadLettered: number;
  pending: number;
  writeFailures: number;
  acknowledged?: number;
}

/** A running central child process. */
export interface CentralProcess {
  pid: number;
  apiUrl: string;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** `GET /healthz` → the ingest counters. */
  health(): Promise<HealthIngest>;
  /** Sends `signal` and resolves when the process has exited. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

/**
 * Starts central with `env` added to the environment (PORT is set to a free port) and resolves
 * once its API answers. @throws when it exits or does not answer within `timeoutMs`.
 */
export async function startCentralProcess(env: Record<string, string>, timeoutMs = 60_000): Promise<CentralProcess> {
  const port = await freePort();
  // `node --import tsx`, not the tsx CLI: the CLI runs the script in a grandchild that a SIGKILL
  // of the CLI would leave running.
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(ROOT, 'services/central/src/main.ts')], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const apiUrl = `http://127.0.0.1:${port}`;

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`central exited during start-up:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`central did not answer on ${apiUrl} within ${timeoutMs} ms:\n${output}`);
    }
    const ok = await fetch(`${apiUrl}/healthz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    pid: child.pid!,
    apiUrl,
    output: () => output,
    health: async () => ((await (await fetch(`${apiUrl}/healthz`)).json()) as { ingest: HealthIngest }).ingest,
    kill: async (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
