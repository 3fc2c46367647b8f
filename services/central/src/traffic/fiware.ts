/**
 * Traffic counts as FIWARE Smart Data Models `TrafficFlowObserved` entities (dataModel.Transportation),
 * in the NGSI key-values (simplified) representation.
 *
 * One entity per device, camera, counting line, bucket, direction and vehicle type:
 *
 * | entity attribute | from |
 * |---|---|
 * | `id` | `urn:ngsi-ld:TrafficFlowObserved:sightline:<device>:<camera>:<line>:<bucket start, compact UTC>:<laneDirection>:<vehicleType>` |
 * | `dateObserved` | the bucket as an ISO 8601 interval `start/end` |
 * | `dateObservedFrom`, `dateObservedTo` | bucket start and end |
 * | `intensity` | vehicles that crossed the line in the bucket |
 * | `laneDirection` | `in` → `forward`, `out` → `backward` (relative to the line's start → end; draw lines so that `in` is the road's forward direction) |
 * | `vehicleType` | COCO class: car → `car`, bus → `bus`, truck → `lorry`, motorcycle → `motorcycle`, bicycle → `bicycle` |
 * | `location` | GeoJSON Point of the camera (its latest observation with a position), when known |
 * | `name`, `description`, `dataProvider` | which line of which camera; `Sightline` |
 *
 * Classes that are not vehicles in the model's `vehicleType` list (person and any other COCO class)
 * produce no entity: pedestrians belong to `CrowdFlowObserved`, and their counts stay available
 * from `GET /v1/traffic/counts`.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { trafficSeries, type TrafficFilter } from './series';

/** COCO class label → FIWARE `vehicleType`. Labels not listed are not vehicles for this model. */
export const VEHICLE_TYPES: Readonly<Record<string, string>> = {
  car: 'car',
  bus: 'bus',
  truck: 'lorry',
  motorcycle: 'motorcycle',
  bicycle: 'bicycle',
};

/** Counting direction → FIWARE `laneDirection`. */
export const LANE_DIRECTIONS = { in: 'forward', out: 'backward' } as const;

/** A `TrafficFlowObserved` entity (key-values representation). */
export interface TrafficFlowObserved {
  id: string;
  type: 'TrafficFlowObserved';
  dateObserved: string;
  dateObservedFrom: string;
  dateObservedTo: string;
  intensity: number;
  laneDirection: 'forward' | 'backward';
  vehicleType: string;
  name: string;
  description: string;
  dataProvider: string;
  location?: { type: 'Point'; coordinates: [number, number] };
}

/**
 * The entities for `filter`, ordered by bucket start, then device, camera, line, direction,
 * vehicle type; at most `limit` after skipping `offset`.
 */
export async function trafficFlows(
  db: Kysely<Database>,
  filter: TrafficFilter,
  page: { limit: number; offset: number },
): Promise<TrafficFlowObserved[]> {
  const series = await trafficSeries(db, filter, ['device', 'camera', 'line', 'class', 'direction']);
  const entities: Array<Omit<TrafficFlowObserved, 'location'> & { camera: string }> = [];
  for (const { key, points } of series) {
    const vehicleType = VEHICLE_TYPES[key.class ?? ''];
    const direction = key.direction === 'in' || key.direction === 'out' ? LANE_DIRECTIONS[key.direction] : undefined;
    if (!vehicleType || !direction) continue;
    const { device = '', camera = '', line = '' } = key;
    for (const point of points) {
      const compact = point.start.replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
      entities.push({
        id: `urn:ngsi-ld:TrafficFlowObserved:sightline:${device}:${camera}:${line}:${compact}:${direction}:${vehicleType}`,
        type: 'TrafficFlowObserved',
        dateObserved: `${point.start}/${point.end}`,
        dateObservedFrom: point.start,
        dateObservedTo: point.end,
        intensity: point.count,
        laneDirection: direction,
        vehicleType,
        name: `${device}/${camera}/${line}`,
        description: `${key.class} crossings of counting line ${line} seen by camera ${camera} of device ${device}, direction ${key.direction}`,
        dataProvider: 'Sightline',
        camera: `${device}/${camera}`,
      });
    }
  }
  entities.sort((a, b) => (a.dateObservedFrom < b.dateObservedFrom ? -1 : a.dateObservedFrom > b.dateObservedFrom ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const selected = entities.slice(page.offset, page.offset + page.limit);

  const positions = await cameraPositions(db, [...new Set(selected.map((e) => e.camera))]);
  return selected.map(({ camera, ...entity }) => {
    const position = positions.get(camera);
    return position ? { ...entity, location: { type: 'Point', coordinates: [position.lon, position.lat] } } : entity;
  });
}

/** Latest known position of each `device/camera` (from its observations), where there is one. */
async function cameraPositions(db: Kysely<Database>, cameras: readonly string[]): Promise<Map<string, { lat: number; lon: number }>> {
  const found = new Map<string, { lat: number; lon: number }>();
  for (const camera of cameras) {
    const [deviceId, cameraId] = camera.split('/') as [string, string];
    const row = await db
      .selectFrom('observations')
      .select(['lat', 'lon'])
      .where('device_id', '=', deviceId)
      .where('camera_id', '=', cameraId)
      .where('lat', 'is not', null)
      .where('lon', 'is not', null)
      .orderBy('captured_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (row && row.lat !== null && row.lon !== null) found.set(camera, { lat: row.lat, lon: row.lon });
  }
  return found;
}
