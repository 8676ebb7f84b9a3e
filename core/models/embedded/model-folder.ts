import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DTYPE_SUFFIX, findPreset, SMOLVLM_SESSIONS, type DeviceKind, type ModelPreset, type SessionDtype } from '../presets.js';
import { InvalidDtypeSettingError, ModelFilesMissingError, WrongModelTaskError, type ModelTask } from './model-folder-errors.js';

export type { ModelTask } from './model-folder-errors.js';

/** The ONNX session file names of one model and the dtype chosen for each. */
export type SessionDtypes = Readonly<Record<string, SessionDtype>>;

export interface ModelLocation {
  readonly folder: string;
  readonly preset?: ModelPreset;
  /** Default: vision-language. */
  readonly task?: ModelTask;
}

/**
 * A preset name (a folder under the models folder) or a path to a folder prepared by hand. A preset
 * made for the other task is refused with WrongModelTaskError.
 */
export function locateModel(setting: string, modelsDir: string, task: ModelTask = 'vision-language'): ModelLocation {
  const preset = findPreset(setting);
  if (preset && preset.task !== task) throw new WrongModelTaskError(task, preset.name, preset.task);
  return preset ? { folder: resolve(modelsDir, preset.name), preset, task } : { folder: resolve(setting), task };
}

const DTYPE_NAMES = Object.keys(DTYPE_SUFFIX) as SessionDtype[];

export { SMOLVLM_SESSIONS };

/**
 * One dtype for every session (`q4`) or one per session
 * (`vision_encoder=int8,embed_tokens=int8,decoder_model_merged=q4`). Returns undefined when unset;
 * throws InvalidDtypeSettingError for anything else.
 */
export function parseDtypeSetting(
  setting: string | undefined,
  sessions: readonly string[] = SMOLVLM_SESSIONS,
): Partial<SessionDtypes> | undefined {
  if (!setting) return undefined;
  if (isDtype(setting)) return Object.fromEntries(sessions.map((session) => [session, setting]));
  const entries = setting.split(',').map((pair) => pair.trim().split('='));
  const result: Record<string, SessionDtype> = {};
  for (const [session, dtype] of entries) {
    if (session === undefined || !sessions.includes(session) || !isDtype(dtype)) {
      throw new InvalidDtypeSettingError(setting, DTYPE_NAMES);
    }
    result[session] = dtype;
  }
  return result;
}

/**
 * The dtype of each session: the setting first, then the preset's choice for the device, then
 * for a folder prepared by hand the first file present in order of preference.
 */
export function chooseDtypes(
  location: ModelLocation,
  device: DeviceKind,
  sessions: readonly string[],
  override?: Partial<SessionDtypes>,
): SessionDtypes {
  const preference: SessionDtype[] =
    device === 'cuda' ? ['fp16', 'q4f16', 'fp32', 'q4', 'q8', 'int8', 'uint8', 'bnb4'] : ['q4', 'int8', 'q8', 'uint8', 'fp32', 'bnb4', 'fp16', 'q4f16'];
  const choose = (session: string): SessionDtype => {
    const chosen = override?.[session] ?? location.preset?.dtypes[device][session];
    if (chosen) return chosen;
    return preference.find((dtype) => existsSync(onnxPath(location.folder, session, dtype))) ?? 'fp32';
  };
  return Object.fromEntries(sessions.map((session) => [session, choose(session)]));
}

export function onnxPath(folder: string, session: string, dtype: SessionDtype): string {
  return join(folder, 'onnx', `${session}${DTYPE_SUFFIX[dtype]}.onnx`);
}

const REQUIRED_CONFIG_FILES = ['config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json'];

/** Checks the files are there before anything is loaded, so the operator can be told what to install. */
export function assertModelPresent(location: ModelLocation, dtypes: SessionDtypes, device: DeviceKind): void {
  const missingFiles = [
    ...REQUIRED_CONFIG_FILES.map((file) => join(location.folder, file)),
    ...Object.entries(dtypes).map(([session, dtype]) => onnxPath(location.folder, session, dtype)),
  ].filter((path) => !existsSync(path));
  if (missingFiles.length === 0) return;
  throw new ModelFilesMissingError({
    task: location.task ?? 'vision-language',
    folder: location.folder,
    preset: location.preset,
    missingFiles,
    folderExists: existsSync(location.folder),
    device,
  });
}

/** Sessions whose weights sit in an external `.onnx_data` file next to the graph. */
export function externalDataSessions(folder: string, dtypes: SessionDtypes): Record<string, boolean> {
  return Object.fromEntries(
    Object.entries(dtypes)
      .filter(([session, dtype]) => existsSync(`${onnxPath(folder, session, dtype)}_data`))
      .map(([session]) => [session, true]),
  );
}

function isDtype(value: string | undefined): value is SessionDtype {
  return value !== undefined && (DTYPE_NAMES as string[]).includes(value);
}

