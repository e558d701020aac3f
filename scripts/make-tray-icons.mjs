#!/usr/bin/env node
// Draws keyrot's tray icons (one per tray state) and writes them to assets/tray/ as PNG (Linux, macOS)
// and ICO (Windows). Pure Node (node:zlib), deterministic: running it twice gives identical bytes.
// Each state has its own glyph as well as its own colour, so the states differ without colour vision:
//   healthy = key, due-soon = clock, action-needed = "!", rotating = circular arrow.
// Usage: node scripts/make-tray-icons.mjs [outDir]
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.resolve(process.argv[2] ?? path.join(root, 'assets', 'tray'));

/** Disc colour and glyph per tray state (coordinates are fractions of the icon size). */
const STATES = {
  healthy: { fill: [0x2e, 0x9e, 0x4f], glyph: key },
  'due-soon': { fill: [0xd9, 0x82, 0x00], glyph: clock },
  'action-needed': { fill: [0xd9, 0x30, 0x25], glyph: exclamation },
  rotating: { fill: [0x1a, 0x73, 0xe8], glyph: rotatingArrow },
};
const PNG_SIZE = 32;
const ICO_SIZES = [16, 24, 32, 48];
const SUPERSAMPLE = 4;

// --- geometry: each primitive answers "is the point (x, y) inside?" -----------------------------
function capsule(ax, ay, bx, by, width) {
  return (x, y) => {
    const dx = bx - ax;
    const dy = by - ay;
    const t = Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)));
    return Math.hypot(x - (ax + t * dx), y - (ay + t * dy)) <= width / 2;
  };
}
function disc(cx, cy, r) {
  return (x, y) => Math.hypot(x - cx, y - cy) <= r;
}
function ring(cx, cy, r, width, fromDeg = 0, toDeg = 360) {
  return (x, y) => {
    const d = Math.hypot(x - cx, y - cy);
    if (Math.abs(d - r) > width / 2) return false;
    // Angles run clockwise from 12 o'clock, as on a clock face.
    const angle = ((Math.atan2(x - cx, cy - y) * 180) / Math.PI + 360) % 360;
    return angle >= fromDeg && angle <= toDeg;
  };
}
function triangle(p1, p2, p3) {
  const sign = (a, b, c) => (a[0] - c[0]) * (b[1] - c[1]) - (b[0] - c[0]) * (a[1] - c[1]);
  return (x, y) => {
    const p = [x, y];
    const d1 = sign(p, p1, p2);
    const d2 = sign(p, p2, p3);
    const d3 = sign(p, p3, p1);
    return !((d1 < 0 || d2 < 0 || d3 < 0) && (d1 > 0 || d2 > 0 || d3 > 0));
  };
}
const union =
  (...shapes) =>
  (x, y) =>
    shapes.some((shape) => shape(x, y));

// --- glyphs --------------------------------------------------------------------------------------
function key() {
  return union(
    ring(0.34, 0.5, 0.115, 0.09),
    capsule(0.45, 0.5, 0.8, 0.5, 0.09),
    capsule(0.72, 0.5, 0.72, 0.66, 0.085),
    capsule(0.62, 0.5, 0.62, 0.62, 0.085),
  );
}
function clock() {
  return union(
    ring(0.5, 0.5, 0.26, 0.085),
    capsule(0.5, 0.5, 0.5, 0.32, 0.08),
    capsule(0.5, 0.5, 0.63, 0.57, 0.08),
  );
}
function exclamation() {
  return union(capsule(0.5, 0.25, 0.5, 0.56, 0.12), disc(0.5, 0.74, 0.07));
}
function rotatingArrow() {
  // An arc from 60° round to 330°, with an arrowhead at its start pointing clockwise.
  const r = 0.25;
  const at = (deg) => [0.5 + r * Math.sin((deg * Math.PI) / 180), 0.5 - r * Math.cos((deg * Math.PI) / 180)];
  const [hx, hy] = at(40);
  const [bx, by] = at(72);
  const nx = (bx - 0.5) / r;
  const ny = (by - 0.5) / r;
  return union(
    ring(0.5, 0.5, r, 0.085, 72, 340),
    triangle([bx + nx * 0.12, by + ny * 0.12], [bx - nx * 0.12, by - ny * 0.12], [hx, hy]),
  );
}

// --- raster ----------------------------------------------------------------------------------------
/** RGBA pixels (row-major, top row first) of one state's icon at `size` × `size`. */
function render(state, size) {
  const { fill, glyph } = STATES[state];
  const inGlyph = glyph();
  const inDisc = disc(0.5, 0.5, 0.47);
  const inBorder = (x, y) => inDisc(x, y) && !disc(0.5, 0.5, 0.47 - 1.2 / size)(x, y);
  const border = fill.map((c) => Math.round(c * 0.6));
  const pixels = Buffer.alloc(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let sy = 0; sy < SUPERSAMPLE; sy++) {
        for (let sx = 0; sx < SUPERSAMPLE; sx++) {
          const x = (px + (sx + 0.5) / SUPERSAMPLE) / size;
          const y = (py + (sy + 0.5) / SUPERSAMPLE) / size;
          if (!inDisc(x, y)) continue;
          const colour = inGlyph(x, y) ? [255, 255, 255] : inBorder(x, y) ? border : fill;
          r += colour[0];
          g += colour[1];
          b += colour[2];
          a += 1;
        }
      }
      const offset = (py * size + px) * 4;
      if (a > 0) {
        pixels[offset] = Math.round(r / a);
        pixels[offset + 1] = Math.round(g / a);
        pixels[offset + 2] = Math.round(b / a);
      }
      pixels[offset + 3] = Math.round((255 * a) / (SUPERSAMPLE * SUPERSAMPLE));
    }
  }
  return pixels;
}

// --- PNG -------------------------------------------------------------------------------------------
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buffer) {
  let c = 0xffffffff;
  for (const byte of buffer) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}
function encodePng(pixels, size) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // RGBA
  // Each row is prefixed with filter type 0 (none).
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) pixels.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// --- ICO (32-bit BMP entries, which every Windows version loads) -------------------------------------
function bmpEntry(pixels, size) {
  const header = Buffer.alloc(40);
  const maskRow = Math.ceil(size / 32) * 4;
  header.writeUInt32LE(40, 0);
  header.writeInt32LE(size, 4);
  header.writeInt32LE(size * 2, 8); // colour rows + AND-mask rows
  header.writeUInt16LE(1, 12);
  header.writeUInt16LE(32, 14);
  header.writeUInt32LE(size * size * 4 + maskRow * size, 20);
  const bgra = Buffer.alloc(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const from = (y * size + x) * 4;
      const to = ((size - 1 - y) * size + x) * 4; // bottom-up
      bgra[to] = pixels[from + 2];
      bgra[to + 1] = pixels[from + 1];
      bgra[to + 2] = pixels[from];
      bgra[to + 3] = pixels[from + 3];
    }
  }
  return Buffer.concat([header, bgra, Buffer.alloc(maskRow * size)]);
}
function encodeIco(state) {
  const images = ICO_SIZES.map((size) => ({ size, data: bmpEntry(render(state, size), size) }));
  const dir = Buffer.alloc(6 + 16 * images.length);
  dir.writeUInt16LE(1, 2); // type: icon
  dir.writeUInt16LE(images.length, 4);
  let offset = dir.length;
  images.forEach(({ size, data }, i) => {
    const at = 6 + 16 * i;
    dir[at] = size;
    dir[at + 1] = size;
    dir.writeUInt16LE(1, at + 4);
    dir.writeUInt16LE(32, at + 6);
    dir.writeUInt32LE(data.length, at + 8);
    dir.writeUInt32LE(offset, at + 12);
    offset += data.length;
  });
  return Buffer.concat([dir, ...images.map((image) => image.data)]);
}

mkdirSync(outDir, { recursive: true });
for (const state of Object.keys(STATES)) {
  writeFileSync(path.join(outDir, `${state}.png`), encodePng(render(state, PNG_SIZE), PNG_SIZE));
  writeFileSync(path.join(outDir, `${state}.ico`), encodeIco(state));
}
process.stdout.write(`wrote ${Object.keys(STATES).length * 2} icons to ${path.relative(root, outDir)}/\n`);
