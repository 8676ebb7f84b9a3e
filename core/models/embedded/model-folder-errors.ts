import type { DeviceKind, ModelPreset, SessionDtype } from '../presets.js';

export type ModelTask = ModelPreset['task'];

/*
 * The facts of a model that cannot be set up, for whoever configured it. The core names no
 * setting and no command: bots/ turns each error into the sentence the operator reads.
 */

/** Files the backend needs are not in the model folder (or the folder is not there at all). */
export class ModelFilesMissingError extends Error {
  override readonly name = 'ModelFilesMissingError';
  readonly task: ModelTask;
  readonly folder: string;
  readonly preset: ModelPreset | undefined;
  /** Full paths, in the order they were looked for. */
  readonly missingFiles: readonly string[];
  readonly folderExists: boolean;
  /** The device the files were chosen for: the files of a preset differ between CPU and CUDA. */
  readonly device: DeviceKind;

  constructor(details: {
    task: ModelTask;
    folder: string;
    preset?: ModelPreset | undefined;
    missingFiles: readonly string[];
    folderExists: boolean;
    device: DeviceKind;
  }) {
    super(`${details.folder} is missing ${details.missingFiles.length} model files, e.g. ${details.missingFiles[0] ?? 'none'}`);
    this.task = details.task;
    this.folder = details.folder;
    this.preset = details.preset;
    this.missingFiles = details.missingFiles;
    this.folderExists = details.folderExists;
    this.device = details.device;
  }
}

/** A preset made for another task, such as a vision model asked to transcribe speech. */
export class WrongModelTaskError extends Error {
  override readonly name = 'WrongModelTaskError';

  constructor(
    readonly task: ModelTask,
    readonly presetName: string,
    readonly presetTask: ModelTask,
  ) {
    super(`${presetName} is a ${presetTask} model, not a ${task} model`);
  }
}

/** A dtype setting that is neither one dtype nor session=dtype pairs of known sessions. */
export class InvalidDtypeSettingError extends Error {
  override readonly name = 'InvalidDtypeSettingError';

  constructor(
    readonly setting: string,
    readonly allowed: readonly SessionDtype[],
  ) {
    super(`"${setting}" is not a dtype (${allowed.join(', ')}) nor session=dtype pairs`);
  }
}
