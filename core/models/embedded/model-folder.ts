import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DTYPE_SUFFIX, findPreset, type DeviceKind, type ModelPreset, type SessionDtype } from '../presets.js';

/** The ONNX session file names of one model and the dtype chosen for each. */
export type SessionDtypes = Readonly<Record<string, SessionDtype>>;

export type ModelTask = ModelPreset['task'];

/** How the user hears of a model: "the vision model", "the speech model". */
const ROLE: Record<ModelTask, { noun: string; variable: string; example: string }> = {
  'vision-language': { noun: 'vision model', variable: 'VLM_MODEL', example: 'smolvlm-256m' },
  'speech-to-text': { noun: 'speech model', variable: 'STT_MODEL', example: 'whisper-base' },
};

/** Start-up stops with this when the model is not there; `hint` is the one line to show. */
export class ModelSetupError extends Error {
  override readonly name = 'ModelSetupError';
  constructor(readonly hint: string) {
    super(hint);
  }
}

export interface ModelLocation {
  readonly folder: string;
  readonly preset?: ModelPreset;
  /** Default: vision-language. */
  readonly task?: ModelTask;
}

/**
 * `VLM_MODEL` or `STT_MODEL`: a preset name (a folder under MODELS_DIR) or a path to a folder
 * prepared by hand. A preset made for the other task is refused with the variable to change.
 */
export function locateModel(setting: string, modelsDir: string, task: ModelTask = 'vision-language'): ModelLocation {
  const preset = findPreset(setting);
  if (preset && preset.task !== task) {
    const role = ROLE[task];
    throw new ModelSetupError(
      `${role.variable} is ${preset.name}, which is a ${ROLE[preset.task].noun}; set ${role.variable} to a ${role.noun} such as ${role.example} (npm run models -- list).`,
    );
  }
  return preset ? { folder: resolve(modelsDir, preset.name), preset, task } : { folder: resolve(setting), task };
}

const DTYPE_NAMES = Object.keys(DTYPE_SUFFIX) as SessionDtype[];

export const SMOLVLM_SESSIONS = ['vision_encoder', 'embed_tokens', 'decoder_model_merged'] as const;

/**
 * `VLM_DTYPE`: one dtype for every session (`q4`) or one per session
 * (`vision_encoder=int8,embed_tokens=int8,decoder_model_merged=q4`). Returns undefined when unset.
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
      throw new ModelSetupError(
        `VLM_DTYPE "${setting}" is not understood; expected one of ${DTYPE_NAMES.join(', ')}, or session=dtype pairs such as vision_encoder=int8,decoder_model_merged=q4.`,
      );
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

/** Checks the files are there before anything is loaded, so the user gets the command to fix it. */
export function assertModelPresent(location: ModelLocation, dtypes: SessionDtypes, device: DeviceKind): void {
  const missing = [
    ...REQUIRED_CONFIG_FILES.map((file) => join(location.folder, file)),
    ...Object.entries(dtypes).map(([session, dtype]) => onnxPath(location.folder, session, dtype)),
  ].filter((path) => !existsSync(path));
  if (missing.length === 0) return;
  const role = ROLE[location.task ?? 'vision-language'];
  if (location.preset) {
    const deviceFlag = device === 'cuda' ? ' --device cuda' : '';
    throw new ModelSetupError(
      existsSync(location.folder)
        ? `The ${role.noun} ${location.preset.name} is incomplete (${missing.length} files missing, e.g. ${missing[0]}). Run: npm run models -- pull ${location.preset.name}${deviceFlag}`
        : `The ${role.noun} ${location.preset.name} is not installed. Run: npm run models -- pull ${location.preset.name}${deviceFlag}`,
    );
  }
  throw new ModelSetupError(
    `The model folder ${location.folder} is missing ${missing[0]}${missing.length > 1 ? ` and ${missing.length - 1} more files` : ''}. Set ${role.variable} to a preset (npm run models -- list) or a complete model folder.`,
  );
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

