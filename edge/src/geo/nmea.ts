/**
 * GPS fixes from an NMEA 0183 log: the text a GPS receiver writes on its serial port, one sentence
 * per line, as loggers (gpspipe -r, u-center, dashcams) save it.
 *
 * Sentences read (NMEA 0183 v2.3–4.11; any talker: GP, GN, GL, GA, BD, ...):
 *
 * ```
 * $--RMC,hhmmss.ss,A,ddmm.mmmm,N,dddmm.mmmm,E,speed_kn,course_deg_true,ddmmyy,magvar,E,mode[,navstatus]*hh
 * $--GGA,hhmmss.ss,ddmm.mmmm,N,dddmm.mmmm,E,quality,satellites,hdop,alt,M,geoid,M,dgps_age,dgps_station*hh
 * ```
 *
 * - Every sentence must end in `*hh`, the XOR of all characters between `$` and `*` as two hex
 *   digits; lines with a wrong or missing checksum are skipped (and reported).
 * - RMC carries the date; GGA only the time of day, so a GGA takes its date from the RMC sentences
 *   around it (a GGA before any RMC waits for the first one). Times are UTC.
 * - RMC with status `V` (warning) or mode `N` (not valid), and GGA with quality 0 (no fix), are
 *   skipped; empty fields are absent, never 0 (a missing course is not "north").
 * - RMC gives course over ground (degrees true) and speed (knots → m/s); GGA gives HDOP, turned into
 *   an accuracy estimate `HDOP × {@link UERE_M}` metres. RMC and GGA of the same second are merged
 *   into one fix.
 *
 * Other sentences (GSV, GSA, VTG, proprietary `$P...`) are ignored.
 */
import type { GpsFix } from './track';

/**
 * User-equivalent range error assumed to turn HDOP into metres (accuracy ≈ HDOP × UERE). 5 m is a
 * typical 1-sigma value for a single-frequency consumer receiver without corrections.
 */
export const UERE_M = 5;

/** Metres per second in one knot (1852 m / 3600 s). */
const KNOT_MPS = 1852 / 3600;

/** A line of the log that was not used, and why. */
export interface NmeaSkip {
  /** 1-based line number. */
  line: number;
  reason: string;
}

/** What {@link parseNmeaLog} found. */
export interface NmeaLog {
  /** Fixes in time order, RMC and GGA of the same instant merged. */
  fixes: GpsFix[];
  /** RMC/GGA lines not used: bad or missing checksum, no fix, malformed field, no date. */
  skipped: NmeaSkip[];
}

/**
 * Whether `sentence` (`$...*hh`, without line ending) carries a correct NMEA 0183 checksum.
 */
export function nmeaChecksumOk(sentence: string): boolean {
  const star = sentence.lastIndexOf('*');
  if (!sentence.startsWith('$') || star < 0 || !/^[0-9A-Fa-f]{2}$/.test(sentence.slice(star + 1))) return false;
  return nmeaChecksum(sentence.slice(1, star)) === parseInt(sentence.slice(star + 1), 16);
}

/** XOR of the characters of `body` (the text between `$` and `*`), 0..255. */
export function nmeaChecksum(body: string): number {
  let sum = 0;
  for (let i = 0; i < body.length; i += 1) sum ^= body.charCodeAt(i);
  return sum & 0xff;
}

/** A GGA whose date is not known yet: time of day only. */
interface PendingGga {
  line: number;
  dayMs: number;
  fix: Omit<GpsFix, 'timeMs'>;
}

const DAY_MS = 86_400_000;

/**
 * Reads the RMC and GGA sentences of an NMEA 0183 log into fixes.
 * Never throws on bad lines: they are listed in `skipped`.
 */
export function parseNmeaLog(text: string): NmeaLog {
  const byTime = new Map<number, GpsFix>();
  const skipped: NmeaSkip[] = [];
  /** UTC midnight (ms) of the date of the latest RMC, and its time of day. */
  let date: { midnightMs: number; dayMs: number } | undefined;
  const pending: PendingGga[] = [];

  const put = (fix: GpsFix) => {
    const existing = byTime.get(fix.timeMs);
    byTime.set(fix.timeMs, existing ? { ...existing, ...definedOnly(fix) } : fix);
  };
  /** Places a GGA time of day on the calendar next to the latest RMC (handles midnight roll-over). */
  const dated = (dayMs: number, ref: { midnightMs: number; dayMs: number }) => {
    let midnight = ref.midnightMs;
    if (dayMs - ref.dayMs > DAY_MS / 2) midnight -= DAY_MS;
    else if (ref.dayMs - dayMs > DAY_MS / 2) midnight += DAY_MS;
    return midnight + dayMs;
  };

  const lines = text.split(/\r?\n|\r/);
  for (let n = 0; n < lines.length; n += 1) {
    const lineNo = n + 1;
    // Loggers may prefix a line with their own timestamp: the sentence starts at '$'.
    const start = lines[n]!.indexOf('$');
    if (start < 0) continue;
    const sentence = lines[n]!.slice(start).trim();
    const type = sentence.slice(3, 6);
    if (type !== 'RMC' && type !== 'GGA') continue;
    if (!nmeaChecksumOk(sentence)) {
      skipped.push({ line: lineNo, reason: sentence.includes('*') ? 'bad checksum' : 'no checksum' });
      continue;
    }
    const fields = sentence.slice(0, sentence.lastIndexOf('*')).split(',');
    const dayMs = parseTimeOfDay(fields[1]);
    if (dayMs === undefined) {
      skipped.push({ line: lineNo, reason: `${type}: bad time "${fields[1] ?? ''}"` });
      continue;
    }
    if (type === 'RMC') {
      const midnightMs = parseDate(fields[9]);
      if (midnightMs === undefined) {
        skipped.push({ line: lineNo, reason: `RMC: bad date "${fields[9] ?? ''}"` });
        continue;
      }
      if (fields[2] !== 'A' || fields[12] === 'N') {
        // Without a fix the date may come from the receiver's unset clock: do not date GGAs with it.
        skipped.push({ line: lineNo, reason: 'RMC: no valid fix (status V or mode N)' });
        continue;
      }
      date = { midnightMs, dayMs };
      for (const p of pending.splice(0)) put({ timeMs: dated(p.dayMs, date), ...p.fix });
      const lat = parseCoordinate(fields[3], fields[4], 'N', 'S', 90);
      const lon = parseCoordinate(fields[5], fields[6], 'E', 'W', 180);
      if (lat === undefined || lon === undefined) {
        skipped.push({ line: lineNo, reason: 'RMC: missing or malformed position' });
        continue;
      }
      const speedKn = parseNumber(fields[7]);
      const course = parseNumber(fields[8]);
      put({
        timeMs: midnightMs + dayMs,
        lat,
        lon,
        ...(speedKn !== undefined ? { speedMps: speedKn * KNOT_MPS } : {}),
        ...(course !== undefined && course >= 0 && course <= 360 ? { headingDeg: course % 360 } : {}),
      });
    } else {
      if (fields[6] === '' || fields[6] === '0' || fields[6] === undefined) {
        skipped.push({ line: lineNo, reason: 'GGA: no fix (quality 0)' });
        continue;
      }
      const lat = parseCoordinate(fields[2], fields[3], 'N', 'S', 90);
      const lon = parseCoordinate(fields[4], fields[5], 'E', 'W', 180);
      if (lat === undefined || lon === undefined) {
        skipped.push({ line: lineNo, reason: 'GGA: missing or malformed position' });
        continue;
      }
      const hdop = parseNumber(fields[8]);
      const fix = { lat, lon, ...(hdop !== undefined && hdop > 0 ? { accuracyM: hdop * UERE_M } : {}) };
      if (date) put({ timeMs: dated(dayMs, date), ...fix });
      else pending.push({ line: lineNo, dayMs, fix });
    }
  }
  for (const p of pending) skipped.push({ line: p.line, reason: 'GGA: no RMC in the log gives its date' });
  return { fixes: [...byTime.values()].sort((a, b) => a.timeMs - b.timeMs), skipped };
}

/** `hhmmss[.sss]` → ms since midnight. */
function parseTimeOfDay(field: string | undefined): number | undefined {
  const m = /^(\d{2})(\d{2})(\d{2}(?:\.\d+)?)$/.exec(field ?? '');
  if (!m) return undefined;
  const h = Number(m[1]);
  const min = Number(m[2]);
  const s = Number(m[3]);
  if (h > 23 || min > 59 || s >= 61) return undefined;
  return Math.round(((h * 60 + min) * 60 + s) * 1000);
}

/** `ddmmyy` → UTC midnight in ms; years 80..99 are 19xx, 00..79 are 20xx (GPS started in 1980). */
function parseDate(field: string | undefined): number | undefined {
  const m = /^(\d{2})(\d{2})(\d{2})$/.exec(field ?? '');
  if (!m) return undefined;
  const day = Number(m[1]);
  const month = Number(m[2]);
  const yy = Number(m[3]);
  if (day < 1 || day > 31 || month < 1 || month > 12) return undefined;
  return Date.UTC(yy >= 80 ? 1900 + yy : 2000 + yy, month - 1, day);
}

/** `ddmm.mmmm` / `dddmm.mmmm` with hemisphere → signed degrees. */
function parseCoordinate(value: string | undefined, hemisphere: string | undefined, positive: string, negative: string, limit: number): number | undefined {
  const m = /^(\d+)(\d{2}(?:\.\d+)?)$/.exec(value ?? '');
  if (!m || (hemisphere !== positive && hemisphere !== negative)) return undefined;
  const minutes = Number(m[2]);
  if (minutes >= 60) return undefined;
  const degrees = Number(m[1]) + minutes / 60;
  if (degrees > limit) return undefined;
  return hemisphere === negative ? -degrees : degrees;
}

function parseNumber(field: string | undefined): number | undefined {
  if (field === undefined || field.trim() === '') return undefined;
  const value = Number(field);
  return Number.isFinite(value) ? value : undefined;
}

function definedOnly(fix: GpsFix): Partial<GpsFix> {
  return Object.fromEntries(Object.entries(fix).filter(([, v]) => v !== undefined)) as Partial<GpsFix>;
}
