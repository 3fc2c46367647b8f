import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  categoriesUnder,
  categorize,
  loadModelManifest,
  loadTaxonomy,
  meetsMinFrames,
  parseTaxonomy,
  ruleForCategory,
  shippedTaxonomies,
  unknownTaxonomyLabels,
  type Taxonomy,
} from '../src';

const coco = loadTaxonomy('coco');
const rdd = loadTaxonomy('rdd2022');

describe('shipped COCO taxonomy', () => {
  it('maps a couch to dumping with its incident rule', () => {
    expect(categorize('couch', 0.8, coco)).toEqual({
      category: 'dumping.furniture.couch',
      rule: { minScore: 0.5, minFrames: 3, mergeRadiusM: 30, raisesIncident: true, reopenResolved: true },
    });
  });

  it('maps every issue-listed label to the expected branch', () => {
    const branch = (label: string) => categorize(label, 0.99, coco)?.category.split('.')[0];
    for (const l of ['person', 'bicycle', 'car', 'motorcycle', 'bus', 'truck']) expect(branch(l)).toBe('traffic');
    for (const l of ['traffic light', 'stop sign', 'fire hydrant', 'parking meter', 'bench']) expect(branch(l)).toBe('asset');
    for (const l of ['couch', 'chair', 'bed', 'refrigerator', 'tv', 'suitcase', 'toilet', 'oven', 'microwave']) {
      expect(branch(l)).toBe('dumping');
      expect(categorize(l, 0.99, coco)?.rule.raisesIncident).toBe(true);
    }
  });

  it('never raises incidents for traffic or street assets', () => {
    for (const name of [...categoriesUnder(coco, 'traffic'), ...categoriesUnder(coco, 'asset')]) {
      expect(coco.categories[name]!.raisesIncident).toBe(false);
    }
    expect(categoriesUnder(coco, 'traffic')).toHaveLength(6);
    expect(categoriesUnder(coco, 'asset')).toHaveLength(5);
    expect(categoriesUnder(coco, 'dumping')).toHaveLength(9);
    expect(categoriesUnder(coco, 'dumping.furniture')).toEqual([
      'dumping.furniture.couch',
      'dumping.furniture.chair',
      'dumping.furniture.bed',
    ]);
  });

  it('leaves labels outside the taxonomy uncategorised', () => {
    expect(categorize('giraffe', 0.99, coco)).toBeUndefined();
    expect(categorize('no such label', 0.99, coco)).toBeUndefined();
  });

  it('drops detections below the category minScore, keeps those at it', () => {
    expect(categorize('couch', 0.49, coco)).toBeUndefined();
    expect(categorize('couch', 0.5, coco)?.category).toBe('dumping.furniture.couch');
    expect(categorize('chair', 0.55, coco)).toBeUndefined(); // chairs need 0.6: café terraces
    expect(categorize('couch', Number.NaN, coco)).toBeUndefined();
  });

  it('matches labels ignoring case and surrounding spaces', () => {
    expect(categorize(' Fire Hydrant ', 0.9, coco)?.category).toBe('asset.fire_hydrant');
  });

  it('uses only labels the YOLOX-Nano manifest emits, and the manifest names it', () => {
    const manifest = loadModelManifest('yolox-nano');
    expect(manifest.taxonomy).toBe('coco');
    expect(unknownTaxonomyLabels(coco, manifest.labels)).toEqual([]);
  });
});

describe('shipped RDD2022 taxonomy', () => {
  it('maps the four RDD2022 classes to road categories', () => {
    expect(categorize('D40', 0.7, rdd)).toEqual({
      category: 'road.pothole',
      rule: { minScore: 0.4, minFrames: 2, mergeRadiusM: 10, raisesIncident: true, reopenResolved: true },
    });
    expect(categorize('D00', 0.7, rdd)?.category).toBe('road.crack.longitudinal');
    expect(categorize('D10', 0.7, rdd)?.category).toBe('road.crack.transverse');
    expect(categorize('D20', 0.7, rdd)?.category).toBe('road.crack.alligator');
    expect(categorize('pothole', 0.7, rdd)?.category).toBe('road.pothole');
    expect(categoriesUnder(rdd, 'road.crack')).toHaveLength(3);
  });

  it('covers the class names of the RDD2022 fixture labels', () => {
    expect(unknownTaxonomyLabels(rdd, ['D00', 'D10', 'D20', 'D40']).sort()).toEqual([
      'alligator crack',
      'longitudinal crack',
      'pothole',
      'transverse crack',
    ]);
  });

  it('does not categorise COCO labels', () => {
    expect(categorize('couch', 0.99, rdd)).toBeUndefined();
  });
});

describe('minFrames gate', () => {
  const rule = categorize('couch', 0.9, coco)!.rule;
  it('lets every still frame through and makes tracks wait for minFrames hits', () => {
    expect(meetsMinFrames(rule, 'still')).toBe(true);
    expect(meetsMinFrames(rule, 2)).toBe(false);
    expect(meetsMinFrames(rule, 3)).toBe(true);
  });
});

describe('invalid taxonomies', () => {
  const valid = (): Taxonomy => JSON.parse(JSON.stringify(rdd)) as Taxonomy;

  it('names the field of an out-of-range rule value', () => {
    const t = valid() as unknown as { categories: Record<string, { minScore: unknown }> };
    t.categories['road.pothole']!.minScore = 1.5;
    expect(() => parseTaxonomy(t, 'mine.json')).toThrow(/taxonomy mine\.json: .*\/categories\/road\.pothole\/minScore.*1/);
  });

  it('names a missing rule field', () => {
    const t = valid() as unknown as { categories: Record<string, Record<string, unknown>> };
    delete t.categories['road.pothole']!.mergeRadiusM;
    expect(() => parseTaxonomy(t, 'mine.json')).toThrow(/road\.pothole.*mergeRadiusM/);
  });

  it('rejects a wrongly typed flag and an unknown field', () => {
    const t = valid() as unknown as { categories: Record<string, Record<string, unknown>> };
    t.categories['road.pothole']!.raisesIncident = 'yes';
    expect(() => parseTaxonomy(t)).toThrow(/raisesIncident/);
    const u = valid() as unknown as { categories: Record<string, Record<string, unknown>> };
    u.categories['road.pothole']!.minScor = 0.3;
    expect(() => parseTaxonomy(u)).toThrow(/road\.pothole/);
  });

  it('rejects a category name that is not lower-case dot-separated', () => {
    const t = valid() as unknown as { categories: Record<string, unknown> };
    t.categories['Road Pothole'] = t.categories['road.pothole'];
    delete t.categories['road.pothole'];
    expect(() => parseTaxonomy(t)).toThrow(/\/categories\/Road Pothole: a category name is lower-case dot-separated/);
  });

  it('rejects a label mapped to two categories', () => {
    const t = valid();
    t.categories['road.crack.alligator']!.labels.push('d40');
    expect(() => parseTaxonomy(t, 'mine.json')).toThrow(/label "d40" is already mapped to "road\.pothole"|label "D40"/);
  });

  it('says which file is missing or not JSON', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'taxonomy-'));
    expect(() => loadTaxonomy(join(dir, 'none.json'))).toThrow(/none\.json does not exist/);
    await writeFile(join(dir, 'broken.json'), '{"id": "x",');
    expect(() => loadTaxonomy(join(dir, 'broken.json'))).toThrow(/broken\.json is not valid JSON/);
    expect(() => loadTaxonomy('nope')).toThrow(/unknown taxonomy "nope".*coco, rdd2022/);
  });

  it('loads a user taxonomy file by path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'taxonomy-'));
    const file = join(dir, 'signs.json');
    await writeFile(
      file,
      JSON.stringify({
        id: 'signs',
        name: 'damaged signs',
        categories: {
          'asset.sign.damaged': { title: 'Damaged sign', labels: ['bent sign'], minScore: 0.5, minFrames: 2, mergeRadiusM: 12, raisesIncident: true, reopenResolved: false },
        },
      }),
    );
    const t = loadTaxonomy(file);
    expect(categorize('bent sign', 0.6, t)).toEqual({
      category: 'asset.sign.damaged',
      rule: { minScore: 0.5, minFrames: 2, mergeRadiusM: 12, raisesIncident: true, reopenResolved: false },
    });
  });
});

describe('ruleForCategory (what the central side sees: a category name)', () => {
  it('finds the rule of a category in the shipped taxonomies', () => {
    expect(shippedTaxonomies().map((t) => t.id)).toEqual(['coco', 'rdd2022']);
    expect(ruleForCategory('road.pothole')).toEqual({
      minScore: 0.4, minFrames: 2, mergeRadiusM: 10, raisesIncident: true, reopenResolved: true, title: 'Pothole', taxonomy: 'rdd2022',
    });
    expect(ruleForCategory('dumping.furniture.couch')?.mergeRadiusM).toBe(30);
    expect(ruleForCategory('dumping')).toBeUndefined();
    expect(ruleForCategory('no.such.category')).toBeUndefined();
  });

  it('has no category name defined twice across the shipped taxonomies', () => {
    const names = shippedTaxonomies().flatMap((t) => Object.keys(t.categories));
    expect(new Set(names).size).toBe(names.length);
  });
});
