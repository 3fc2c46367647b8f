/**
 * Great-circle geometry on a spherical Earth, shared by the edge (GPS track interpolation,
 * heading between fixes) and the central service (incident merge radius), so both sides measure
 * distance with one implementation.
 *
 * Coordinates are WGS 84 degrees (latitude -90..90, longitude -180..180); distances are metres;
 * bearings are degrees clockwise from true north in [0, 360).
 *
 * The sphere has the IUGG mean Earth radius R1 = 6 371 008.8 m (Moritz, "Geodetic Reference
 * System 1980", the mean of the WGS 84 / GRS 80 semi-axes (2a + b) / 3). Against the ellipsoid
 * the spherical error is below 0.5 %, i.e. under 1 m over the ~100 m radii used for incident
 * merging.
 */

/** IUGG mean Earth radius R1, metres. */
export const EARTH_MEAN_RADIUS_M = 6_371_008.8;

/** A point on the Earth: WGS 84 latitude and longitude, degrees. */
export interface LatLon {
  lat: number;
  lon: number;
}

const RAD = Math.PI / 180;

/**
 * Great-circle distance between two points in metres, by the haversine formula
 * (R. W. Sinnott, "Virtues of the Haversine", Sky and Telescope 68 (2), 1984):
 *
 *   h = sin²(Δφ/2) + cos φ1 · cos φ2 · sin²(Δλ/2),  d = 2 R · asin(√h)
 *
 * Numerically well-conditioned for small distances (unlike the spherical law of cosines), which is
 * what merging sightings a few metres apart needs.
 *
 * @example haversineMetres({ lat: 51.5007, lon: -0.1246 }, { lat: 51.5033, lon: -0.1196 }) // ≈ 450
 */
export function haversineMetres(a: LatLon, b: LatLon): number {
  const phi1 = a.lat * RAD;
  const phi2 = b.lat * RAD;
  const dPhi = (b.lat - a.lat) * RAD;
  const dLambda = (b.lon - a.lon) * RAD;
  const h = Math.sin(dPhi / 2) ** 2 + Math.cos(phi1) * Math.cos(phi2) * Math.sin(dLambda / 2) ** 2;
  return 2 * EARTH_MEAN_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * Initial great-circle bearing (forward azimuth) from `a` towards `b`, degrees clockwise from true
 * north in [0, 360): θ = atan2(sin Δλ · cos φ2, cos φ1 · sin φ2 − sin φ1 · cos φ2 · cos Δλ).
 * For two identical points the result is 0 (there is no direction): check the distance first when
 * that matters.
 */
export function initialBearingDeg(a: LatLon, b: LatLon): number {
  const phi1 = a.lat * RAD;
  const phi2 = b.lat * RAD;
  const dLambda = (b.lon - a.lon) * RAD;
  const y = Math.sin(dLambda) * Math.cos(phi2);
  const x = Math.cos(phi1) * Math.sin(phi2) - Math.sin(phi1) * Math.cos(phi2) * Math.cos(dLambda);
  return normalizeDegrees(Math.atan2(y, x) / RAD);
}

/**
 * The point `distanceM` metres from `start` along the great circle leaving it at `bearingDeg`
 * (degrees clockwise from true north). Longitude is normalised to [-180, 180).
 */
export function destinationPoint(start: LatLon, bearingDeg: number, distanceM: number): LatLon {
  const delta = distanceM / EARTH_MEAN_RADIUS_M;
  const theta = bearingDeg * RAD;
  const phi1 = start.lat * RAD;
  const lambda1 = start.lon * RAD;
  const sinPhi2 = Math.sin(phi1) * Math.cos(delta) + Math.cos(phi1) * Math.sin(delta) * Math.cos(theta);
  const phi2 = Math.asin(Math.max(-1, Math.min(1, sinPhi2)));
  const lambda2 =
    lambda1 + Math.atan2(Math.sin(theta) * Math.sin(delta) * Math.cos(phi1), Math.cos(delta) - Math.sin(phi1) * sinPhi2);
  return { lat: phi2 / RAD, lon: ((((lambda2 / RAD + 180) % 360) + 360) % 360) - 180 };
}

/** An angle in degrees mapped into [0, 360). */
export function normalizeDegrees(deg: number): number {
  const r = deg % 360;
  const positive = r < 0 ? r + 360 : r;
  // -1e-15 % 360 + 360 rounds to 360 in floating point: fold it back.
  return positive >= 360 ? 0 : positive;
}
