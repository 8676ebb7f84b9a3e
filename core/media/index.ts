export type { MediaErrorDetails, MediaErrorKind } from './media-error.js';
export { isMediaError, MediaError } from './media-error.js';
export type { ImageLimits, PreparedImage } from './image-preprocess.js';
export { DEFAULT_IMAGE_LIMITS, preprocessImage, readImageFile } from './image-preprocess.js';
export { readLocalFile } from './read-local-file.js';
