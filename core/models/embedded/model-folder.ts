import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DTYPE_SUFFIX, findPreset, type DeviceKind, type ModelPreset, type SessionDtype } from '../presets.js';

export const SMOLVLM_SESSIONS = ['vision_encoder', 'embed_tokens', 'decoder_model_merged'] as const;
export type SmolVlmSession = (typeof SMOLVLM_SESSIONS)[number];
export type SessionDtypes = Record<SmolVlmSession, SessionDtype>;

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
}

/** `VLM_MODEL` is a preset name (a folder under MODELS_DIR) or a path to a folder prepared by hand. */
export function locateModel(setting: string, modelsDir: string): ModelLocation {
  const preset = findPreset(setting);
  return preset ? { folder: resolve(modelsDir, preset.name), preset } : { folder: resolve(setting) };
}

const DTYPE_NAMES = Object.keys(DTYPE_SUFFIX) as SessionDtype[];

/**
 * `VLM_DTYPE`: one dtype for every session (`q4`) or one per session
 * (`vision_encoder=int8,embed_tokens=int8,decoder_model_merged=q4`). Returns undefined when unset.
 */
export function parseDtypeSetting(setting: string | undefined): Partial<SessionDtypes> | undefined {
  if (!setting) return undefined;
  if (isDtype(setting)) return Object.fromEntries(SMOLVLM_SESSIONS.map((session) => [session, setting]));
  const entries = setting.split(',').map((pair) => pair.trim().split('='));
  const result: Partial<SessionDtypes> = {};
  for (const [session, dtype] of entries) {
    if (!isSession(session) || !isDtype(dtype)) {
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
export function chooseDtypes(location: ModelLocation, device: DeviceKind, override?: Partial<SessionDtypes>): SessionDtypes {
  const preference: SessionDtype[] =
    device === 'cuda' ? ['fp16', 'q4f16', 'fp32', 'q4', 'q8', 'int8', 'uint8', 'bnb4'] : ['q4', 'int8', 'q8', 'uint8', 'fp32', 'bnb4', 'fp16', 'q4f16'];
  const choose = (session: SmolVlmSession): SessionDtype => {
    const chosen = override?.[session] ?? location.preset?.dtypes[device][session];
    if (chosen) return chosen;
    return preference.find((dtype) => existsSync(onnxPath(location.folder, session, dtype))) ?? 'fp32';
  };
  return { vision_encoder: choose('vision_encoder'), embed_tokens: choose('embed_tokens'), decoder_model_merged: choose('decoder_model_merged') };
}

export function onnxPath(folder: string, session: string, dtype: SessionDtype): string {
  return join(folder, 'onnx', `${session}${DTYPE_SUFFIX[dtype]}.onnx`);
}

const REQUIRED_CONFIG_FILES = ['config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json'];

/** Checks the files are there before anything is loaded, so the user gets the command to fix it. */
export function assertModelPresent(location: ModelLocation, dtypes: SessionDtypes, device: DeviceKind): void {
  const missing = [
    ...REQUIRED_CONFIG_FILES.map((file) => join(location.folder, file)),
    ...SMOLVLM_SESSIONS.map((session) => onnxPath(location.folder, session, dtypes[session])),
  ].filter((path) => !existsSync(path));
  if (missing.length === 0) return;
  if (location.preset) {
    const deviceFlag = device === 'cuda' ? ' --device cuda' : '';
    throw new ModelSetupError(
      existsSync(location.folder)
        ? `The vision model ${location.preset.name} is incomplete (${missing.length} files missing, e.g. ${missing[0]}). Run: npm run models -- pull ${location.preset.name}${deviceFlag}`
        : `The vision model ${location.preset.name} is not installed. Run: npm run models -- pull ${location.preset.name}${deviceFlag}`,
    );
  }
  throw new ModelSetupError(
    `The model folder ${location.folder} is missing ${missing[0]}${missing.length > 1 ? ` and ${missing.length - 1} more files` : ''}. Set VLM_MODEL to a preset (npm run models -- list) or a complete model folder.`,
  );
}

/** Sessions whose weights sit in an external `.onnx_data` file next to the graph. */
export function externalDataSessions(folder: string, dtypes: SessionDtypes): Partial<Record<SmolVlmSession, boolean>> {
  return Object.fromEntries(
    SMOLVLM_SESSIONS.filter((session) => existsSync(`${onnxPath(folder, session, dtypes[session])}_data`)).map((session) => [session, true]),
  );
}

function isDtype(value: string | undefined): value is SessionDtype {
  return value !== undefined && (DTYPE_NAMES as string[]).includes(value);
}

function isSession(value: string | undefined): value is SmolVlmSession {
  return value !== undefined && (SMOLVLM_SESSIONS as readonly string[]).includes(value);
}
