export interface ReadTextRequest {
  /** The photo as sent (JPEG, PNG, WebP, HEIC...), EXIF orientation not yet applied. */
  readonly image: Uint8Array;
  readonly mediaType?: string;
  readonly signal?: AbortSignal;
}

/** Axis-aligned bounds in pixels of the upright image (after EXIF orientation and `rotation`). */
export interface TextBox {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface TextLine {
  /** Verbatim, spaces restored; items of one row ("Milk ... 2.49") are on one line. */
  readonly text: string;
  /** 0..1: the mean of the recognised characters' probabilities. */
  readonly confidence: number;
  /** Below the reader's confidence threshold: kept, and the listener is told it may be wrong. */
  readonly uncertain: boolean;
  readonly box: TextBox;
}

export interface ReadTextResult {
  /** Lines in reading order: blocks top to bottom, columns one after the other. */
  readonly lines: readonly TextLine[];
  /** Size of the upright image the boxes refer to. */
  readonly width: number;
  readonly height: number;
  /** Clockwise degrees the photo (after EXIF) was turned to read it upright. */
  readonly rotation: 0 | 90 | 180 | 270;
}

/**
 * Reads printed text in a photo (OCR). An engine on this machine or a served model asked to
 * transcribe can stand behind it. Failures are thrown as `ModelError`.
 */
export interface TextReader {
  readonly id: string;
  read(request: ReadTextRequest): Promise<ReadTextResult>;
  /** Loads what the first reading would (a service calls it at start-up); optional. */
  warmUp?(): Promise<void>;
}
