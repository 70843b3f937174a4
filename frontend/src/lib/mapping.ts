/**
 * Tap → page coordinates.
 *
 * The phone shows a capture of the agent's viewport scaled to the phone's width. A tap at (clientX, clientY)
 * inside the displayed image's box is first normalised (u, v ∈ [0, 1]), then turned into image pixels and
 * divided by the capture scale s (image pixels per CSS pixel of the page):
 *
 *   x_css = u · naturalWidth / s,   y_css = v · naturalHeight / s
 *
 * s is the viewport's device scale factor for a `scale: "device"` capture (image = viewport × dsf) and 1 for
 * a `scale: "css"` capture (image = viewport); any other size falls back to naturalWidth / viewport.width.
 * The result is clamped to the viewport and rounded to 0.1 px; the agent clicks there with page.mouse.
 */

export interface Viewport {
  width: number;
  height: number;
  device_scale_factor?: number;
}

export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface ImageSize {
  naturalWidth: number;
  naturalHeight: number;
}

export interface PagePoint {
  x: number;
  y: number;
}

const round1 = (n: number): number => Math.round(n * 10) / 10;
const clamp = (n: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, n));

export function captureScale(viewport: Viewport, image: ImageSize): number {
  const dsf = viewport.device_scale_factor && viewport.device_scale_factor > 0 ? viewport.device_scale_factor : 1;
  if (!image.naturalWidth || !viewport.width) return dsf;
  if (Math.abs(image.naturalWidth - viewport.width * dsf) <= 1) return dsf;
  if (Math.abs(image.naturalWidth - viewport.width) <= 1) return 1;
  return image.naturalWidth / viewport.width;
}

/** Page CSS pixels for a tap, or null when the tap fell outside the displayed image. */
export function tapToPage(
  clientX: number,
  clientY: number,
  box: Box,
  viewport: Viewport,
  image: ImageSize,
): PagePoint | null {
  if (box.width <= 0 || box.height <= 0) return null;
  const u = (clientX - box.left) / box.width;
  const v = (clientY - box.top) / box.height;
  if (u < 0 || u > 1 || v < 0 || v > 1) return null;
  const s = captureScale(viewport, image);
  const width = image.naturalWidth || viewport.width * s;
  const height = image.naturalHeight || viewport.height * s;
  return {
    x: round1(clamp((u * width) / s, 0, viewport.width)),
    y: round1(clamp((v * height) / s, 0, viewport.height)),
  };
}

/** Where to draw a marker for a page point, as percentages of the displayed image (inverse mapping). */
export function pageToPercent(point: PagePoint, viewport: Viewport, image: ImageSize): { left: number; top: number } {
  const s = captureScale(viewport, image);
  const width = (image.naturalWidth || viewport.width * s) / s;
  const height = (image.naturalHeight || viewport.height * s) / s;
  return { left: (point.x / width) * 100, top: (point.y / height) * 100 };
}
