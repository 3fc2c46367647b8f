/**
 * Taxonomies: which city category a model's label belongs to, and the rules a detection must meet
 * before it counts as a sighting of that category.
 *
 * A taxonomy is a JSON file `models/taxonomies/<id>.json` (or any file a config points at); a model
 * manifest names its taxonomy in `taxonomy`, so a user's own model (e.g. a road-damage detector
 * trained on RDD2022) is categorised by configuration alone. Format:
 *
 * ```json
 * {
 *   "id": "coco",
 *   "name": "COCO 80 classes → city categories",
 *   "categories": {
 *     "dumping.furniture.couch": {
 *       "title": "Dumped couch or sofa",
 *       "labels": ["couch"],
 *       "minScore": 0.5, "minFrames": 3, "mergeRadiusM": 30,
 *       "raisesIncident": true, "reopenResolved": true
 *     }
 *   }
 * }
 * ```
 *
 * Category names are lower-case, dot-separated, most general level first, so an API filter on a
 * prefix (`dumping`, `road.crack`) selects a branch. A label belongs to at most one category;
 * labels are matched ignoring case and surrounding spaces; a label in no category is not
 * categorised (the observation is still published, without `category`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Type from 'typebox';
import { CATEGORY_NAME_PATTERN, CategoryName, validator } from '@sightline/contracts';

/** Folder holding the shipped taxonomies (`models/taxonomies`). */
export const TAXONOMIES_DIR = fileURLToPath(new URL('../taxonomies/', import.meta.url));

/** The rules of one category: when a detection counts, and what the central side does with it. */
export const CategoryRule = Type.Object(
  {
    /**
     * Minimum detection score 0..1 for a detection to be categorised. The detector's own score
     * threshold (config `model.score`, default 0.3) applies first, so a lower value here has no effect.
     */
    minScore: Type.Number({ minimum: 0, maximum: 1 }),
    /**
     * Frames a track must have been seen in (its hit count) before it counts. Video sources with a
     * tracker compare the track's hits; still images have no tracks, each frame stands alone, and
     * the gate is 1 (see {@link meetsMinFrames}).
     */
    minFrames: Type.Integer({ minimum: 1, maximum: 1000 }),
    /**
     * Radius in metres within which a sighting joins an open incident of the same category
     * (haversine distance between the frames' positions). Positions are the camera's, not the
     * object's: the radius must also cover how far from the camera the object is seen.
     */
    mergeRadiusM: Type.Number({ exclusiveMinimum: 0, maximum: 10_000 }),
    /** Whether sightings of this category open (or update) incidents for city staff. */
    raisesIncident: Type.Boolean(),
    /** Whether a new sighting within the radius of a resolved incident reopens it. */
    reopenResolved: Type.Boolean(),
  },
  { additionalProperties: false },
);

/** One category of a taxonomy: its rule, a human title, and the model labels that map to it. */
export const TaxonomyCategory = Type.Object(
  {
    /** Short human name (API listings, Open311 `service_name`). */
    title: Type.String({ minLength: 1, maxLength: 128 }),
    description: Type.Optional(Type.String({ maxLength: 1000 })),
    /** Model labels mapped to this category (matched ignoring case and surrounding spaces). */
    labels: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1 }),
    ...CategoryRule.properties,
  },
  { additionalProperties: false },
);

/** A taxonomy file: id, name, and categories keyed by their dot-separated name. */
export const TaxonomySchema = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]*$', maxLength: 64 }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    categories: Type.Record(CategoryName, TaxonomyCategory, { minProperties: 1 }),
  },
  { additionalProperties: false },
);

export type CategoryRule = Type.Static<typeof CategoryRule>;
export type TaxonomyCategory = Type.Static<typeof TaxonomyCategory>;
export type Taxonomy = Type.Static<typeof TaxonomySchema>;

/** What {@link categorize} returns for a label that maps and scores high enough. */
export interface Categorization {
  /** Dot-separated category name, e.g. `dumping.furniture.couch`. */
  category: string;
  /** The category's rule (min score, min frames, merge radius, incident flags). */
  rule: CategoryRule;
}

const validateTaxonomy = validator(TaxonomySchema);
const CATEGORY_NAME = new RegExp(CATEGORY_NAME_PATTERN);

/** Label (normalised) → category name, per parsed taxonomy. */
const labelIndex = new WeakMap<Taxonomy, Map<string, string>>();

function normalizeLabel(label: string): string {
  return label.trim().toLowerCase();
}

/**
 * Checks a parsed taxonomy document and indexes its labels.
 *
 * @param source names the input in error messages (a file path or `<inline>`).
 * @throws Error naming the source and the offending field, e.g.
 *   `taxonomy coco.json: /categories/dumping.furniture.couch/minScore: must be <= 1`, or a label
 *   listed under two categories.
 */
export function parseTaxonomy(value: unknown, source = '<inline>'): Taxonomy {
  const result = validateTaxonomy(value);
  if (!result.ok) throw new Error(`taxonomy ${source}: ${result.reason.replace(/^schema violation: /, '')}`);
  const taxonomy = result.value;
  const index = new Map<string, string>();
  for (const [category, entry] of Object.entries(taxonomy.categories)) {
    if (!CATEGORY_NAME.test(category) || category.length > 128) {
      throw new Error(
        `taxonomy ${source}: /categories/${category}: a category name is lower-case dot-separated levels of ` +
          `letters, digits and _ (e.g. "dumping.furniture.couch"), at most 128 characters`,
      );
    }
    for (const label of entry.labels) {
      const key = normalizeLabel(label);
      if (key === '') throw new Error(`taxonomy ${source}: /categories/${category}/labels: a label is blank`);
      const other = index.get(key);
      if (other !== undefined) {
        throw new Error(
          `taxonomy ${source}: /categories/${category}/labels: label "${label}" is already mapped to "${other}"; ` +
            `a label belongs to one category`,
        );
      }
      index.set(key, category);
    }
  }
  labelIndex.set(taxonomy, index);
  return taxonomy;
}

/**
 * Loads a taxonomy: a shipped one by id (`coco`, `rdd2022` → `models/taxonomies/<id>.json`) or a
 * JSON file by path (anything containing `/` or ending in `.json`; relative paths resolve against
 * the working directory, so resolve them against the config file first).
 *
 * @throws Error naming the file when it is missing, not JSON, or invalid (see {@link parseTaxonomy}).
 */
export function loadTaxonomy(idOrPath: string): Taxonomy {
  const isPath = idOrPath.includes('/') || idOrPath.includes('\\') || idOrPath.endsWith('.json');
  if (!isPath && !/^[a-z0-9][a-z0-9._-]*$/i.test(idOrPath)) throw new Error(`invalid taxonomy id "${idOrPath}"`);
  const file = isPath ? idOrPath : join(TAXONOMIES_DIR, `${idOrPath}.json`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(
        isPath
          ? `taxonomy file ${file} does not exist`
          : `unknown taxonomy "${idOrPath}": no file models/taxonomies/${idOrPath}.json (shipped: coco, rdd2022)`,
      );
    }
    throw new Error(`cannot read taxonomy ${file}: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`taxonomy ${file} is not valid JSON: ${(err as Error).message}`);
  }
  return parseTaxonomy(value, file);
}

/**
 * The city category of one detection.
 *
 * @param label the model's class name (`couch`, `D40`), matched ignoring case and surrounding spaces.
 * @param score detection confidence 0..1.
 * @returns the category and its rule, or `undefined` when the label is in no category or `score`
 *   is below the category's `minScore`.
 *
 * @example
 * categorize('couch', 0.8, loadTaxonomy('coco'))
 * // { category: 'dumping.furniture.couch', rule: { minScore: 0.5, minFrames: 3, mergeRadiusM: 30, ... } }
 */
export function categorize(label: string, score: number, taxonomy: Taxonomy): Categorization | undefined {
  let index = labelIndex.get(taxonomy);
  if (!index) {
    // A taxonomy built in code rather than through parseTaxonomy: validate and index it once.
    parseTaxonomy(taxonomy);
    index = labelIndex.get(taxonomy)!;
  }
  const category = index.get(normalizeLabel(label));
  if (category === undefined) return undefined;
  const entry = taxonomy.categories[category]!;
  if (!(score >= entry.minScore)) return undefined;
  const { minScore, minFrames, mergeRadiusM, raisesIncident, reopenResolved } = entry;
  return { category, rule: { minScore, minFrames, mergeRadiusM, raisesIncident, reopenResolved } };
}

/**
 * Whether an object seen in `hits` frames passes a rule's `minFrames` gate. Video pipelines pass
 * the track's hit count; still-image sources pass `'still'`: a still frame has no track, so the
 * gate is 1 and every categorised detection passes.
 */
export function meetsMinFrames(rule: CategoryRule, hits: number | 'still'): boolean {
  return hits === 'still' ? true : hits >= rule.minFrames;
}

/**
 * Taxonomy labels the model never emits (typically a misspelt label, or a taxonomy meant for
 * another model); an empty array when every taxonomy label is among `modelLabels`.
 * Compared ignoring case and surrounding spaces.
 */
export function unknownTaxonomyLabels(taxonomy: Taxonomy, modelLabels: readonly string[]): string[] {
  const known = new Set(modelLabels.map(normalizeLabel));
  return Object.values(taxonomy.categories)
    .flatMap((c) => c.labels)
    .filter((l) => !known.has(normalizeLabel(l)));
}

/** Every category whose name equals `prefix` or starts with `prefix.` (e.g. `dumping`, `road.crack`). */
export function categoriesUnder(taxonomy: Taxonomy, prefix: string): string[] {
  return Object.keys(taxonomy.categories).filter((c) => c === prefix || c.startsWith(`${prefix}.`));
}

/** Every taxonomy shipped in `models/taxonomies/` (`coco`, `rdd2022`, ...), by file name. */
export function shippedTaxonomies(): Taxonomy[] {
  return readdirSync(TAXONOMIES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => loadTaxonomy(f.slice(0, -'.json'.length)));
}

/**
 * The rule of `category` in the first of `taxonomies` that defines it (default: the shipped ones),
 * for a consumer that sees only an observation's category, e.g. the central incident merge.
 * @returns `undefined` for a category none of them defines (a device's own taxonomy file).
 */
export function ruleForCategory(category: string, taxonomies: readonly Taxonomy[] = shippedTaxonomies()): (CategoryRule & { title: string; taxonomy: string }) | undefined {
  for (const taxonomy of taxonomies) {
    const entry = taxonomy.categories[category];
    if (!entry) continue;
    const { minScore, minFrames, mergeRadiusM, raisesIncident, reopenResolved, title } = entry;
    return { minScore, minFrames, mergeRadiusM, raisesIncident, reopenResolved, title, taxonomy: taxonomy.id };
  }
  return undefined;
}
