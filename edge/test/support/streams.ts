/**
 * Real stream servers for the source tests: an RTSP server (Debian's `rtsp-server-perl`) fed by an
 * ffmpeg publisher, an HTTP MJPEG server, and helpers for free ports and process lifetimes.
 *
 * `rtsp-server-perl` relays: a publisher (ffmpeg `-f rtsp`) ANNOUNCEs/RECORDs on `--serverport`,
 * players DESCRIBE/SETUP/PLAY on `--clientport` (ffmpeg alone cannot serve RTSP to players).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { connect, createServer as createNetServer, type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A TCP port nobody listens on right now (the OS's choice). */
export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resolves once something accepts TCP connections on 127.0.0.1:`port`. */
export async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** Waits until `predicate` is true (polling), or throws after `timeoutMs` with `what`. */
export async function waitUntil(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** A child process we started, stopped by its own pid (never by name). */
export interface Running {
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

function running(child: ChildProcess): Running {
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return {
    process: child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

/** Starts `rtsp-server-perl` on the given ports and waits until both listen. */
export async function startRtspServer(ports: { sourcePort: number; clientPort: number }): Promise<Running> {
  const child = spawn('rtsp-server-perl', ['--serverport', String(ports.sourcePort), '--clientport', String(ports.clientPort), '--loglevel', '1'], {
    stdio: 'ignore',
  });
  const server = running(child);
  try {
    await Promise.all([waitForPort(ports.sourcePort), waitForPort(ports.clientPort)]);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

/**
 * Publishes a video file, looped at its own speed, to an RTSP server's source port
 * (`ffmpeg -re -stream_loop -1 -i FILE -c:v libx264 -f rtsp rtsp://127.0.0.1:PORT/PATH`).
 */
export function publishRtsp(file: string, url: string): Running {
  const child = spawn(
    'ffmpeg',
    [
      '-nostdin', '-hide_banner', '-loglevel', 'error',
      '-re', '-stream_loop', '-1', '-i', file,
      '-an', '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '25',
      '-f', 'rtsp', url,
    ],
    { stdio: 'ignore' },
  );
  return running(child);
}

/** An HTTP server under test control. */
export interface TestHttpServer {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

async function listen(server: Server, path: string): Promise<TestHttpServer> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Serves `jpegs` as an endless `multipart/x-mixed-replace` MJPEG stream at `/video.mjpg`, `fps`
 * frames per second, looping — what most IP cameras offer over HTTP.
 */
export async function startMjpegServer(jpegs: readonly Buffer[], fps: number): Promise<TestHttpServer> {
  const boundary = 'sightlineframe';
  const server = createServer((req, res: ServerResponse) => {
    if (req.url !== '/video.mjpg') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': `multipart/x-mixed-replace; boundary=${boundary}`, 'cache-control': 'no-cache' });
    let i = 0;
    const timer = setInterval(() => {
      const jpeg = jpegs[i++ % jpegs.length]!;
      res.write(`--${boundary}\r\ncontent-type: image/jpeg\r\ncontent-length: ${jpeg.length}\r\n\r\n`);
      res.write(jpeg);
      res.write('\r\n');
    }, 1000 / fps);
    const stop = () => clearInterval(timer);
    res.on('close', stop);
    req.on('close', stop);
  });
  return listen(server, '/video.mjpg');
}

/** Serves whatever `handler` decides at `/snapshot.jpg` (status, headers, body, or a hang). */
export async function startSnapshotServer(
  handler: (req: import('node:http').IncomingMessage, res: ServerResponse) => void,
): Promise<TestHttpServer> {
  return listen(createServer(handler), '/snapshot.jpg');
}
