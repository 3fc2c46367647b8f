import { loadAgentConfig, runAgent } from '@sightline/edge';
import { parseCommandArgs, UsageError } from '../args';

export const edgeUsage = `usage: sightline edge --config FILE

Runs the edge agent described by a JSON config file (see README, "Edge configuration").
Ctrl-C (SIGINT) or SIGTERM stops it cleanly: retained status "stopped".`;

/** `sightline edge --config FILE`: runs the edge agent until its sources end or a signal stops it. */
export async function edgeCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, { config: { type: 'string' } });
  if (!values.config) throw new UsageError('--config FILE is required');
  const config = await loadAgentConfig(values.config);
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const stats = await runAgent(config, { signal: controller.signal });
  return stats.failed > 0 && stats.frames === 0 ? 1 : 0;
}
