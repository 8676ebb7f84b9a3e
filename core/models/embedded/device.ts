import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Logger } from '../../log.js';
import type { DeviceKind } from '../presets.js';

export type DeviceSetting = DeviceKind | 'auto';

const CUDA_LIBRARIES = ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'];

/**
 * The npm package ships the CPU provider only; CUDA needs two provider libraries of the same
 * onnxruntime version beside the binding (see README, "GPU host"). Returns why not, or undefined.
 */
export function missingCudaProvider(): string | undefined {
  if (process.platform !== 'linux' || process.arch !== 'x64') return `CUDA is only available on Linux x64 (this is ${process.platform} ${process.arch})`;
  const packageJson = createRequire(import.meta.url).resolve('onnxruntime-node/package.json');
  const binaryFolder = join(dirname(packageJson), 'bin', 'napi-v6', 'linux', 'x64');
  const missing = CUDA_LIBRARIES.filter((library) => !existsSync(join(binaryFolder, library)));
  return missing.length > 0 ? `${missing.join(' and ')} not found in ${binaryFolder}` : undefined;
}

export interface DeviceChoiceOptions {
  readonly logger: Logger;
  /** Injectable so tests can play a host where the libraries exist but CUDA still fails. */
  readonly checkCuda?: () => string | undefined;
}

/**
 * Loads on the requested device. `auto` and `cuda` try CUDA when its libraries are present and
 * fall back to CPU when they are not or session creation fails: onnxruntime has no automatic
 * fallback and throws at session creation. One log line says why.
 */
export async function loadOnDevice<T>(
  setting: DeviceSetting,
  load: (device: DeviceKind) => Promise<T>,
  options: DeviceChoiceOptions,
): Promise<{ value: T; device: DeviceKind }> {
  if (setting === 'cpu') return { value: await load('cpu'), device: 'cpu' };
  const level = setting === 'cuda' ? 'warn' : 'info';
  const missing = (options.checkCuda ?? missingCudaProvider)();
  if (missing) {
    options.logger[level]({ requested: setting }, `CUDA not used: ${missing}; running on CPU (see README, GPU host)`);
    return { value: await load('cpu'), device: 'cpu' };
  }
  try {
    return { value: await load('cuda'), device: 'cuda' };
  } catch (error) {
    options.logger[level]({ requested: setting, err: error }, 'CUDA session creation failed; running on CPU (see README, GPU host)');
    return { value: await load('cpu'), device: 'cpu' };
  }
}
