// Just enough PNG decoding for a screenshot check (8-bit RGB/RGBA, non-interlaced, as Chromium
// writes): how many pixels differ from the page background. Test-only.

import { inflateSync } from 'node:zlib';

export interface PngStats { width: number; height: number; nonBackground: number; distinctColours: number }

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

function chunks(png: Buffer): { ihdr: Buffer; idat: Buffer } {
  if (png.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG');
  let off = 8;
  let ihdr: Buffer | undefined;
  const idat: Buffer[] = [];
  while (off < png.length) {
    const len = png.readUInt32BE(off);
    const type = png.toString('ascii', off + 4, off + 8);
    const data = png.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') ihdr = data;
    if (type === 'IDAT') idat.push(data);
    off += 12 + len;
  }
  if (!ihdr) throw new Error('PNG without IHDR');
  return { ihdr, idat: Buffer.concat(idat) };
}

export function pngStats(png: Buffer): PngStats {
  const { ihdr, idat } = chunks(png);
  const width = ihdr.readUInt32BE(0);
  const height = ihdr.readUInt32BE(4);
  const [depth, colourType, , , interlace] = [ihdr[8], ihdr[9], ihdr[10], ihdr[11], ihdr[12]];
  if (depth !== 8 || (colourType !== 2 && colourType !== 6) || interlace !== 0) throw new Error(`unsupported PNG (depth ${depth}, colour type ${colourType})`);
  const bpp = colourType === 6 ? 4 : 3;
  const raw = inflateSync(idat);
  const stride = width * bpp;
  const prev = Buffer.alloc(stride);
  const cur = Buffer.alloc(stride);
  const colours = new Set<number>();
  let nonBackground = 0;
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? cur[x - bpp] : 0;
      const b = prev[x];
      const c = x >= bpp ? prev[x - bpp] : 0;
      const pred = filter === 1 ? a : filter === 2 ? b : filter === 3 ? (a + b) >> 1 : filter === 4 ? paeth(a, b, c) : 0;
      cur[x] = (line[x] + pred) & 0xff;
    }
    for (let x = 0; x < stride; x += bpp) {
      const rgb = (cur[x] << 16) | (cur[x + 1] << 8) | cur[x + 2];
      if (colours.size < 4096) colours.add(rgb);
      if (rgb !== 0xffffff) nonBackground += 1;
    }
    cur.copy(prev);
  }
  return { width, height, nonBackground, distinctColours: colours.size };
}
