import { describe, expect, it } from 'vitest';
import { parseAgentConfig } from '../../src/config';

const base = (camera: Record<string, unknown>, model?: Record<string, unknown>) => ({
  deviceId: 'truck-7',
  mqtt: { url: 'mqtt://127.0.0.1:1883' },
  ...(model ? { model } : {}),
  cameras: [{ id: 'front', source: { type: 'images', paths: ['frames'] }, ...camera }],
});

describe('camera gps / exifGps and model.taxonomy options', () => {
  it('resolves a GPS log and a taxonomy file against the config folder, leaves ids and gpsd alone', () => {
    const a = parseAgentConfig(base({ gps: { type: 'nmea', file: 'logs/truck.nmea', toleranceS: 5, headingOffsetDeg: 90 } }, { taxonomy: 'my/road.json' }), '/etc/sightline');
    expect(a.cameras[0]!.gps).toEqual({ type: 'nmea', file: '/etc/sightline/logs/truck.nmea', toleranceS: 5, headingOffsetDeg: 90 });
    expect(a.model?.taxonomy).toBe('/etc/sightline/my/road.json');
    const b = parseAgentConfig(base({ gps: { type: 'gpsd', host: '127.0.0.1', port: 2947 }, exifGps: false }, { taxonomy: 'rdd2022' }), '/etc/sightline');
    expect(b.cameras[0]!.gps).toEqual({ type: 'gpsd', host: '127.0.0.1', port: 2947 });
    expect(b.cameras[0]!.exifGps).toBe(false);
    expect(b.model?.taxonomy).toBe('rdd2022');
  });

  it('rejects a GPS source with a missing or unknown field, naming it', () => {
    expect(() => parseAgentConfig(base({ gps: { type: 'gpx' } }), '/')).toThrow(/\/cameras\/0\/gps/);
    expect(() => parseAgentConfig(base({ gps: { type: 'gpsd', host: 'x', port: 70000 } }), '/')).toThrow(/\/cameras\/0\/gps/);
    expect(() => parseAgentConfig(base({ gps: { type: 'kml', file: 'a.kml' } }), '/')).toThrow(/\/cameras\/0\/gps/);
  });
});
