/** What a barcode holds, said plainly: a product number, a web address as text, a Wi-Fi network. */
export type BarcodeContent =
  | { readonly kind: 'product'; readonly number: string }
  | { readonly kind: 'url'; readonly url: string }
  | { readonly kind: 'wifi'; readonly network: string; readonly security?: string; readonly hasPassword: boolean }
  | { readonly kind: 'text'; readonly text: string };

export interface Barcode {
  /** The symbology as people know it: `EAN-13`, `UPC-A`, `QR code`, `Code 128`, `Data Matrix`. */
  readonly format: string;
  readonly content: BarcodeContent;
}

/** Finds and decodes barcodes and QR codes in a photo. Never opens or follows what they hold. */
export interface BarcodeScanner {
  readonly id: string;
  scan(image: Uint8Array, signal?: AbortSignal): Promise<readonly Barcode[]>;
  /** Loads what the first scan would (a service calls it at start-up); optional. */
  warmUp?(): Promise<void>;
}
