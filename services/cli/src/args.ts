import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A command-line usage error: printed with the command's usage, exit status 2. */
export class UsageError extends Error {}

/**
 * `node:util` parseArgs with two conveniences: a leading `--` (as `pnpm demo -- --source x`
 * passes it) is dropped, and parse failures become {@link UsageError}s.
 */
export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T) {
  const args = argv[0] === '--' ? argv.slice(1) : argv;
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/**
 * Parses a numeric option within `[min, max]`.
 * @throws UsageError naming the option and the accepted range.
 */
export function numberOption(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a number from ${min} to ${max}, got "${value}"`);
  }
  return n;
}
