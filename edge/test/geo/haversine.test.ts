import { describe, expect, it } from 'vitest';
import { EARTH_MEAN_RADIUS_M, destinationPoint, haversineMetres, initialBearingDeg, normalizeDegrees } from '@sightline/contracts';

describe('haversineMetres (IUGG mean radius 6 371 008.8 m)', () => {
  it('measures one degree of the equator and of a meridian as R·π/180', () => {
    const oneDegree = (EARTH_MEAN_RADIUS_M * Math.PI) / 180; // 111 195.08 m
    expect(oneDegree).toBeCloseTo(111_195.08, 2);
    expect(haversineMetres({ lat: 0, lon: 0 }, { lat: 0, lon: 1 })).toBeCloseTo(oneDegree, 6);
    expect(haversineMetres({ lat: 10, lon: 20 }, { lat: 11, lon: 20 })).toBeCloseTo(oneDegree, 6);
  });

  it('is symmetric, zero for one point, and πR between antipodes', () => {
    const a = { lat: 51.5007, lon: -0.1246 };
    const b = { lat: 48.8584, lon: 2.2945 };
    expect(haversineMetres(a, b)).toBeCloseTo(haversineMetres(b, a), 9);
    expect(haversineMetres(a, a)).toBe(0);
    expect(haversineMetres({ lat: 0, lon: 0 }, { lat: 0, lon: 180 })).toBeCloseTo(Math.PI * EARTH_MEAN_RADIUS_M, 3);
    // Westminster → Eiffel Tower: about 340 km.
    expect(haversineMetres(a, b) / 1000).toBeCloseTo(340.5, 0);
  });

  it('agrees with the flat-Earth distance over a few metres (incident merge scale)', () => {
    const a = { lat: 51.5, lon: -0.12 };
    const b = { lat: 51.5 + 3 / 111_195.08, lon: -0.12 + 4 / (111_195.08 * Math.cos((51.5 * Math.PI) / 180)) };
    expect(haversineMetres(a, b)).toBeCloseTo(5, 3);
  });

  it('crosses the antimeridian the short way', () => {
    expect(haversineMetres({ lat: 0, lon: 179.9999 }, { lat: 0, lon: -179.9999 })).toBeCloseTo(22.24, 1);
  });
});

describe('initialBearingDeg and destinationPoint', () => {
  it('gives the compass directions', () => {
    const o = { lat: 0, lon: 0 };
    expect(initialBearingDeg(o, { lat: 1, lon: 0 })).toBeCloseTo(0, 9);
    expect(initialBearingDeg(o, { lat: 0, lon: 1 })).toBeCloseTo(90, 9);
    expect(initialBearingDeg(o, { lat: -1, lon: 0 })).toBeCloseTo(180, 9);
    expect(initialBearingDeg(o, { lat: 0, lon: -1 })).toBeCloseTo(270, 9);
  });

  it('round-trips: the destination lies at the distance and bearing asked for', () => {
    const start = { lat: 51.5115, lon: -0.116 };
    for (const bearing of [0, 30, 135, 250, 359]) {
      const end = destinationPoint(start, bearing, 250);
      expect(haversineMetres(start, end)).toBeCloseTo(250, 6);
      expect(initialBearingDeg(start, end)).toBeCloseTo(bearing, 6);
    }
  });

  it('normalises angles into [0, 360)', () => {
    expect(normalizeDegrees(-90)).toBe(270);
    expect(normalizeDegrees(720)).toBe(0);
    expect(normalizeDegrees(-1e-15)).toBe(0);
  });
});
