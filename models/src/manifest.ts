import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** Folder holding the shipped manifests (`models/manifests`). */
export const MANIFESTS_DIR = fileURLToPath(new URL('../manifests/', import.meta.url));

/** Output layout a decoder understands; one decoder per family (see `edge/src/vision/decoders`). */
export type ModelFamily = 'yolox' | 'ultralytics' | 'yolov5' | 'end2end';

/** A file pinned by content: where to get it and the bytes it must have. */
export interface PinnedFile {
  /** File name inside a models/samples folder or the cache. */
  file: string;
  /** Public, immutable download address. */
  url: string;
  /** Lower-case hex SHA-256 of the file's bytes. */
  sha256: string;
  /** Size in bytes. */
  bytes: number;
  license: string;
}

/**
 * Everything needed to run a detector exactly as it was trained: input geometry, channel order,
 * normalisation, letterbox, output family and labels. Stored as `models/manifests/<id>.json`.
 */
export interface ModelManifest extends PinnedFile {
  id: string;
  name: string;
  family: ModelFamily;
  /** Paper or upstream project the weights and the decode come from. */
  source: string;
  input: {
    /** ONNX input name. */
    name: string;
    /** Network input size in pixels. */
    width: number;
    height: number;
    layout: 'NCHW';
    channelOrder: 'RGB' | 'BGR';
    /** Pixel value v (0..255) enters the network as `(v * scale - mean[c]) / std[c]`. */
    scale: number;
    mean: [number, number, number];
    std: [number, number, number];
    /** Resize keeping aspect ratio `r = min(W / w, H / h)`, place at `align`, pad with `padValue`. */
    letterbox: { align: 'top-left' | 'center'; padValue: number };
  };
  output: {
    /** ONNX output name. */
    name: string;
    /** Grid strides for grid-based families (YOLOX: 8, 16, 32). */
    strides?: number[];
  };
  /** Default thresholds: minimum score and NMS IoU. */
  defaults: { score: number; iou: number };
  /** Class names indexed by class id. */
  labels: string[];
  /**
   * Taxonomy mapping `labels` to city categories: a shipped id (`coco`, `rdd2022` →
   * `models/taxonomies/<id>.json`) or a path; see `loadTaxonomy`. Absent: observations carry no category.
   */
  taxonomy?: string;
}

/** A list of sample frames pinned by content (`models/manifests/samples.json`). */
export interface SamplesManifest {
  id: string;
  description: string;
  files: PinnedFile[];
}

/**
 * Reads the model manifest `models/manifests/<id>.json`.
 * @throws Error naming the available ids when there is no such manifest.
 */
export function loadModelManifest(id: string): ModelManifest {
  if (!/^[a-z0-9][a-z0-9._-]*$/i.test(id)) throw new Error(`invalid model id "${id}"`);
  try {
    return JSON.parse(readFileSync(join(MANIFESTS_DIR, `${id}.json`), 'utf8')) as ModelManifest;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`unknown model "${id}": no manifest models/manifests/${id}.json (known: yolox-nano)`);
    }
    throw err;
  }
}

/** Reads the demo's sample frames manifest. */
export function loadSamplesManifest(): SamplesManifest {
  return JSON.parse(readFileSync(join(MANIFESTS_DIR, 'samples.json'), 'utf8')) as SamplesManifest;
}
