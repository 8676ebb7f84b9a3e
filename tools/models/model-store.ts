import { lstat, mkdir, readdir, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { ALL_PRESETS, findPreset, onnxFiles, presetFiles, type DeviceKind, type ModelPreset } from '../../core/models/presets.js';
import { fileSize, findFileProblem, type FileProblemKind } from './file-checksum.js';
import type { HubClient, HubFile } from './hub-client.js';
import { MANIFEST_FILE, readManifest, writeManifest, type ManifestFile, type SeedManifest } from './model-manifest.js';
import { ModelInstallError } from './install-error.js';

/**
 * The models folder: `MODELS_DIR/<preset>/` holds the repository's files under their own relative
 * paths plus `seed-manifest.json`. Only folders with a manifest or a preset's name are treated as
 * models, so a mistaken MODELS_DIR never makes `remove` delete someone's other folders.
 */
export type PullDevice = DeviceKind | 'all';

export interface PullStart {
  readonly commit: string;
  readonly fileCount: number;
  readonly totalBytes: number;
  /** Files already on disk with the right checksum; they are not fetched again. */
  readonly presentFiles: number;
  readonly presentBytes: number;
}

export interface PullOptions {
  readonly device?: PullDevice;
  readonly signal?: AbortSignal;
  readonly onStart?: (start: PullStart) => void;
  readonly onFile?: (path: string, size: number) => void;
  /** Bytes of the whole pull, the files already present included, so it ends at 100 percent. */
  readonly onProgress?: (downloadedBytes: number, totalBytes: number) => void;
}

export interface PullResult extends PullStart {
  readonly name: string;
  readonly folder: string;
}

export interface InstalledModel {
  readonly name: string;
  readonly folder: string;
  readonly bytesOnDisk: number;
  /** A manifest is there and every file it lists has its recorded size. */
  readonly complete: boolean;
  readonly manifest: SeedManifest | undefined;
}

export interface AvailableModel {
  readonly name: string;
  readonly description: string;
  readonly approximateCpuMegabytes: number;
  readonly installed: boolean;
}

export interface FileProblem {
  readonly path: string;
  readonly problem: FileProblemKind;
}

export interface VerifyReport {
  readonly name: string;
  readonly filesChecked: number;
  readonly problems: readonly FileProblem[];
}

export class ModelStore {
  readonly modelsDirectory: string;
  private readonly hub: HubClient | undefined;

  /** `hub` is needed by `pull` only; the other commands work offline. */
  constructor(options: { modelsDirectory: string; hub?: HubClient }) {
    this.modelsDirectory = resolve(options.modelsDirectory);
    this.hub = options.hub;
  }

  async pull(presetName: string, options: PullOptions = {}): Promise<PullResult> {
    const preset = requirePreset(presetName);
    if (!this.hub) throw new Error('ModelStore needs a HubClient to pull.');
    const { signal } = options;
    const devices: DeviceKind[] = options.device === 'all' ? ['cpu', 'cuda'] : [options.device ?? 'cpu'];
    const commit = await this.hub.resolveCommit(preset.repository, preset.revision, signal);
    const files = selectFiles(preset, devices, await this.hub.listFiles(preset.repository, commit, signal), commit);
    const folder = this.folderOf(preset.name);
    await mkdir(folder, { recursive: true });
    const previous = await readManifest(folder);
    // Moving to another commit: until it completes, the folder must not look finished.
    if (previous && previous.commit !== commit) await rm(join(folder, MANIFEST_FILE), { force: true });

    const missing = await filesNeedingDownload(folder, files);
    const totalBytes = sumSizes(files);
    let doneBytes = totalBytes - sumSizes(missing);
    const start: PullStart = { commit, fileCount: files.length, totalBytes, presentFiles: files.length - missing.length, presentBytes: doneBytes };
    options.onStart?.(start);
    options.onProgress?.(doneBytes, totalBytes);

    for (const file of missing) {
      options.onFile?.(file.path, file.size);
      await this.hub.downloadFile({
        repository: preset.repository,
        commit,
        file,
        target: insideFolder(folder, file.path),
        signal,
        onProgress: (fileBytes) => options.onProgress?.(doneBytes + fileBytes, totalBytes),
      });
      doneBytes += file.size;
    }
    await recordPull(folder, preset, { commit, devices, files, previous });
    return { ...start, name: preset.name, folder };
  }

  async list(): Promise<{ installed: InstalledModel[]; available: AvailableModel[] }> {
    const installed: InstalledModel[] = [];
    for (const name of await this.modelFolderNames()) installed.push(await this.describeInstalled(name));
    const available = ALL_PRESETS.map((preset) => ({
      name: preset.name,
      description: preset.description,
      approximateCpuMegabytes: preset.approximateCpuMegabytes,
      installed: installed.some((model) => model.name === preset.name),
    }));
    return { installed, available };
  }

  async remove(name: string): Promise<{ name: string; bytesFreed: number }> {
    const folder = this.childFolder(name);
    if (!(await isDirectory(folder)) || !(await this.isModelFolder(name))) {
      throw new ModelInstallError('unknown-model', `No model named ${name} is installed in ${this.modelsDirectory}.`);
    }
    const bytesFreed = await bytesUnder(folder);
    await rm(folder, { recursive: true, force: true });
    return { name, bytesFreed };
  }

  /** Offline: every file the manifest lists, size first, then checksum. */
  async verify(name: string): Promise<VerifyReport> {
    const manifest = await readManifest(this.childFolder(name));
    if (!manifest) {
      throw new ModelInstallError(
        'unknown-model',
        `${name} is not installed in ${this.modelsDirectory} (it has no complete ${MANIFEST_FILE}); pull it first.`,
      );
    }
    const folder = this.childFolder(name);
    const problems: FileProblem[] = [];
    for (const file of manifest.files) {
      const problem = await findFileProblem(insideFolder(folder, file.path), file);
      if (problem) problems.push({ path: file.path, problem });
    }
    return { name, filesChecked: manifest.files.length, problems };
  }

  folderOf(presetName: string): string {
    return this.childFolder(presetName);
  }

  private async describeInstalled(name: string): Promise<InstalledModel> {
    const folder = this.childFolder(name);
    const manifest = await readManifest(folder);
    let complete = manifest !== undefined;
    for (const file of manifest?.files ?? []) {
      if ((await fileSize(insideFolder(folder, file.path))) !== file.size) complete = false;
    }
    return { name, folder, bytesOnDisk: await bytesUnder(folder), complete, manifest };
  }

  private async modelFolderNames(): Promise<string[]> {
    let entries;
    try {
      entries = await readdir(this.modelsDirectory, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const names: string[] = [];
    for (const entry of entries) {
      if (entry.isDirectory() && (await this.isModelFolder(entry.name))) names.push(entry.name);
    }
    return names.sort();
  }

  private async isModelFolder(name: string): Promise<boolean> {
    return findPreset(name)?.name === name || (await fileSize(join(this.childFolder(name), MANIFEST_FILE))) !== undefined;
  }

  /** Refuses anything but a plain name, so no argument can reach outside the models folder. */
  private childFolder(name: string): string {
    const folder = resolve(this.modelsDirectory, name);
    if (!name || name !== basename(name) || name === '.' || name === '..' || dirname(folder) !== this.modelsDirectory) {
      throw new ModelInstallError('invalid', `"${name}" is not a model name: give the name of a folder directly inside ${this.modelsDirectory}.`);
    }
    return folder;
  }
}

/** Files of an earlier pull of the same commit stay listed; those of an older commit are deleted. */
async function recordPull(
  folder: string,
  preset: ModelPreset,
  pull: { commit: string; devices: readonly DeviceKind[]; files: readonly HubFile[]; previous: SeedManifest | undefined },
): Promise<void> {
  const { commit, previous } = pull;
  const pulled = new Set(pull.files.map((file) => file.path));
  const leftOver = previous?.files.filter((file) => !pulled.has(file.path)) ?? [];
  const sameCommit = previous?.commit === commit;
  if (!sameCommit) {
    for (const file of leftOver) await rm(insideFolder(folder, file.path), { force: true });
  }
  await writeManifest(folder, {
    preset: preset.name,
    repository: preset.repository,
    revision: preset.revision,
    commit,
    devices: [...new Set([...(sameCommit ? previous.devices : []), ...pull.devices])].sort(),
    files: [...(sameCommit ? leftOver : []), ...pull.files.map(toManifestFile)],
    pulledAt: new Date().toISOString(),
  });
}

function requirePreset(name: string): ModelPreset {
  const preset = findPreset(name);
  if (preset) return preset;
  const known = ALL_PRESETS.map((candidate) => candidate.name).join(', ');
  throw new ModelInstallError('unknown-model', `Unknown model "${name}". Known models: ${known}.`);
}

/** The preset's files for the devices, plus the external-data companions the repository has. */
function selectFiles(preset: ModelPreset, devices: readonly DeviceKind[], tree: readonly HubFile[], commit: string): HubFile[] {
  const onnx = [...new Set(devices.flatMap((device) => onnxFiles(preset, device)))];
  const wanted = [...new Set(devices.flatMap((device) => presetFiles(preset, device)))];
  const byPath = new Map(tree.map((file) => [file.path, file]));
  const absent = wanted.filter((path) => !byPath.has(path));
  if (absent.length > 0) {
    throw new ModelInstallError(
      'not-found',
      `The repository ${preset.repository} at commit ${commit.slice(0, 8)} has no ${absent.join(', ')}, so the ${preset.name} preset does not match it.`,
    );
  }
  const companions = tree
    .filter((file) => onnx.some((path) => isExternalDataOf(file.path, path)))
    .sort((first, second) => first.path.localeCompare(second.path, 'en', { numeric: true }));
  return [...wanted.map((path) => byPath.get(path)!), ...companions];
}

/** Files already in place with the right checksum are kept; a corrupt one is fetched again. */
async function filesNeedingDownload(folder: string, files: readonly HubFile[]): Promise<HubFile[]> {
  const missing: HubFile[] = [];
  for (const file of files) {
    if ((await findFileProblem(insideFolder(folder, file.path), file)) !== undefined) missing.push(file);
  }
  return missing;
}

function isExternalDataOf(candidate: string, onnxPath: string): boolean {
  return candidate.startsWith(`${onnxPath}_data`) && /^(_\d+)?$/.test(candidate.slice(onnxPath.length + '_data'.length));
}

/** Paths come from the Hub; one that climbs out of the model folder is refused, not followed. */
function insideFolder(folder: string, relativePath: string): string {
  const path = resolve(folder, relativePath);
  if (!path.startsWith(folder + sep)) {
    throw new ModelInstallError('invalid', `Refusing the file path "${relativePath}": it points outside the model folder.`);
  }
  return path;
}

function toManifestFile(file: HubFile): ManifestFile {
  return file.sha256 ? { path: file.path, size: file.size, sha256: file.sha256 } : { path: file.path, size: file.size, gitOid: file.gitOid };
}

function sumSizes(files: readonly { size: number }[]): number {
  return files.reduce((sum, file) => sum + file.size, 0);
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function bytesUnder(folder: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) total += await bytesUnder(path);
    else if (entry.isFile()) total += (await lstat(path)).size;
  }
  return total;
}
