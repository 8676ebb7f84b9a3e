export interface ReadTextRequest {
  readonly image: Uint8Array;
  readonly mediaType: string;
  readonly signal?: AbortSignal;
}

export interface TextLine {
  readonly text: string;
  /** 0..1, as reported by the engine. */
  readonly confidence: number;
}

export interface ReadTextResult {
  /** Lines in reading order. */
  readonly lines: readonly TextLine[];
}

/** Reads printed text in a photo (OCR). Failures are thrown as `ModelError`. */
export interface TextReader {
  readonly id: string;
  read(request: ReadTextRequest): Promise<ReadTextResult>;
}
