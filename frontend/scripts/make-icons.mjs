// Draws the PWA icons as real PNGs with nothing but node:zlib: a blue tile with a white baton in flight. Run with `npm run icons`; the output is committed under public/icons/.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { deflateSync } from "node:zlib";

const out = join(dirname(fileURLToPath(import.meta.url)), "../public/icons");

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}
function png(size, pixel) {
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y += 1) {
    raw[y * (size * 4 + 1)] = 0; // filter: none
    for (let x = 0; x < size; x += 1) {
      const [r, g, b, a] = pixel(x, y);
      const i = y * (size * 4 + 1) + 1 + x * 4;
      raw[i] = r;
      raw[i + 1] = g;
      raw[i + 2] = b;
      raw[i + 3] = a;
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(raw, { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

const clamp01 = (v) => Math.min(1, Math.max(0, v));
// Signed distances in unit coordinates (0..1); negative inside.
const roundedBox = (x, y, half, radius) => {
  const qx = Math.abs(x - 0.5) - half + radius;
  const qy = Math.abs(y - 0.5) - half + radius;
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - radius;
};
const segment = (x, y, ax, ay, bx, by, r) => {
  const px = x - ax, py = y - ay, dx = bx - ax, dy = by - ay;
  const t = clamp01((px * dx + py * dy) / (dx * dx + dy * dy));
  return Math.hypot(px - dx * t, py - dy * t) - r;
};

function icon(size, { maskable }) {
  const aa = 1.2 / size;
  const scale = maskable ? 0.72 : 0.86; // maskable art stays inside the 80 % safe zone
  return png(size, (px, py) => {
    const x = (px + 0.5) / size;
    const y = (py + 0.5) / size;
    const tile = maskable ? -1 : roundedBox(x, y, 0.47, 0.2);
    const tileA = clamp01(0.5 - tile / aa);
    if (tileA <= 0) return [0, 0, 0, 0];
    // Background: a diagonal blue gradient.
    const t = clamp01((x + y) / 2);
    let r = 29 + (37 - 29) * t, g = 78 + (99 - 78) * t, b = 216 + (235 - 216) * t;
    // Art in local coordinates centred on the tile.
    const ux = 0.5 + (x - 0.5) / scale;
    const uy = 0.5 + (y - 0.5) / scale;
    // A baton in flight: a capsule with a band, and three speed lines trailing behind it.
    const baton = segment(ux, uy, 0.4, 0.6, 0.72, 0.28, 0.085);
    const along = ((ux - 0.4) * 0.32 + (uy - 0.6) * -0.32) / (2 * 0.32 * 0.32); // 0 at one end, 1 at the other
    const onBand = Math.abs(along - 0.62) < 0.07 && baton < -0.022 ? 1 : 0;
    const speed = Math.min(
      segment(ux, uy, 0.16, 0.62, 0.3, 0.48, 0.028),
      segment(ux, uy, 0.22, 0.78, 0.36, 0.64, 0.028),
      segment(ux, uy, 0.38, 0.84, 0.44, 0.78, 0.028),
    );
    const art = onBand ? 0.02 : Math.min(baton, speed);
    const artA = clamp01(0.5 - art / (aa / scale));
    r = r + (255 - r) * artA;
    g = g + (255 - g) * artA;
    b = b + (255 - b) * artA;
    return [Math.round(r), Math.round(g), Math.round(b), Math.round(255 * tileA)];
  });
}

mkdirSync(out, { recursive: true });
for (const [name, size, maskable] of [
  ["icon-192.png", 192, false],
  ["icon-512.png", 512, false],
  ["icon-maskable-512.png", 512, true],
]) {
  writeFileSync(join(out, name), icon(size, { maskable }));
}
