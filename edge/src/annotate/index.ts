/**
 * Annotation: what the pipeline saw, drawn onto the frames and written as a video to check by eye.
 *
 * - `overlay.ts`      — {@link annotateFrame}: boxes + track ids, lines with IN side and counts, zones (SVG via sharp)
 * - `video-writer.ts` — {@link VideoWriter}: raw RGB frames → ffmpeg → MP4 (libx264, else mpeg4)
 */
export { annotateFrame, overlaySvg } from './overlay';
export type { OverlayContent } from './overlay';
export { VideoWriter, ffmpegEncoders } from './video-writer';
export type { VideoWriterOptions } from './video-writer';
