import type { PerceptionTexts } from '../i18n/messages.js';
import type { PhotoFindings } from './photo-findings.js';

export interface ReadingText {
  /** The text verbatim in reading order, unsure lines marked, then the barcodes; empty when none. */
  readonly text: string;
  readonly uncertainLines: number;
}

/**
 * What `/read` says: every line exactly as read, never paraphrased or corrected, so a dose or a
 * price is heard as printed. Several photos follow one another, each after its heading.
 */
export function readingText(photos: readonly PhotoFindings[], texts: PerceptionTexts): ReadingText {
  let uncertainLines = 0;
  const sections = photos.map((findings, index) => {
    const lines = (findings.text?.lines ?? []).map((line) => {
      if (!line.uncertain) return line.text;
      uncertainLines += 1;
      return `${line.text} ${texts.uncertainMark}`;
    });
    const barcodes = (findings.barcodes ?? []).map((barcode) => texts.barcode(barcode));
    const body = [...lines, ...barcodes].join('\n');
    if (!body) return '';
    return photos.length > 1 ? `${texts.photoHeading(index + 1, photos.length)}\n${body}` : body;
  });
  const text = sections.filter(Boolean).join('\n\n');
  return { text: text && uncertainLines > 0 ? `${text}\n\n${texts.uncertainNote(uncertainLines)}` : text, uncertainLines };
}
