#!/usr/bin/env node
/**
 * `sightline` command line: `pnpm -s sightline <command> ...`.
 * One file per command under `commands/`.
 */
import { UsageError } from './args';

/** A command: its `run` (returns the exit status) and its usage text. */
interface Command {
  run: (argv: string[]) => Promise<number>;
  usage: string;
}

// Loaded on demand: `detect` should not pay for Fastify and PGlite, nor `central` for onnxruntime.
const commands: Record<string, () => Promise<Command>> = {
  detect: async () => {
    const m = await import('./commands/detect');
    return { run: (argv) => m.detectCommand(argv), usage: m.detectUsage };
  },
  count: async () => {
    const m = await import('./commands/count');
    return { run: (argv) => m.countCommand(argv), usage: m.countUsage };
  },
  edge: async () => {
    const m = await import('./commands/edge');
    return { run: m.edgeCommand, usage: m.edgeUsage };
  },
  central: async () => {
    const m = await import('./commands/central');
    return { run: m.centralCommand, usage: m.centralUsage };
  },
  keys: async () => {
    const m = await import('./commands/keys');
    return { run: m.keysCommand, usage: m.keysUsage };
  },
  demo: async () => {
    const m = await import('./commands/demo');
    return { run: m.demoCommand, usage: m.demoUsage };
  },
  schemas: async () => {
    const m = await import('./commands/schemas');
    return { run: m.schemasCommand, usage: 'usage: sightline schemas   (prints the MQTT message JSON Schemas)' };
  },
};

const overview = `usage: sightline <command> [options]

commands:
  detect   run the detector on images and print detections (jsonl or table)
  count    count objects crossing lines in a video (tracking), print JSON; --annotate writes a video
  edge     run the edge agent from a config file
  central  run the central service (ingest + API)
  keys     create, list and revoke API keys (the first admin key: keys create --scope admin)
  demo     run central (embedded) + an edge agent on sample frames
  schemas  print the MQTT message JSON Schemas

"sightline <command> --help" shows a command's options.`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    process.stdout.write(`${overview}\n`);
    return name ? 0 : 2;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`sightline: unknown command "${name}"\n\n${overview}\n`);
    return 2;
  }
  const command = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`sightline ${name}: ${err.message}\n\n${command.usage}\n`);
      return 2;
    }
    process.stderr.write(`sightline ${name}: ${(err as Error).message}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
