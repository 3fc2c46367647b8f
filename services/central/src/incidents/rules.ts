/**
 * The category rules central applies to sightings: merge radius, whether a category raises
 * incidents at all, whether a resolved incident reopens — looked up by category name in the
 * taxonomies central knows (the shipped ones, `models/taxonomies/*.json`, unless configured with
 * `SIGHTLINE_TAXONOMIES`).
 *
 * A category no loaded taxonomy defines (a device using its own taxonomy file that central was not
 * given) raises no incident: its observations are stored with their category but not merged.
 */
import { loadTaxonomy, ruleForCategory, shippedTaxonomies, type CategoryRule, type Taxonomy } from '@sightline/models';

/** A category's rule plus its human title and the taxonomy it came from. */
export type IncidentRule = CategoryRule & { title: string; taxonomy: string; description?: string };

/** One category that raises incidents (an Open311 service). */
export interface IncidentCategory {
  category: string;
  rule: IncidentRule;
}

/** Category → rule lookups over a fixed list of taxonomies, cached. */
export class CategoryRules {
  readonly #taxonomies: readonly Taxonomy[];
  readonly #cache = new Map<string, IncidentRule | undefined>();

  /** @param taxonomies first one defining a category wins (default: the shipped taxonomies). */
  constructor(taxonomies: readonly Taxonomy[] = shippedTaxonomies()) {
    this.#taxonomies = taxonomies;
  }

  /**
   * Rules from taxonomy ids (`coco`) or JSON file paths, e.g. from `SIGHTLINE_TAXONOMIES`.
   * @throws Error naming the taxonomy that cannot be loaded.
   */
  static load(idsOrPaths: readonly string[]): CategoryRules {
    return new CategoryRules(idsOrPaths.map((t) => loadTaxonomy(t)));
  }

  /** The rule of `category`, or `undefined` when no taxonomy defines it. */
  rule(category: string): IncidentRule | undefined {
    if (this.#cache.has(category)) return this.#cache.get(category);
    const found = ruleForCategory(category, this.#taxonomies);
    const description = found ? this.#taxonomies.find((t) => t.id === found.taxonomy)?.categories[category]?.description : undefined;
    const rule = found ? { ...found, ...(description !== undefined ? { description } : {}) } : undefined;
    this.#cache.set(category, rule);
    return rule;
  }

  /** Every category that raises incidents, sorted by name (first definition wins). */
  incidentCategories(): IncidentCategory[] {
    const names = new Set(this.#taxonomies.flatMap((t) => Object.keys(t.categories)));
    return [...names]
      .sort()
      .map((category) => ({ category, rule: this.rule(category)! }))
      .filter((c) => c.rule.raisesIncident);
  }
}
