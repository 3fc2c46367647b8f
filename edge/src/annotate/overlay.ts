/**
 * Frame annotation: draws what the pipeline saw onto a frame — boxes with track id and class,
 * counting lines with their IN side and running counts, zones — so a person can check the counts
 * by eye (`sightline count --annotate out.mp4`).
 *
 * The drawing is one SVG the size of the frame, composited over the raw RGB pixels by sharp
 * (librsvg renders it), in the frame's own pixel coordinates:
 *
 * ```
 *  ┌──────────────────────────────────────┐
 *  │ line-1  in 12  out 9                 │   running counts per line, top-left
 *  │         ┌──────┐                     │
 *  │         │ #7 car│  ← tracked box: colour by track id, label "#id class"
 *  │  ●━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━▶●  │   line start ● … ▶ end, "IN" on its left side
 *  │      ┌ ─ ─ ┐  ← lost track (predicted): dashed                    │
 *  └──────────────────────────────────────┘
 * ```
 */
import sharp from 'sharp';
import type { DecodedImage } from '../vision/preprocess/decode';
import type { Track } from '../tracking/index';
import type { CountingLine, LineCounts, ZoneSpec } from '../analytics/index';

/** What to draw on one frame. */
export interface OverlayContent {
  /** Tracks of the frame (`'lost'` ones are drawn dashed). */
  tracks: readonly Track[];
  /** Counting lines with their counts so far. */
  lines?: ReadonlyArray<{ line: CountingLine; counts?: LineCounts }>;
  zones?: readonly ZoneSpec[];
  /** Line ids that counted a crossing in this frame (drawn highlighted). */
  flash?: ReadonlySet<string>;
  /** Free text, bottom-left (e.g. frame index and time). */
  caption?: string;
}

const PALETTE = ['#e6194b', '#3cb44b', '#ffe119', '#4363d8', '#f58231', '#911eb4', '#46f0f0', '#f032e6', '#bcf60c', '#fabebe', '#008080', '#e6beff'];

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const n = (v: number) => Math.round(v * 10) / 10;

/**
 * The overlay as an SVG document in frame coordinates (`width`×`height`), rendered at
 * `pixelWidth`×`pixelHeight` (default the same; differs when the pixels were scaled).
 */
export function overlaySvg(width: number, height: number, content: OverlayContent, pixelWidth = width, pixelHeight = height): string {
  const font = Math.max(8, Math.round(Math.min(width, height) / 26));
  const stroke = Math.max(1, Math.round(Math.min(width, height) / 240));
  const parts: string[] = [];
  for (const zone of content.zones ?? []) {
    const pts = zone.polygon.map(([x, y]) => `${n(x)},${n(y)}`).join(' ');
    parts.push(`<polygon points="${pts}" fill="#00ffff" fill-opacity="0.12" stroke="#00ffff" stroke-width="${stroke}"/>`);
  }
  for (const { line } of content.lines ?? []) {
    const [x1, y1] = line.start;
    const [x2, y2] = line.end;
    const hot = content.flash?.has(line.id);
    const colour = hot ? '#ff3030' : '#ffff00';
    parts.push(`<line x1="${n(x1)}" y1="${n(y1)}" x2="${n(x2)}" y2="${n(y2)}" stroke="${colour}" stroke-width="${stroke * (hot ? 3 : 2)}"/>`);
    parts.push(`<circle cx="${n(x1)}" cy="${n(y1)}" r="${stroke * 2}" fill="${colour}"/>`);
    // "IN" on the left side of start→end (the side objects move *to* when counted IN).
    const len = Math.hypot(x2 - x1, y2 - y1) || 1;
    const [nx, ny] = [(y2 - y1) / len, -(x2 - x1) / len];
    const mx = (x1 + x2) / 2 + nx * font;
    const my = (y1 + y2) / 2 + ny * font;
    parts.push(`<text x="${n(mx)}" y="${n(my)}" font-size="${font}" fill="${colour}" text-anchor="middle" dominant-baseline="middle" font-family="DejaVu Sans, sans-serif" font-weight="bold">IN ${esc(line.id)}</text>`);
  }
  for (const t of content.tracks) {
    const [x1, y1, x2, y2] = t.box;
    const colour = PALETTE[t.id % PALETTE.length]!;
    const dash = t.state === 'lost' ? ` stroke-dasharray="${stroke * 3},${stroke * 2}"` : '';
    parts.push(`<rect x="${n(x1)}" y="${n(y1)}" width="${n(x2 - x1)}" height="${n(y2 - y1)}" fill="none" stroke="${colour}" stroke-width="${stroke}"${dash}/>`);
    const label = `#${t.id} ${t.label}`;
    const w = label.length * font * 0.6 + 2;
    const ty = y1 - font - 1 >= 0 ? y1 - font - 1 : y2 + 1;
    parts.push(`<rect x="${n(x1)}" y="${n(ty)}" width="${n(w)}" height="${font + 1}" fill="${colour}" fill-opacity="0.75"/>`);
    parts.push(`<text x="${n(x1 + 1)}" y="${n(ty + font - 1)}" font-size="${font}" fill="#000" font-family="DejaVu Sans Mono, monospace">${esc(label)}</text>`);
  }
  (content.lines ?? []).forEach(({ line, counts }, i) => {
    if (!counts) return;
    const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
    const text = `${line.id}  in ${sum(counts.in)}  out ${sum(counts.out)}`;
    const y = 2 + i * (font + 3);
    parts.push(`<rect x="1" y="${y}" width="${n(text.length * font * 0.6 + 4)}" height="${font + 2}" fill="#000" fill-opacity="0.6"/>`);
    parts.push(`<text x="3" y="${y + font}" font-size="${font}" fill="#fff" font-family="DejaVu Sans Mono, monospace">${esc(text)}</text>`);
  });
  if (content.caption) {
    parts.push(`<rect x="1" y="${height - font - 4}" width="${n(content.caption.length * font * 0.6 + 4)}" height="${font + 2}" fill="#000" fill-opacity="0.6"/>`);
    parts.push(`<text x="3" y="${height - 4}" font-size="${font}" fill="#fff" font-family="DejaVu Sans Mono, monospace">${esc(content.caption)}</text>`);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${pixelWidth}" height="${pixelHeight}" viewBox="0 0 ${width} ${height}" preserveAspectRatio="none">${parts.join('')}</svg>`;
}

/**
 * Draws the overlay onto a frame and returns new raw RGB pixels of the same size (the input is
 * not modified).
 * @param frameSize the frame size the content's coordinates refer to, when the pixels were scaled
 *   (VideoSource `fit`); default the image's size.
 */
export async function annotateFrame(image: DecodedImage, content: OverlayContent, frameSize?: { width: number; height: number }): Promise<Buffer> {
  const svg = Buffer.from(overlaySvg(frameSize?.width ?? image.width, frameSize?.height ?? image.height, content, image.width, image.height));
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .composite([{ input: svg, top: 0, left: 0 }])
    .removeAlpha()
    .raw({ depth: 'uchar' })
    .toBuffer();
}
