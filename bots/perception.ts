import { assessPhotoQuality, createPpOcrTextReader, ZxingBarcodeScanner, type Logger, type PerceptionTools } from '../core/index.js';

/**
 * The engines that look at photos without the vision model. The quality check is pixel
 * arithmetic; the reader and the scanner ship inside npm packages (the PP-OCRv4 models, zxing's
 * wasm), so there is nothing to set up, and each loads on first use.
 */
export function createPerceptionTools(logger: Logger): PerceptionTools {
  return { assessQuality: assessPhotoQuality, textReader: createPpOcrTextReader({ logger }), barcodeScanner: new ZxingBarcodeScanner() };
}
