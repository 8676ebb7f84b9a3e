/** The model installer (`npm run models`): fetches presets from the Hugging Face Hub into MODELS_DIR and checks them. */
export type { DownloadRequest, HubClientOptions, HubFile } from './hub-client.js';
export { DEFAULT_HUB_ENDPOINT, HubClient } from './hub-client.js';
export type { ExpectedContent, FileProblemKind } from './file-checksum.js';
export type { ManifestFile, SeedManifest } from './model-manifest.js';
export { MANIFEST_FILE, readManifest } from './model-manifest.js';
export type {
  AvailableModel,
  FileProblem,
  InstalledModel,
  PullDevice,
  PullOptions,
  PullResult,
  PullStart,
  VerifyReport,
} from './model-store.js';
export { ModelStore } from './model-store.js';
export type { ModelInstallErrorKind } from './install-error.js';
export { isModelInstallError, ModelInstallError } from './install-error.js';
