#!/usr/bin/env node
/**
 * `sightline` command line: `pnpm -s sightline <command> ...`.
 * One file per command under `commands/`.
 */
import { UsageError } from './args';
import { centralCommand, centralUsage } from './commands/central';
import { demoCommand, demoUsage } from './commands/demo';
import { detectCommand, detectUsage } from './commands/detect';
import { edgeCommand, edgeUsage } from './commands/edge';
import { schemasCommand } from './commands/schemas';

const commands: Record<string, { run: (argv: string[]) => Promise<number>; usage: string }> = {
  detect: { run: (argv) => detectCommand(argv), usage: detectUsage },
  edge: { run: edgeCommand, usage: edgeUsage },
  central: { run: centralCommand, usage: centralUsage },
  demo: { run: demoCommand, usage: demoUsage },
  schemas: { run: schemasCommand, usage: 'usage: sightline schemas   (prints the MQTT message JSON Schemas)' },
};

const overview = `usage: sightline <command> [options]

commands:
  detect   run the detector on images and print detections (jsonl or table)
  edge     run the edge agent from a config file
  central  run the central service (ingest + API)
  demo     run central (embedded) + an edge agent on sample frames
  schemas  print the MQTT message JSON Schemas

"sightline <command> --help" shows a command's options.`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    process.stdout.write(`${overview}\n`);
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`sightline: unknown command "${name}"\n\n${overview}\n`);
    return 2;
  }
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
