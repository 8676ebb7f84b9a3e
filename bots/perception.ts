import { assessPhotoQuality, createPpOcrTextReader, ZxingBarcodeScanner, type Logger, type PerceptionTools } from '../core/index.js';

/**
 * The engines that look at photos without the vision model. The quality check is pixel
 * arithmetic; the reader and the scanner ship inside npm packages (the PP-OCRv4 models, zxing's
 * wasm), so there is nothing to set up, and each loads on first use.
 */
export function createPerceptionTools(logger: Logger): PerceptionTools {
  return { assessQuality: assessPhotoQuality, textReader: createPpOcrTextReader({ logger }), barcodeScanner: new ZxingBarcodeScanner() };
}

/**
 * Loads the reader's models and the scanner's WebAssembly in the background, so the first photo
 * after a service starts is not the one that pays for it. A failure is logged here and met again,
 * with its message to the user, at the first photo.
 */
export function warmUpPerception(tools: PerceptionTools, logger: Logger): void {
  const started = performance.now();
  void Promise.all([tools.textReader?.warmUp?.(), tools.barcodeScanner?.warmUp?.()]).then(
    () => logger.info({ ms: Math.round(performance.now() - started) }, 'text reader and barcode scanner loaded'),
    (error: unknown) => logger.warn({ err: error }, 'the text reader or the barcode scanner could not be loaded; photos are still described'),
  );
}
