/**
 * The non-ONNX files of a generated Whisper folder: config.json, generation_config.json,
 * preprocessor_config.json, and a byte-level BPE tokenizer laid out like Whisper's: text tokens
 * first (the 256 byte tokens in GPT-2's order, then filler words), then `<|endoftext|>`,
 * `<|startoftranscript|>`, the language tokens, the task and other special tokens, `<|notimestamps|>`
 * and the timestamp tokens `<|0.00|>`..`<|30.00|>`. With no merges every byte is its own token, which
 * is all decoding needs.
 */

/** The numbers config.json states and the graphs are built with. */
export interface WhisperDimensions {
  dModel: number;
  encoderLayers: number;
  decoderLayers: number;
  encoderHeads: number;
  decoderHeads: number;
  encoderFfn: number;
  decoderFfn: number;
  numMelBins: number;
  /** Encoder output rows: 1500 for 30 s of audio (3000 mel frames, halved by conv2's stride). */
  maxSourcePositions: number;
  maxTargetPositions: number;
  /**
   * Text tokens before `<|endoftext|>` in a multilingual vocabulary: 50257 in the real one (GPT-2's
   * 50256 plus one), so `<|endoftext|>` is 50257. English-only vocabularies have one fewer.
   */
  multilingualTextTokens: number;
  /** `<|0.00|>`..`<|30.00|>` in 0.02 s steps: 1501. */
  timestampTokens: number;
}

export const LAYER_NORM_EPSILON = 1e-5;

/** Whisper's 99 language codes in token order (the order of transformers.js's WHISPER_LANGUAGES). */
export const WHISPER_LANGUAGE_CODES: readonly string[] = [
  'en', 'zh', 'de', 'es', 'ru', 'ko', 'fr', 'ja', 'pt', 'tr', 'pl', 'ca', 'nl', 'ar', 'sv', 'it', 'id', 'hi', 'fi', 'vi',
  'he', 'uk', 'el', 'ms', 'cs', 'ro', 'da', 'hu', 'ta', 'no', 'th', 'ur', 'hr', 'bg', 'lt', 'la', 'mi', 'ml', 'cy', 'sk',
  'te', 'fa', 'lv', 'bn', 'sr', 'az', 'sl', 'kn', 'et', 'mk', 'br', 'eu', 'is', 'hy', 'ne', 'mn', 'bs', 'kk', 'sq', 'sw',
  'gl', 'mr', 'pa', 'si', 'km', 'sn', 'yo', 'so', 'af', 'oc', 'ka', 'be', 'tg', 'sd', 'gu', 'am', 'yi', 'lo', 'uz', 'fo',
  'ht', 'ps', 'tk', 'nn', 'mt', 'sa', 'lb', 'my', 'bo', 'tl', 'mg', 'as', 'tt', 'haw', 'ln', 'ha', 'ba', 'jw', 'su',
];

/**
 * Whisper's real `suppress_tokens` below `<|endoftext|>` (from openai/whisper-base's
 * generation_config.json). The ids under 256 are punctuation byte tokens, the same here because the
 * byte tokens keep GPT-2's order; the rest are kept when the text vocabulary reaches them.
 */
const REAL_TEXT_SUPPRESS_TOKENS = [
  1, 2, 7, 8, 9, 10, 14, 25, 26, 27, 28, 29, 31, 58, 59, 60, 61, 62, 63, 90, 91, 92, 93, 359, 503, 522, 542, 873, 893, 902,
  918, 922, 931, 1350, 1853, 1982, 2460, 2627, 3246, 3253, 3268, 3536, 3846, 3961, 4183, 4667, 6585, 6647, 7273, 9061,
  9383, 10428, 10929, 11938, 12033, 12331, 12562, 13793, 14157, 14635, 15265, 15618, 16553, 16604, 18362, 18956, 20075,
  21675, 22520, 26130, 26161, 26435, 28279, 29464, 31650, 32302, 32470, 36865, 42863, 47425, 49870, 50254,
];

/** The byte token of the space, `Ġ`: 220 in GPT-2's order, and in Whisper's `begin_suppress_tokens`. */
const SPACE_TOKEN_ID = 220;

export interface WhisperTokenIds {
  endOfText: number;
  startOfTranscript: number;
  translate: number;
  transcribe: number;
  startOfLm: number;
  startOfPrev: number;
  /** `<|nocaptions|>`, as whisper-base calls it (`<|nospeech|>` in large-v3). */
  noSpeech: number;
  noTimestamps: number;
  /** `<|0.00|>`, the first timestamp token: `noTimestamps + 1`, as transformers.js assumes. */
  timestampBegin: number;
  /** Language code to token id, e.g. `{ en: 50259, zh: 50260, ... }` at the real size. */
  languages: Record<string, number>;
}

export interface WhisperTokenizerFiles {
  tokenizer: object;
  tokenizerConfig: object;
  specialTokensMap: object;
  ids: WhisperTokenIds;
  /** Text tokens (bytes and words) before `<|endoftext|>`. */
  textVocabSize: number;
  vocabSize: number;
}

/** GPT-2's bytes_to_unicode: bytes in token order (printable first) and each byte's character. */
function byteTokens(): Array<{ byte: number; character: string }> {
  const printable = (byte: number) => (byte >= 33 && byte <= 126) || (byte >= 161 && byte <= 172) || (byte >= 174 && byte <= 255);
  const first: Array<{ byte: number; character: string }> = [];
  const rest: Array<{ byte: number; character: string }> = [];
  let shifted = 0;
  for (let byte = 0; byte < 256; byte += 1) {
    if (printable(byte)) first.push({ byte, character: String.fromCharCode(byte) });
    else rest.push({ byte, character: String.fromCharCode(256 + shifted++) });
  }
  return [...first, ...rest];
}

const CONSONANTS = 'bdfghklmnprstvwz';
const VOWELS = 'aeiou';

/**
 * Pronounceable filler words ("Ġkiro", "Ġbalumo"...): bijective base-80 over syllables, all distinct.
 * The first 6400 indices are scrambled (an odd multiplier not divisible by 5 permutes 0..6399), so a
 * small vocabulary does not spell every word with the same first syllable.
 */
function fillerWord(index: number): string {
  const syllableCount = CONSONANTS.length * VOWELS.length;
  const twoSyllableWords = syllableCount * syllableCount;
  const scrambled = index < twoSyllableWords ? (index * 2897) % twoSyllableWords : index;
  let remaining = scrambled + syllableCount + 1;
  let word = '';
  while (remaining > 0) {
    remaining -= 1;
    const syllable = remaining % syllableCount;
    word = CONSONANTS[Math.floor(syllable / VOWELS.length)]! + VOWELS[syllable % VOWELS.length]! + word;
    remaining = Math.floor(remaining / syllableCount);
  }
  return `Ġ${word}`;
}

/** `<|0.00|>`, `<|0.02|>`, ... as Whisper names them. */
function timestampToken(index: number): string {
  return `<|${(index * 0.02).toFixed(2)}|>`;
}

/** Language codes in Whisper's token order; unknown codes are an error, as they would be for transformers.js. */
export function orderLanguages(codes: readonly string[]): string[] {
  for (const code of codes) {
    if (!WHISPER_LANGUAGE_CODES.includes(code)) throw new Error(`Unknown Whisper language code: ${code}`);
  }
  return WHISPER_LANGUAGE_CODES.filter((code) => codes.includes(code));
}

/**
 * Token layout (multilingual, real size): text 0..50256, `<|endoftext|>` 50257,
 * `<|startoftranscript|>` 50258, languages from 50259 (`<|en|>`..`<|su|>`), then `<|translate|>`,
 * `<|transcribe|>`, `<|startoflm|>`, `<|startofprev|>`, `<|nocaptions|>`, `<|notimestamps|>`
 * (50358..50363) and the timestamps from 50364: vocabulary 51865, exactly the real ids. English-only
 * has one text token fewer, so every special id is one lower (vocabulary 51864), as in whisper-*.en.
 */
export function buildWhisperTokenizer(d: WhisperDimensions, languages: readonly string[], multilingual: boolean): WhisperTokenizerFiles {
  const textVocabSize = d.multilingualTextTokens - (multilingual ? 0 : 1);
  const bytes = byteTokens();
  if (textVocabSize < bytes.length + 1) throw new Error(`A text vocabulary of ${textVocabSize} has no room for the byte tokens`);
  const text = [...bytes.map(({ character }) => character)];
  for (let index = 0; text.length < textVocabSize; index += 1) text.push(fillerWord(index));

  const special = [
    '<|endoftext|>',
    '<|startoftranscript|>',
    ...languages.map((code) => `<|${code}|>`),
    '<|translate|>',
    '<|transcribe|>',
    '<|startoflm|>',
    '<|startofprev|>',
    '<|nocaptions|>',
    '<|notimestamps|>',
  ];
  const timestamps = Array.from({ length: d.timestampTokens }, (_, index) => timestampToken(index));
  const tokens = [...text, ...special, ...timestamps];
  const idOf = (token: string): number => textVocabSize + special.indexOf(token);

  const ids: WhisperTokenIds = {
    endOfText: idOf('<|endoftext|>'),
    startOfTranscript: idOf('<|startoftranscript|>'),
    translate: idOf('<|translate|>'),
    transcribe: idOf('<|transcribe|>'),
    startOfLm: idOf('<|startoflm|>'),
    startOfPrev: idOf('<|startofprev|>'),
    noSpeech: idOf('<|nocaptions|>'),
    noTimestamps: idOf('<|notimestamps|>'),
    timestampBegin: idOf('<|notimestamps|>') + 1,
    languages: Object.fromEntries(languages.map((code) => [code, idOf(`<|${code}|>`)])),
  };

  const addedToken = (id: number, content: string, isSpecial: boolean) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: !isSpecial,
    special: isSpecial,
  });
  const templateToken = (token: string) => ({ SpecialToken: { id: token, type_id: 0 } });
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    // The timestamps are added but not special, as in the real tokenizer: transformers.js takes the
    // last special id + 1 as the first timestamp when decoding with timestamps.
    added_tokens: [
      ...special.map((content, offset) => addedToken(textVocabSize + offset, content, true)),
      ...timestamps.map((content, offset) => addedToken(textVocabSize + special.length + offset, content, false)),
    ],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: {
      type: 'TemplateProcessing',
      single: [templateToken('<|startoftranscript|>'), templateToken('<|notimestamps|>'), { Sequence: { id: 'A', type_id: 0 } }, templateToken('<|endoftext|>')],
      pair: [
        templateToken('<|startoftranscript|>'),
        templateToken('<|notimestamps|>'),
        { Sequence: { id: 'A', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        templateToken('<|endoftext|>'),
      ],
      special_tokens: Object.fromEntries(
        ['<|startoftranscript|>', '<|notimestamps|>', '<|endoftext|>'].map((token) => [token, { id: token, ids: [idOf(token)], tokens: [token] }]),
      ),
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries(tokens.map((token, id) => [token, id])),
      merges: [],
    },
  };

  const additionalSpecialTokens = special.filter((token) => token !== '<|endoftext|>');
  const tokenizerConfig = {
    add_bos_token: false,
    add_prefix_space: false,
    additional_special_tokens: additionalSpecialTokens,
    bos_token: '<|endoftext|>',
    clean_up_tokenization_spaces: true,
    eos_token: '<|endoftext|>',
    errors: 'replace',
    model_max_length: 1024,
    pad_token: '<|endoftext|>',
    processor_class: 'WhisperProcessor',
    return_attention_mask: false,
    tokenizer_class: 'WhisperTokenizer',
    unk_token: '<|endoftext|>',
  };
  const specialTokensMap = {
    additional_special_tokens: additionalSpecialTokens,
    bos_token: '<|endoftext|>',
    eos_token: '<|endoftext|>',
    pad_token: '<|endoftext|>',
    unk_token: '<|endoftext|>',
  };
  return { tokenizer, tokenizerConfig, specialTokensMap, ids, textVocabSize, vocabSize: tokens.length };
}

/** `suppress_tokens` as the real generation config has them, for this vocabulary. */
export function suppressTokens(ids: WhisperTokenIds, textVocabSize: number): number[] {
  const text = REAL_TEXT_SUPPRESS_TOKENS.filter((id) => id < textVocabSize);
  return [...text, ids.startOfTranscript, ids.translate, ids.transcribe, ids.startOfLm, ids.startOfPrev, ids.noSpeech];
}

/** Cross-attention heads whisper-base lists for word timestamps; tiny models get the last layer's first heads. */
function alignmentHeads(d: WhisperDimensions): Array<[number, number]> {
  if (d.decoderLayers === 6 && d.decoderHeads === 8) return [[3, 1], [4, 2], [4, 3], [4, 7], [5, 1], [5, 2], [5, 4], [5, 6]];
  return [[d.decoderLayers - 1, 0]];
}

/**
 * config.json, generation_config.json and preprocessor_config.json, keyed by file name.
 * `externalDataFiles` names the ONNX files whose weights are in `<file>_data`.
 */
export function whisperConfigFiles(
  d: WhisperDimensions,
  tokenizer: Pick<WhisperTokenizerFiles, 'ids' | 'textVocabSize' | 'vocabSize'>,
  multilingual: boolean,
  externalDataFiles: readonly string[],
): Record<string, object> {
  const { ids, textVocabSize, vocabSize } = tokenizer;
  // English-only checkpoints use <|startoftranscript|> as bos (50257 both ways at the real size).
  const bosTokenId = multilingual ? ids.endOfText : ids.startOfTranscript;
  const config: Record<string, unknown> = {
    activation_dropout: 0.0,
    activation_function: 'gelu',
    apply_spec_augment: false,
    architectures: ['WhisperForConditionalGeneration'],
    attention_dropout: 0.0,
    begin_suppress_tokens: [SPACE_TOKEN_ID, ids.endOfText],
    bos_token_id: bosTokenId,
    classifier_proj_size: 256,
    d_model: d.dModel,
    decoder_attention_heads: d.decoderHeads,
    decoder_ffn_dim: d.decoderFfn,
    decoder_layerdrop: 0.0,
    decoder_layers: d.decoderLayers,
    decoder_start_token_id: ids.startOfTranscript,
    dropout: 0.0,
    encoder_attention_heads: d.encoderHeads,
    encoder_ffn_dim: d.encoderFfn,
    encoder_layerdrop: 0.0,
    encoder_layers: d.encoderLayers,
    eos_token_id: ids.endOfText,
    init_std: 0.02,
    is_encoder_decoder: true,
    max_length: d.maxTargetPositions,
    max_source_positions: d.maxSourcePositions,
    max_target_positions: d.maxTargetPositions,
    median_filter_width: 7,
    model_type: 'whisper',
    num_hidden_layers: d.encoderLayers,
    num_mel_bins: d.numMelBins,
    pad_token_id: ids.endOfText,
    scale_embedding: false,
    tie_word_embeddings: true,
    torch_dtype: 'float32',
    use_cache: true,
    use_weighted_layer_sum: false,
    vocab_size: vocabSize,
  };
  if (externalDataFiles.length > 0) {
    config['transformers.js_config'] = { use_external_data_format: Object.fromEntries(externalDataFiles.map((file) => [file, 1])) };
  }

  const generationConfig: Record<string, unknown> = {
    alignment_heads: alignmentHeads(d),
    begin_suppress_tokens: [SPACE_TOKEN_ID, ids.endOfText],
    bos_token_id: bosTokenId,
    decoder_start_token_id: ids.startOfTranscript,
    eos_token_id: ids.endOfText,
    // Not read by transformers.js (its ForceTokensLogitsProcessor is commented out); kept as exported.
    forced_decoder_ids: multilingual ? [[1, null], [2, ids.transcribe]] : [[1, ids.noTimestamps]],
    is_multilingual: multilingual,
    max_initial_timestamp_index: 50,
    max_length: d.maxTargetPositions,
    no_timestamps_token_id: ids.noTimestamps,
    pad_token_id: ids.endOfText,
    prev_sot_token_id: ids.startOfPrev,
    return_timestamps: false,
    suppress_tokens: suppressTokens(ids, textVocabSize),
  };
  if (multilingual) {
    generationConfig['lang_to_id'] = Object.fromEntries(Object.entries(ids.languages).map(([code, id]) => [`<|${code}|>`, id]));
    generationConfig['task_to_id'] = { transcribe: ids.transcribe, translate: ids.translate };
  }

  return {
    'config.json': config,
    'generation_config.json': generationConfig,
    'preprocessor_config.json': {
      chunk_length: 30,
      feature_extractor_type: 'WhisperFeatureExtractor',
      feature_size: d.numMelBins,
      hop_length: 160,
      n_fft: 400,
      n_samples: 480000,
      nb_max_frames: 2 * d.maxSourcePositions,
      padding_side: 'right',
      padding_value: 0.0,
      processor_class: 'WhisperProcessor',
      return_attention_mask: false,
      sampling_rate: 16000,
    },
  };
}
