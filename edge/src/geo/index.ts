/**
 * Positions of frames: fixed cameras, GPS tracks (NMEA 0183, GPX 1.1, live gpsd) matched by
 * capture time, and EXIF GPS tags; see `locator.ts` for the precedence. Distance and bearing
 * helpers live in `@sightline/contracts` (`haversineMetres`), shared with the central service.
 */
export * from './track';
export * from './nmea';
export * from './gpx';
export * from './gpsd';
export * from './exif';
export * from './locator';
