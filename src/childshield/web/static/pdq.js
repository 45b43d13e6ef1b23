// PDQ (Meta's 256-bit perceptual image hash) in plain JavaScript: no build step, no dependencies.
//
// A port of the C++ reference (ThreatExchange pdq/cpp, pdqHash256FromFloatLuma):
//   luminance Y = 0.299 R + 0.587 G + 0.114 B (float);
//   Jarosz filter: two passes of a box filter along rows then columns, window ceil(dim / 128);
//   decimate to 64x64 by sampling the centre of each cell;
//   quality = sum of |gradients| (in percent of 255, truncated) / 90, capped at 100;
//   16x16 DCT: rows 1..16 of the 64-point DCT-II matrix, D A D^T;
//   bit (i*16+j) is set when coefficient [i][j] is above the (lower) median.
// The hex output is the C++ Hash256 format (word 15 first), which is also what
// childshield.signals.pdq (the pdqhash package) prints.
//
// Images are decoded by the browser without applying EXIF orientation, as the reference hashes
// the pixels as stored (see childshield.signals.media).

const LUMA_R = 0.299;
const LUMA_G = 0.587;
const LUMA_B = 0.114;
const JAROSZ_DIVISOR = 128;
const JAROSZ_PASSES = 2;
const MIN_HASHABLE_DIM = 5;

let DCT = null; // 16 x 64, row-major

function dctMatrix() {
  if (DCT === null) {
    DCT = new Float64Array(16 * 64);
    const scale = Math.sqrt(2.0 / 64.0);
    for (let i = 0; i < 16; i++) {
      for (let j = 0; j < 64; j++) {
        DCT[i * 64 + j] = Math.fround(scale * Math.cos((Math.PI / 2 / 64.0) * (i + 1) * (2 * j + 1)));
      }
    }
  }
  return DCT;
}

/** Luminance of RGBA pixels (Uint8ClampedArray or Uint8Array, 4 bytes a pixel). */
export function lumaFromRGBA(rgba, width, height) {
  const n = width * height;
  if (rgba.length < n * 4) throw new Error(`PDQ: ${rgba.length} bytes for a ${width}x${height} RGBA image`);
  const luma = new Float32Array(n);
  for (let i = 0, k = 0; i < n; i++, k += 4) {
    luma[i] = LUMA_R * rgba[k] + LUMA_G * rgba[k + 1] + LUMA_B * rgba[k + 2];
  }
  return luma;
}

function windowSize(dim) {
  return Math.floor((dim + JAROSZ_DIVISOR - 1) / JAROSZ_DIVISOR);
}

// One box filter along a strided vector, exactly the four phases of the reference's box1DFloat.
function box1D(input, output, offset, length, stride, fullWindow) {
  const half = Math.floor((fullWindow + 2) / 2);
  const phase1 = half - 1;
  const phase2 = fullWindow - half + 1;
  const phase3 = length - fullWindow;
  const phase4 = half - 1;
  let li = offset;
  let ri = offset;
  let oi = offset;
  let sum = 0.0;
  let current = 0;
  for (let i = 0; i < phase1; i++) {
    sum += input[ri]; current++; ri += stride;
  }
  for (let i = 0; i < phase2; i++) {
    sum += input[ri]; current++;
    output[oi] = sum / current;
    ri += stride; oi += stride;
  }
  for (let i = 0; i < phase3; i++) {
    sum += input[ri]; sum -= input[li];
    output[oi] = sum / current;
    li += stride; ri += stride; oi += stride;
  }
  for (let i = 0; i < phase4; i++) {
    sum -= input[li]; current--;
    output[oi] = sum / current;
    li += stride; oi += stride;
  }
}

function jarosz(buf1, buf2, rows, cols) {
  const alongRows = windowSize(cols);
  const alongCols = windowSize(rows);
  for (let pass = 0; pass < JAROSZ_PASSES; pass++) {
    for (let i = 0; i < rows; i++) box1D(buf1, buf2, i * cols, cols, 1, alongRows);
    for (let j = 0; j < cols; j++) box1D(buf2, buf1, j, rows, cols, alongCols);
  }
}

function decimate(input, rows, cols) {
  const out = new Float32Array(64 * 64);
  for (let i = 0; i < 64; i++) {
    const ini = Math.floor(((i + 0.5) * rows) / 64);
    for (let j = 0; j < 64; j++) {
      const inj = Math.floor(((j + 0.5) * cols) / 64);
      out[i * 64 + j] = input[ini * cols + inj];
    }
  }
  return out;
}

/** The reference's image-domain quality metric on the 64x64 downsample (0-100). */
function quality(b) {
  let sum = 0;
  for (let i = 0; i < 63; i++) {
    for (let j = 0; j < 64; j++) {
      sum += Math.abs(Math.trunc(((b[i * 64 + j] - b[(i + 1) * 64 + j]) * 100) / 255));
    }
  }
  for (let i = 0; i < 64; i++) {
    for (let j = 0; j < 63; j++) {
      sum += Math.abs(Math.trunc(((b[i * 64 + j] - b[i * 64 + j + 1]) * 100) / 255));
    }
  }
  return Math.min(100, Math.floor(sum / 90));
}

function dct64To16(a) {
  const d = dctMatrix();
  const t = new Float64Array(16 * 64);
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < 64; j++) {
      let s = 0;
      for (let k = 0; k < 64; k++) s += d[i * 64 + k] * a[k * 64 + j];
      t[i * 64 + j] = s;
    }
  }
  const b = new Float64Array(256);
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < 16; j++) {
      let s = 0;
      for (let k = 0; k < 64; k++) s += t[i * 64 + k] * d[j * 64 + k];
      b[i * 16 + j] = s;
    }
  }
  return b;
}

function bitsToHex(coeffs) {
  const sorted = Float64Array.from(coeffs).sort();
  const median = sorted[127]; // Torben's median of 256 values is the 128th smallest
  const words = new Uint16Array(16);
  for (let k = 0; k < 256; k++) {
    if (coeffs[k] > median) words[k >> 4] |= 1 << (k & 15);
  }
  let hex = "";
  for (let w = 15; w >= 0; w--) hex += words[w].toString(16).padStart(4, "0");
  return hex;
}

/** PDQ of a luminance buffer (Float32Array, row-major). Returns {hash, quality}. */
export function pdqFromLuma(luma, width, height) {
  if (width < MIN_HASHABLE_DIM || height < MIN_HASHABLE_DIM) {
    return { hash: "0".repeat(64), quality: 0 };
  }
  const buf1 = Float32Array.from(luma);
  const buf2 = new Float32Array(buf1.length);
  jarosz(buf1, buf2, height, width);
  const small = decimate(buf1, height, width);
  const q = quality(small);
  return { hash: bitsToHex(dct64To16(small)), quality: q };
}

/** PDQ of RGBA pixels (as from ImageData.data). Returns {hash, quality}. */
export function pdqFromRGBA(rgba, width, height) {
  return pdqFromLuma(lumaFromRGBA(rgba, width, height), width, height);
}

/** Hamming distance between two 64-digit hex hashes. */
export function hammingDistance(a, b) {
  let d = 0;
  for (let i = 0; i < 64; i += 8) {
    let x = (parseInt(a.slice(i, i + 8), 16) ^ parseInt(b.slice(i, i + 8), 16)) >>> 0;
    while (x) { x &= x - 1; d++; }
  }
  return d;
}

/** RGBA pixels of a drawable (ImageBitmap, video element) drawn at its own size. */
export function pixelsOf(source, width, height) {
  const canvas = typeof OffscreenCanvas !== "undefined"
    ? new OffscreenCanvas(width, height)
    : Object.assign(document.createElement("canvas"), { width, height });
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.drawImage(source, 0, 0, width, height);
  return ctx.getImageData(0, 0, width, height).data;
}

/**
 * A copy of a JPEG's bytes with the EXIF orientation tag set to 1 (as stored), or null when
 * there is none to change. Browsers always apply the tag when decoding (imageOrientation "none"
 * now means "from-image"), while the reference hashes the pixels as stored.
 */
export function withoutExifOrientation(bytes) {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return null;
  let p = 2;
  while (p + 4 <= bytes.length && bytes[p] === 0xff) {
    const marker = bytes[p + 1];
    const length = (bytes[p + 2] << 8) | bytes[p + 3];
    if (marker === 0xda || length < 2) break; // start of scan: no more metadata
    const start = p + 4;
    const isExif = marker === 0xe1 && length >= 16 && bytes[start] === 0x45 && bytes[start + 1] === 0x78
      && bytes[start + 2] === 0x69 && bytes[start + 3] === 0x66;
    if (isExif) {
      const tiff = start + 6;
      const little = bytes[tiff] === 0x49;
      const end = Math.min(bytes.length, p + 2 + length);
      const u16 = (o) => (little ? bytes[o] | (bytes[o + 1] << 8) : (bytes[o] << 8) | bytes[o + 1]);
      const u32 = (o) => (little
        ? (bytes[o] | (bytes[o + 1] << 8) | (bytes[o + 2] << 16)) + bytes[o + 3] * 2 ** 24
        : bytes[o] * 2 ** 24 + ((bytes[o + 1] << 16) | (bytes[o + 2] << 8) | bytes[o + 3]));
      const ifd = tiff + u32(tiff + 4);
      if (ifd + 2 > end) return null;
      const count = u16(ifd);
      for (let i = 0; i < count; i++) {
        const entry = ifd + 2 + i * 12;
        if (entry + 12 > end) return null;
        if (u16(entry) === 0x0112) {
          if (u16(entry + 8) === 1) return null;
          const copy = bytes.slice();
          copy[entry + 8] = little ? 1 : 0;
          copy[entry + 9] = little ? 0 : 1;
          return copy;
        }
      }
      return null;
    }
    p += 2 + length;
  }
  return null;
}

/** Decode an image Blob/File in the browser (EXIF orientation not applied, no colour conversion). */
export async function decodeImage(blob) {
  const fixed = withoutExifOrientation(new Uint8Array(await blob.arrayBuffer()));
  if (fixed !== null) blob = new Blob([fixed], { type: blob.type });
  const bitmap = await createImageBitmap(blob, {
    imageOrientation: "none", colorSpaceConversion: "none", premultiplyAlpha: "none",
  });
  try {
    return { data: pixelsOf(bitmap, bitmap.width, bitmap.height), width: bitmap.width, height: bitmap.height };
  } finally {
    bitmap.close();
  }
}

/** PDQ of an image Blob/File: {hash, quality, width, height}. */
export async function pdqFromBlob(blob) {
  const { data, width, height } = await decodeImage(blob);
  return { ...pdqFromRGBA(data, width, height), width, height };
}

function once(target, event) {
  return new Promise((resolve, reject) => {
    const ok = () => { cleanup(); resolve(); };
    const bad = () => { cleanup(); reject(new Error(`the browser could not read this video (${event})`)); };
    const cleanup = () => { target.removeEventListener(event, ok); target.removeEventListener("error", bad); };
    target.addEventListener(event, ok);
    target.addEventListener("error", bad);
  });
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The video's pixels once the seeked-to frame is on it. Chromium can fire "seeked" before a
 * video that is not on the page has swapped in the new frame (more often on a loaded machine),
 * so draw until two draws a few milliseconds apart agree.
 */
async function settledPixels(video, width, height) {
  let before = pixelsOf(video, width, height);
  for (let tries = 0; tries < 20; tries++) {
    await pause(15);
    const now = pixelsOf(video, width, height);
    if (now.length === before.length && now.every((v, i) => v === before[i])) return now;
    before = now;
  }
  return before;
}

/**
 * PDQ of a video's frames, one a second (by default), decoded by a muted <video> element that is
 * never attached to the page. Returns [{time, hash, quality}]. maxFrames bounds the work.
 */
export async function pdqFromVideo(blob, { interval = 1, maxFrames = 600 } = {}) {
  const video = document.createElement("video");
  video.muted = true;
  video.preload = "auto";
  video.playsInline = true;
  const url = URL.createObjectURL(blob);
  try {
    const loaded = once(video, "loadeddata");
    video.src = url;
    await loaded;
    const duration = Number.isFinite(video.duration) ? video.duration : 0;
    const width = video.videoWidth;
    const height = video.videoHeight;
    if (!width || !height) throw new Error("the video has no picture");
    const frames = [];
    for (let t = 0; (t < duration || t === 0) && frames.length < maxFrames; t += interval) {
      const seeked = once(video, "seeked");
      // A hair past t: a seek exactly onto a frame boundary may show the frame before it.
      video.currentTime = Math.min(t + 0.001, Math.max(0, duration - 0.001));
      await seeked;
      frames.push({ time: t, ...pdqFromRGBA(await settledPixels(video, width, height), width, height) });
    }
    return frames;
  } finally {
    video.removeAttribute("src");
    video.load();
    URL.revokeObjectURL(url);
  }
}

/** SHA-256 of a Blob as hex (Web Crypto; needs a secure context: HTTPS or localhost). */
export async function sha256Hex(blob) {
  if (!globalThis.crypto || !crypto.subtle) return null;
  const digest = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
