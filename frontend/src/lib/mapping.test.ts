import { describe, expect, it } from "vitest";

import { captureScale, pageToPercent, tapToPage } from "./mapping";

const box = { left: 0, top: 100, width: 360, height: 225 }; // 1280×800 shown at 360 px wide

describe("captureScale", () => {
  it("is the device scale factor for a device-pixel capture", () => {
    expect(captureScale({ width: 1280, height: 800, device_scale_factor: 2 }, { naturalWidth: 2560, naturalHeight: 1600 })).toBe(2);
  });
  it("is 1 for a CSS-pixel capture even on a high-density page", () => {
    expect(captureScale({ width: 1280, height: 800, device_scale_factor: 2 }, { naturalWidth: 1280, naturalHeight: 800 })).toBe(1);
  });
  it("falls back to the width ratio for a resized image", () => {
    expect(captureScale({ width: 1280, height: 800, device_scale_factor: 1 }, { naturalWidth: 640, naturalHeight: 400 })).toBe(0.5);
  });
  it("uses the device scale factor before the image has loaded", () => {
    expect(captureScale({ width: 390, height: 844, device_scale_factor: 3 }, { naturalWidth: 0, naturalHeight: 0 })).toBe(3);
  });
});

describe("tapToPage", () => {
  const viewport = { width: 1280, height: 800, device_scale_factor: 1 };
  const image = { naturalWidth: 1280, naturalHeight: 800 };

  it("maps the centre of the image to the centre of the viewport", () => {
    expect(tapToPage(180, 212.5, box, viewport, image)).toEqual({ x: 640, y: 400 });
  });
  it("maps the corners to the viewport's corners", () => {
    expect(tapToPage(0, 100, box, viewport, image)).toEqual({ x: 0, y: 0 });
    expect(tapToPage(360, 325, box, viewport, image)).toEqual({ x: 1280, y: 800 });
  });
  it("gives the same CSS point whatever the capture's pixel density", () => {
    const dense = { naturalWidth: 2560, naturalHeight: 1600 };
    const hiDpi = { width: 1280, height: 800, device_scale_factor: 2 };
    expect(tapToPage(90, 156.25, box, hiDpi, dense)).toEqual({ x: 320, y: 200 });
    expect(tapToPage(90, 156.25, box, hiDpi, { naturalWidth: 1280, naturalHeight: 800 })).toEqual({ x: 320, y: 200 });
  });
  it("rounds to a tenth of a pixel", () => {
    const point = tapToPage(100, 150, box, viewport, image);
    expect(point).toEqual({ x: 355.6, y: 177.8 });
  });
  it("ignores taps outside the image", () => {
    expect(tapToPage(-1, 150, box, viewport, image)).toBeNull();
    expect(tapToPage(100, 99, box, viewport, image)).toBeNull();
    expect(tapToPage(100, 326, box, viewport, image)).toBeNull();
    expect(tapToPage(1, 1, { left: 0, top: 0, width: 0, height: 0 }, viewport, image)).toBeNull();
  });
  it("clamps a full-page capture to the viewport", () => {
    const tall = { naturalWidth: 1280, naturalHeight: 3200 };
    const tallBox = { left: 0, top: 0, width: 360, height: 900 };
    expect(tapToPage(360, 900, tallBox, viewport, tall)).toEqual({ x: 1280, y: 800 });
  });
  it("round-trips through pageToPercent", () => {
    const point = tapToPage(270, 250, box, viewport, image)!;
    const at = pageToPercent(point, viewport, image);
    expect(at.left).toBeCloseTo(75, 1);
    expect(at.top).toBeCloseTo(66.7, 1);
  });
});
