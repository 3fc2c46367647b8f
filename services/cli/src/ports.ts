import { createServer } from 'node:net';

/**
 * `preferred` if nothing listens on it at `host`, else a free port the OS picks.
 * (There is a small window in which another process can take the port; fine for the demo.)
 */
export async function portOrFree(preferred: number, host = '127.0.0.1'): Promise<number> {
  const tryListen = (port: number) =>
    new Promise<number | undefined>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(undefined));
      server.listen(port, host, () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : undefined));
      });
    });
  return (await tryListen(preferred)) ?? (await tryListen(0)) ?? 0;
}
