import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import sharp from 'sharp';
import type { ReaderOptions, ReadResult } from 'zxing-wasm/reader';
import { checkImage, DEFAULT_IMAGE_LIMITS, DEFAULT_MAX_INPUT_PIXELS, imageDecodeGate, type ImageHeader } from '../../media/image-preprocess.js';
import type { Barcode, BarcodeScanner } from '../../perception/barcode-scanner.js';
import { ModelError } from '../model-error.js';
import { barcodeFormatName, parseBarcodeContent } from './barcode-content.js';

type ZxingReader = typeof import('zxing-wasm/reader');

export interface ZxingBarcodeScannerOptions {
  /** The reader build's .wasm; the copy inside the installed package unless given. */
  readonly wasmPath?: string;
  /**
   * Longest side the photo is scaled down to before scanning. 2000 px keeps the bars of an EAN-13
   * that fills a fifth of a 12-megapixel photo's width (4000 px) about 2 px wide, enough for zxing,
   * and scans in a fraction of the time full resolution takes (bench/barcode-bench.ts).
   */
  readonly maxSide?: number;
  /** Checked against the header before any pixel is decoded. */
  readonly maxInputPixels?: number;
}

export const DEFAULT_BARCODE_MAX_SIDE = 2000;

/**
 * Product codes, the usual linear codes on parcels, tickets and labels, and the 2D codes on
 * posters, letters, boarding passes and medicine packs. Not "all": more formats only add false
 * finds (ITF and Codabar read stripes in wood grain and fabric) for codes blind users rarely meet.
 */
const FORMATS: NonNullable<ReaderOptions['formats']> = [
  'EAN13',
  'EAN8',
  'UPCA',
  'UPCE',
  'Code128',
  'Code39',
  'QRCode',
  'DataMatrix',
  'PDF417',
  'Aztec',
];

const READER_OPTIONS: ReaderOptions = {
  formats: FORMATS,
  // Photos, not scans: worth zxing's slower, more thorough search.
  tryHarder: true,
  // A sideways or upside-down label, as blind users often hold them.
  tryRotate: true,
  // Light codes on dark packaging.
  tryInvert: true,
  // zxing also looks at a third-size copy of large images, where blurred bars sharpen up.
  tryDownscale: true,
  maxNumberOfSymbols: 16,
};

/**
 * Finds barcodes and QR codes with zxing-cpp compiled to WebAssembly (zxing-wasm), entirely on
 * this machine. zxing-wasm fetches its .wasm from a CDN at first use, even in Node, unless it is
 * handed over: the package's own file is read from disk and given as `wasmBinary`, which is the
 * only hook that keeps Emscripten from calling fetch (a `locateFile` pointing at the local path
 * still goes through fetch, which cannot read files in Node). What a code holds is reported,
 * never opened.
 */
export class ZxingBarcodeScanner implements BarcodeScanner {
  readonly id = 'zxing-wasm';
  private readonly wasmPath: string;
  private readonly maxSide: number;
  private readonly maxInputPixels: number;

  constructor(options: ZxingBarcodeScannerOptions = {}) {
    this.wasmPath = options.wasmPath ?? defaultWasmPath();
    this.maxSide = options.maxSide ?? DEFAULT_BARCODE_MAX_SIDE;
    this.maxInputPixels = options.maxInputPixels ?? DEFAULT_MAX_INPUT_PIXELS;
  }

  /** Loads the WebAssembly now rather than at the first photo (start-up, or a bench's first-use figure). */
  async warmUp(): Promise<void> {
    await loadReader(this.wasmPath);
  }

  async scan(image: Uint8Array, signal?: AbortSignal): Promise<readonly Barcode[]> {
    throwIfAborted(signal);
    // Loading while the photo decodes: the first scan costs the larger of the two, not the sum.
    const reader = loadReader(this.wasmPath);
    // Settled here too, so a failed load is never an unhandled rejection while the decode runs.
    reader.catch(() => undefined);
    const pixels = await this.decode(image);
    throwIfAborted(signal);
    const zxing = await reader;
    throwIfAborted(signal);
    let results: ReadResult[];
    try {
      results = await zxing.readBarcodes(pixels, READER_OPTIONS);
    } catch (error) {
      throw new ModelError('failed', `zxing could not scan the photo: ${errorMessage(error)}`, { cause: error });
    }
    // The scan itself cannot be interrupted (one synchronous WebAssembly call); its answer is dropped.
    throwIfAborted(signal);
    return toBarcodes(results);
  }

  /** Upright (EXIF applied), on white, at most maxSide, as RGBA: the ImageData shape zxing takes. */
  private async decode(image: Uint8Array): Promise<{ data: Uint8ClampedArray; width: number; height: number }> {
    let header: ImageHeader;
    try {
      header = await checkImage(image, { ...DEFAULT_IMAGE_LIMITS, maxInputBytes: Math.max(image.byteLength, 1), maxInputPixels: this.maxInputPixels });
    } catch (error) {
      throw new ModelError('failed', `The photo could not be scanned: ${errorMessage(error)}`, { cause: error });
    }
    return imageDecodeGate.run(header.wholeImageBytes, async () => {
      try {
        const { data, info } = await sharp(image, {
          failOn: 'error',
          limitInputPixels: this.maxInputPixels,
          pages: 1,
          // zxing reads codes turned and mirrored in any way anyway; upright, a code's place in
          // the photo is where the user sees it, should its position ever be reported.
          autoOrient: true,
        })
          .toColourspace('srgb')
          // Transparent areas of a screenshot or sticker read as paper, not as black.
          .flatten({ background: '#ffffff' })
          .resize({ width: this.maxSide, height: this.maxSide, fit: 'inside', withoutEnlargement: true })
          .ensureAlpha()
          .raw()
          .toBuffer({ resolveWithObject: true });
        if (data.byteLength !== info.width * info.height * 4) {
          throw new Error(`Expected 8-bit RGBA pixels, got ${data.byteLength} bytes for ${info.width}×${info.height}`);
        }
        return {
          data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.byteLength),
          width: info.width,
          height: info.height,
        };
      } catch (error) {
        throw new ModelError('failed', `The photo could not be decoded: ${errorMessage(error)}`, { cause: error });
      }
    });
  }
}

/**
 * One entry per code: the same code twice in view (two stickers, a label printed on two sides of
 * a box) is said once. zxing reports only valid reads here (returnErrors is off); checked anyway.
 */
function toBarcodes(results: readonly ReadResult[]): Barcode[] {
  const seen = new Set<string>();
  const barcodes: Barcode[] = [];
  for (const result of results) {
    if (!result.isValid) continue;
    const key = `${result.format}\u0000${result.text}`;
    if (seen.has(key)) continue;
    seen.add(key);
    barcodes.push({ format: barcodeFormatName(result.format), content: parseBarcodeContent(result.text, result.format) });
  }
  return barcodes;
}

function defaultWasmPath(): string {
  return createRequire(import.meta.url).resolve('zxing-wasm/reader/zxing_reader.wasm');
}

/**
 * zxing-wasm keeps one reader module per process (its cache is keyed by the module factory), so
 * the loading is shared too: the first scan loads it, the others wait for that, and a failure is
 * forgotten so that a later scan tries again (the file may have been restored).
 */
let loaded: { readonly wasmPath: string; readonly reader: Promise<ZxingReader> } | undefined;

function loadReader(wasmPath: string): Promise<ZxingReader> {
  if (loaded?.wasmPath === wasmPath) return loaded.reader;
  const reader = instantiate(wasmPath);
  const entry = { wasmPath, reader };
  loaded = entry;
  reader.catch(() => {
    if (loaded === entry) loaded = undefined;
  });
  return reader;
}

async function instantiate(wasmPath: string): Promise<ZxingReader> {
  let wasm: Buffer;
  try {
    wasm = await readFile(wasmPath);
  } catch (error) {
    throw new ModelError('unavailable', `zxing's WebAssembly could not be read from ${wasmPath}: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  const zxing = await import('zxing-wasm/reader');
  try {
    await zxing.prepareZXingModule({
      overrides: {
        // Its own ArrayBuffer: a Buffer from readFile may be a view into a larger one.
        wasmBinary: wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength),
        // Emscripten prints its own complaints to stderr; the error thrown says the same, once.
        printErr: () => undefined,
      },
      fireImmediately: true,
    });
  } catch (error) {
    // Otherwise zxing keeps the failed instance and hands it to every later read.
    zxing.purgeZXingModule();
    throw new ModelError('unavailable', `zxing's WebAssembly from ${wasmPath} could not be started: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  return zxing;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ModelError('aborted', 'The barcode scan was cancelled.');
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
