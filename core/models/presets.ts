/**
 * Named models the setup command can fetch and the embedded backend can load. A preset maps a
 * short name to a Hub repository, the files to fetch, and the ONNX dtype of each session per
 * device. Sizes and checksums are not written here: `pull` reads them from the Hub for the exact
 * revision it downloads and keeps them in the model folder, so `verify` works offline.
 */
export type SessionDtype = 'fp32' | 'fp16' | 'q8' | 'int8' | 'uint8' | 'q4' | 'q4f16' | 'bnb4';
export type DeviceKind = 'cpu' | 'cuda';

export interface ModelPreset {
  readonly name: string;
  readonly task: 'vision-language' | 'speech-to-text' | 'text-to-speech';
  readonly description: string;
  /** Hub repository id, e.g. `HuggingFaceTB/SmolVLM-256M-Instruct`. */
  readonly repository: string;
  /** Branch, tag or commit; `pull` records the commit it resolved to. */
  readonly revision: string;
  /** Non-ONNX files the processor and tokenizer need, relative to the repository root. */
  readonly configFiles: readonly string[];
  /** ONNX session names; the file is `onnx/<session><suffix>.onnx` for the dtype chosen. */
  readonly sessions: readonly string[];
  /**
   * Every file to fetch, relative to the repository root, for a repository not laid out for
   * transformers.js (a Piper voice: one `.onnx` and its `.onnx.json`, the same on every device).
   * When set, `configFiles` and `sessions` are empty.
   */
  readonly files?: readonly string[];
  readonly dtypes: Readonly<Record<DeviceKind, Readonly<Record<string, SessionDtype>>>>;
  /** Vision models: image splitting multiplies vision passes (up to 13-17 per phone photo), so off on CPU. */
  readonly imageSplitting?: Readonly<Record<DeviceKind, boolean>>;
  /** Rough download size for the CPU files, for `list`. */
  readonly approximateCpuMegabytes: number;
}

/** transformers.js file-name suffix of each dtype. */
export const DTYPE_SUFFIX: Readonly<Record<SessionDtype, string>> = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
};

const SMOLVLM_CONFIG_FILES = [
  'config.json',
  'generation_config.json',
  'preprocessor_config.json',
  'processor_config.json',
  'special_tokens_map.json',
  'tokenizer.json',
  'tokenizer_config.json',
] as const;

export const SMOLVLM_SESSIONS = ['vision_encoder', 'embed_tokens', 'decoder_model_merged'] as const;

const SMOLVLM_DTYPES = {
  cpu: { vision_encoder: 'int8', embed_tokens: 'int8', decoder_model_merged: 'q4' },
  cuda: { vision_encoder: 'fp16', embed_tokens: 'fp16', decoder_model_merged: 'q4f16' },
} as const;

function smolvlm(name: string, repository: string, description: string, approximateCpuMegabytes: number): ModelPreset {
  return {
    name,
    task: 'vision-language',
    description,
    repository,
    revision: 'main',
    configFiles: SMOLVLM_CONFIG_FILES,
    sessions: SMOLVLM_SESSIONS,
    dtypes: SMOLVLM_DTYPES,
    imageSplitting: { cpu: false, cuda: true },
    approximateCpuMegabytes,
  };
}

export const PRESETS: readonly ModelPreset[] = [
  smolvlm('smolvlm-256m', 'HuggingFaceTB/SmolVLM-256M-Instruct', 'SmolVLM 256M: the CPU default, quick, basic descriptions', 210),
  smolvlm('smolvlm-500m', 'HuggingFaceTB/SmolVLM-500M-Instruct', 'SmolVLM 500M: clearly better, still runs on a CPU', 400),
  smolvlm('smolvlm2-256m', 'HuggingFaceTB/SmolVLM2-256M-Video-Instruct', 'SmolVLM2 256M: newer training, same size as smolvlm-256m', 210),
  smolvlm('smolvlm2-500m', 'HuggingFaceTB/SmolVLM2-500M-Video-Instruct', 'SmolVLM2 500M: newer training, same size as smolvlm-500m', 400),
];

const WHISPER_CONFIG_FILES = [
  'config.json',
  'generation_config.json',
  'preprocessor_config.json',
  'special_tokens_map.json',
  'tokenizer.json',
  'tokenizer_config.json',
] as const;

export const WHISPER_SESSIONS = ['encoder_model', 'decoder_model_merged'] as const;

// The encoder does most of the work per note and loses the most accuracy when quantized, so it
// stays full precision where it is small; the decoder runs once per token and quantizes well.
const WHISPER_DTYPES = {
  cpu: { encoder_model: 'fp32', decoder_model_merged: 'q8' },
  cuda: { encoder_model: 'fp32', decoder_model_merged: 'fp16' },
} as const;

function whisper(
  name: string,
  repository: string,
  description: string,
  approximateCpuMegabytes: number,
  dtypes: ModelPreset['dtypes'] = WHISPER_DTYPES,
): ModelPreset {
  return {
    name,
    task: 'speech-to-text',
    description,
    repository,
    revision: 'main',
    configFiles: WHISPER_CONFIG_FILES,
    sessions: WHISPER_SESSIONS,
    dtypes,
    approximateCpuMegabytes,
  };
}

export const SPEECH_PRESETS: readonly ModelPreset[] = [
  whisper('whisper-tiny', 'onnx-community/whisper-tiny', 'Whisper tiny: speech to text, fastest, least accurate', 70),
  whisper('whisper-base', 'onnx-community/whisper-base', 'Whisper base: speech to text, the default, good on a CPU', 140),
  whisper('whisper-small', 'onnx-community/whisper-small', 'Whisper small: speech to text, clearly more accurate, slower on a CPU', 500),
  whisper(
    'whisper-large-v3-turbo',
    'onnx-community/whisper-large-v3-turbo',
    'Whisper large v3 turbo: speech to text, best accuracy and languages, for a GPU host',
    900,
    { cpu: { encoder_model: 'q8', decoder_model_merged: 'q8' }, cuda: { encoder_model: 'fp16', decoder_model_merged: 'fp16' } },
  ),
];

/**
 * A Piper voice from rhasspy/piper-voices: `<family>/<code>/<dataset>/<quality>/<code>-<dataset>-<quality>.onnx`
 * with its `.onnx.json` and the MODEL_CARD that states its licence and training data. Pinned to the
 * repository's v1.0.0 tag, the revision Piper's own voice list links to.
 */
function piperVoice(code: string, dataset: string, quality: string, description: string, approximateCpuMegabytes: number): ModelPreset {
  const folder = `${code.split('_')[0]}/${code}/${dataset}/${quality}`;
  const voice = `${folder}/${code}-${dataset}-${quality}`;
  return {
    name: `piper-${code.toLowerCase().replace('_', '-')}-${dataset.replaceAll('_', '-')}-${quality.replaceAll('_', '-')}`,
    task: 'text-to-speech',
    description,
    repository: 'rhasspy/piper-voices',
    revision: 'v1.0.0',
    configFiles: [],
    sessions: [],
    files: [`${voice}.onnx`, `${voice}.onnx.json`, `${folder}/MODEL_CARD`],
    dtypes: { cpu: {}, cuda: {} },
    approximateCpuMegabytes,
  };
}

export const VOICE_PRESETS: readonly ModelPreset[] = [
  piperVoice('en_US', 'lessac', 'medium', 'Piper voice: US English (lessac), medium quality, a neural voice for voice replies', 63),
  piperVoice('zh_CN', 'huayan', 'medium', 'Piper voice: Mandarin Chinese (huayan), medium quality, a neural voice for voice replies', 63),
];

export const ALL_PRESETS: readonly ModelPreset[] = [...PRESETS, ...SPEECH_PRESETS, ...VOICE_PRESETS];

export function findPreset(name: string): ModelPreset | undefined {
  return ALL_PRESETS.find((preset) => preset.name === name.toLowerCase());
}

/** The ONNX files a preset needs on one device, relative to the model folder. */
export function onnxFiles(preset: ModelPreset, device: DeviceKind): string[] {
  if (preset.files) return preset.files.filter((path) => path.endsWith('.onnx'));
  return preset.sessions.map((session) => `onnx/${session}${DTYPE_SUFFIX[preset.dtypes[device][session]!]}.onnx`);
}

/** Every file a preset needs on one device, relative to the repository root (and the model folder). */
export function presetFiles(preset: ModelPreset, device: DeviceKind): string[] {
  return preset.files ? [...preset.files] : [...preset.configFiles, ...onnxFiles(preset, device)];
}
