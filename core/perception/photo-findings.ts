import { z } from 'zod';
import type { Logger } from '../log.js';
import type { TextReader } from '../models/index.js';
import type { Barcode, BarcodeScanner } from './barcode-scanner.js';
import { textCutAtEdge } from './photo-quality-check.js';
import type { PhotoProblem, PhotoQuality } from './photo-quality.js';

/** The engines that look at a photo without the vision model; each is optional. */
export interface PerceptionTools {
  /** Judges the photo itself (dark, blurred...) for retake coaching: `assessPhotoQuality`. */
  readonly assessQuality?: (image: Uint8Array) => Promise<PhotoQuality>;
  readonly textReader?: TextReader;
  readonly barcodeScanner?: BarcodeScanner;
}

export interface FoundLine {
  readonly text: string;
  /** The reader was not sure: kept, and the listener is told it may be wrong. */
  readonly uncertain: boolean;
}

/**
 * What was seen in one photo before any model answered: its problems (for retake coaching), the
 * text in it in reading order, and its barcodes. Kept with the stored photo and deleted with it,
 * so a follow-up ("read it", "what colour is it") needs no second look.
 */
export interface PhotoFindings {
  readonly problems: readonly PhotoProblem[];
  /** Mean luma 0..1; undefined when the check could not run. */
  readonly brightness?: number;
  /** Undefined when no text reader ran (none set up, or it failed); no lines when none were found. */
  readonly text?: { readonly lines: readonly FoundLine[] };
  /** Undefined when no scanner ran. */
  readonly barcodes?: readonly Barcode[];
}

/**
 * Brightness below which, or above which, nothing in a photo can be made out (nearly black, or
 * nearly white all over): the coaching is then the whole answer, and no model is asked to guess.
 */
const UNRECOGNISABLY_DARK = 0.04;
const UNRECOGNISABLY_BRIGHT = 0.97;

export function nothingRecognisable(findings: PhotoFindings): boolean {
  const { brightness } = findings;
  if (brightness === undefined) return false;
  if (findings.text?.lines.length || findings.barcodes?.length) return false;
  return (findings.problems.includes('dark') && brightness < UNRECOGNISABLY_DARK) || (findings.problems.includes('overexposed') && brightness > UNRECOGNISABLY_BRIGHT);
}

/**
 * Looks at one photo (the original the user sent, for the most detail): its quality, its text and
 * its barcodes, side by side. A step that fails is logged and left out: the person still gets the
 * best answer the rest allows.
 */
export async function perceivePhoto(
  image: Uint8Array,
  tools: PerceptionTools,
  options: { readonly log: Logger; readonly signal?: AbortSignal; readonly readText?: boolean },
): Promise<PhotoFindings> {
  const { log, signal } = options;
  const started = performance.now();
  const [quality, reading, barcodes] = await Promise.all([
    tools.assessQuality?.(image).catch((error: unknown) => {
      log.warn({ err: error }, 'photo quality check failed');
      return undefined;
    }),
    tools.textReader && options.readText !== false
      ? tools.textReader.read({ image, ...(signal ? { signal } : {}) }).catch((error: unknown) => {
          log.warn({ err: error }, 'reading the text in a photo failed');
          return undefined;
        })
      : undefined,
    tools.barcodeScanner
      ? tools.barcodeScanner.scan(image, signal).catch((error: unknown) => {
          log.warn({ err: error }, 'scanning a photo for barcodes failed');
          return undefined;
        })
      : undefined,
  ]);
  const problems: PhotoProblem[] = [...(quality?.problems ?? [])];
  if (reading && textCutAtEdge(reading.lines, reading.width, reading.height)) problems.push('text-cut-off');
  const findings: PhotoFindings = {
    problems,
    ...(quality ? { brightness: quality.brightness } : {}),
    ...(reading ? { text: { lines: reading.lines.map((line) => ({ text: line.text, uncertain: line.uncertain })) } } : {}),
    ...(barcodes ? { barcodes } : {}),
  };
  log.info(
    {
      ms: Math.round(performance.now() - started),
      problems,
      textLines: reading?.lines.length,
      uncertainLines: reading?.lines.filter((line) => line.uncertain).length,
      rotation: reading?.rotation || undefined,
      barcodes: barcodes?.length,
    },
    'photo looked at',
  );
  return findings;
}

const BARCODE_CONTENT = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('product'), number: z.string() }),
  z.object({ kind: z.literal('url'), url: z.string() }),
  z.object({ kind: z.literal('wifi'), network: z.string(), security: z.string().optional(), hasPassword: z.boolean() }),
  z.object({ kind: z.literal('text'), text: z.string() }),
]);

const FINDINGS = z.object({
  problems: z.array(z.enum(['dark', 'overexposed', 'blurred', 'small', 'text-cut-off'])),
  brightness: z.number().optional(),
  text: z.object({ lines: z.array(z.object({ text: z.string(), uncertain: z.boolean() })) }).optional(),
  barcodes: z.array(z.object({ format: z.string(), content: BARCODE_CONTENT })).optional(),
});

export function serializeFindings(findings: PhotoFindings): string {
  return JSON.stringify(findings);
}

/** Undefined for a photo stored without findings, or with findings this version cannot read. */
export function parseFindings(stored: string | null | undefined): PhotoFindings | undefined {
  if (!stored) return undefined;
  try {
    const parsed = FINDINGS.safeParse(JSON.parse(stored));
    return parsed.success ? (parsed.data as PhotoFindings) : undefined;
  } catch {
    return undefined;
  }
}
