/**
 * Every migration, in order. Names sort lexicographically in the order they must run; add a new
 * file `NNNN_what_it_does.ts` and list it here — never edit or rename one that has shipped.
 */
import type { Migration } from 'kysely';
import * as m0001 from './0001_devices_observations_dead_letters';
import * as m0002 from './0002_device_state_seq_gaps_traffic';
import * as m0003 from './0003_incidents';
import * as m0004 from './0004_evidence';
import * as m0005 from './0005_api_keys';

export const migrations: Record<string, Migration> = {
  '0001_devices_observations_dead_letters': m0001,
  '0002_device_state_seq_gaps_traffic': m0002,
  '0003_incidents': m0003,
  '0004_evidence': m0004,
  '0005_api_keys': m0005,
};
