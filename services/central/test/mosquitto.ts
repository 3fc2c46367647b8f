/**
 * A dedicated Mosquitto for one test: the production configuration from
 * `infra/mosquitto/mosquitto.conf` (passwords, ACL, persistence), moved to a free port on
 * 127.0.0.1 and a temporary folder, with a password file made by `mosquitto_passwd -b -c`.
 *
 * Usage:
 * ```ts
 * const broker = await startMosquitto({ users: { central: 'pw', 'dev-a': 'pw-a' } });
 * const client = await mqtt.connectAsync(broker.url, { username: 'central', password: 'pw' });
 * await broker.stop('SIGKILL');   // or restart(): same port, same persistence file
 * await broker.dispose();
 * ```
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const INFRA = resolve(fileURLToPath(new URL('../../../infra/mosquitto/', import.meta.url)));

/** Options of {@link startMosquitto}. */
export interface MosquittoOptions {
  /** User name → password, written to the password file. */
  users: Record<string, string>;
  /** Extra configuration lines appended (e.g. `max_inflight_messages 20`). */
  extra?: string[];
  /** Use the infra ACL file (default true); false = every authenticated user may do anything. */
  acl?: boolean;
}

/** A running dedicated broker. */
export interface TestMosquitto {
  /** `mqtt://127.0.0.1:<port>` (no credentials). */
  url: string;
  port: number;
  /** Folder with the config, password file, ACL and persistence database. */
  dir: string;
  /** The broker's log so far (stderr), for assertion messages. */
  log(): string;
  /** Stops the broker: SIGTERM (saves persistence) or SIGKILL; resolves when it has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port with the same persistence (after {@link stop}). */
  restart(): Promise<void>;
  /** Stops it and removes its folder. */
  dispose(): Promise<void>;
}

/** Starts Mosquitto with the infra configuration on a free port (see the module comment). */
export async function startMosquitto(options: MosquittoOptions): Promise<TestMosquitto> {
  const dir = await mkdtemp(join(tmpdir(), 'sightline-mosquitto-'));
  const port = await freePort();
  const passwd = join(dir, 'passwd');
  const entries = Object.entries(options.users);
  for (const [index, [user, password]] of entries.entries()) {
    await promisify(execFile)('mosquitto_passwd', index === 0 ? ['-b', '-c', passwd, user, password] : ['-b', passwd, user, password]);
  }
  await writeFile(join(dir, 'acl'), await readFile(join(INFRA, 'acl'), 'utf8'));

  const infra = await readFile(join(INFRA, 'mosquitto.conf'), 'utf8');
  const config = infra
    .split('\n')
    .map((line) => {
      if (/^listener\s+1883\b/.test(line)) return `listener ${port} 127.0.0.1`;
      if (/^password_file\s/.test(line)) return `password_file ${passwd}`;
      if (/^acl_file\s/.test(line)) return options.acl === false ? '' : `acl_file ${join(dir, 'acl')}`;
      if (/^persistence_location\s/.test(line)) return `persistence_location ${dir}/`;
      return line;
    })
    .concat([`user ${userInfo().username}`, 'log_dest stderr', ...(options.extra ?? [])])
    .join('\n');
  const configPath = join(dir, 'mosquitto.conf');
  await writeFile(configPath, `${config}\n`);

  let child: ChildProcess | undefined;
  let log = '';
  const launch = async (): Promise<void> => {
    const started = spawn('mosquitto', ['-c', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = started;
    started.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
    });
    const deadline = Date.now() + 10_000;
    while (!(await portOpen(port))) {
      if (started.exitCode !== null || Date.now() > deadline) {
        throw new Error(`mosquitto did not start on port ${port} (exit ${started.exitCode}):\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((r) => running.once('exit', () => r()));
    running.kill(signal);
    await exited;
  };
  await launch();
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    dir,
    log: () => log,
    stop,
    restart: launch,
    dispose: async () => {
      await stop('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A TCP port nobody listens on right now (the kernel's pick). */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolveOpen) => {
    const socket = tcpConnect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolveOpen(true);
    });
    socket.once('error', () => resolveOpen(false));
  });
}
