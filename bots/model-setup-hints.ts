import {
  InvalidDtypeSettingError,
  ModelFilesMissingError,
  WrongModelTaskError,
  type ModelLocation,
  type ModelTask,
} from '../core/index.js';

/**
 * The core reports a model that cannot be set up as typed facts; the words the operator reads (the
 * variable to change, the command to run) live here, beside the configuration that names them.
 */

/** How the operator hears of each model: its name in a sentence and the variable that chooses it. */
const ROLE: Record<ModelTask, { noun: string; variable: string; example: string }> = {
  'vision-language': { noun: 'vision model', variable: 'VLM_MODEL', example: 'smolvlm-256m' },
  'speech-to-text': { noun: 'speech model', variable: 'STT_MODEL', example: 'whisper-base' },
  'text-to-speech': { noun: 'voice', variable: 'TTS_VOICE', example: 'piper-en-us-lessac-medium' },
};

/** One line saying what to set up, or undefined when the error is not a known setup problem. */
export function modelSetupHint(error: unknown): string | undefined {
  if (error instanceof ModelFilesMissingError) return missingFilesHint(error);
  if (error instanceof WrongModelTaskError) {
    const role = ROLE[error.task];
    return `${role.variable} is ${error.presetName}, which is a ${ROLE[error.presetTask].noun}; set ${role.variable} to a ${role.noun} such as ${role.example} (npm run models -- list).`;
  }
  if (error instanceof InvalidDtypeSettingError) {
    // Only the embedded vision backend takes a dtype setting.
    return `VLM_DTYPE "${error.setting}" is not understood; expected one of ${error.allowed.join(', ')}, or session=dtype pairs such as vision_encoder=int8,decoder_model_merged=q4.`;
  }
  return undefined;
}

/** One line for a model whose files are there but did not load (the log has the error itself). */
export function modelLoadFailedHint(task: ModelTask, location: Pick<ModelLocation, 'folder' | 'preset'>): string {
  const fix = location.preset
    ? `check it with: npm run models -- verify ${location.preset.name}`
    : 'check the files in that folder, or use a preset (npm run models -- list)';
  return `The ${ROLE[task].noun} in ${location.folder} could not be loaded; ${fix}`;
}

function missingFilesHint(error: ModelFilesMissingError): string {
  const role = ROLE[error.task];
  const [first] = error.missingFiles;
  if (error.preset) {
    const pull = `npm run models -- pull ${error.preset.name}${error.device === 'cuda' ? ' --device cuda' : ''}`;
    return error.folderExists
      ? `The ${role.noun} ${error.preset.name} is incomplete (${error.missingFiles.length} files missing, e.g. ${first}). Run: ${pull}`
      : `The ${role.noun} ${error.preset.name} is not installed. Run: ${pull}`;
  }
  const more = error.missingFiles.length > 1 ? ` and ${error.missingFiles.length - 1} more files` : '';
  return `The model folder ${error.folder} is missing ${first}${more}. Set ${role.variable} to a preset (npm run models -- list) or a complete model folder.`;
}
