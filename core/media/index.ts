export type { MediaErrorDetails, MediaErrorKind } from './media-error.js';
export { isMediaError, MediaError } from './media-error.js';
export type { ImageHeader, ImageLimits, PreparedImage } from './image-preprocess.js';
export {
  checkImage,
  DEFAULT_IMAGE_LIMITS,
  DEFAULT_MAX_DECODE_BYTES,
  DEFAULT_MAX_INPUT_PIXELS,
  fetchAndPreprocessImage,
  imageDecodeGate,
  preprocessImage,
  readImageFile,
} from './image-preprocess.js';
export { DecodeGate } from './decode-gate.js';
export { readLocalFile } from './read-local-file.js';
