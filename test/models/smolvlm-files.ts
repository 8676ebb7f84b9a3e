/**
 * The non-ONNX files of a generated SmolVLM folder: config.json and friends, and a byte-level BPE
 * tokenizer with the 256 byte tokens, SmolVLM's special and image tokens as single added tokens, and
 * filler words up to the vocabulary size. With no merges every character is its own token, which is
 * all the processor and generation need.
 */

/** The numbers config.json states and the graphs are built with. */
export interface SmolVlmDimensions {
  imageSize: number;
  patchSize: number;
  visionHidden: number;
  visionLayers: number;
  visionHeads: number;
  visionIntermediate: number;
  scaleFactor: number;
  textHidden: number;
  textLayers: number;
  textHeads: number;
  kvHeads: number;
  headDim: number;
  textIntermediate: number;
  vocabSize: number;
  /** Where `<global-img>` and the other image tokens start; 49152 matches the real SmolVLM ids. */
  firstImageTokenId: number;
}

export const ROPE_THETA = 100000;
export const RMS_NORM_EPSILON = 1e-5;
export const LAYER_NORM_EPSILON = 1e-6;

/** Rows per frame after the pixel shuffle: the `<image>` tokens the processor puts in per frame. */
export function imageSeqLen(d: SmolVlmDimensions): number {
  return (d.imageSize / d.patchSize) ** 2 / d.scaleFactor ** 2;
}

/** SmolVLM's real chat template (HuggingFaceTB/SmolVLM-256M-Instruct, tokenizer_config.json). */
export const SMOLVLM_CHAT_TEMPLATE =
  "<|im_start|>{% for message in messages %}{{message['role'] | capitalize}}{% if message['content'][0]['type'] == 'image' %}{{':'}}{% else %}{{': '}}{% endif %}{% for line in message['content'] %}{% if line['type'] == 'text' %}{{line['text']}}{% elif line['type'] == 'image' %}{{ '<image>' }}{% endif %}{% endfor %}<end_of_utterance>\n{% endfor %}{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}";

export interface SmolVlmTokenIds {
  endOfText: number;
  imStart: number;
  imEnd: number;
  globalImage: number;
  fakeTokenAroundImage: number;
  image: number;
  endOfUtterance: number;
}

/** The files' contents, ready for JSON.stringify. */
export interface SmolVlmTokenizerFiles {
  tokenizer: object;
  tokenizerConfig: object;
  specialTokensMap: object;
  ids: SmolVlmTokenIds;
}

const BYTE_TOKENS_START = 3;

/** GPT-2's byte-to-printable-character table, which ByteLevel pre-tokenizers and decoders assume. */
function byteToCharacter(): string[] {
  const printable = (byte: number) => (byte >= 33 && byte <= 126) || (byte >= 161 && byte <= 172) || (byte >= 174 && byte <= 255);
  let shifted = 0;
  return Array.from({ length: 256 }, (_, byte) => String.fromCharCode(printable(byte) ? byte : 256 + shifted++));
}

const CONSONANTS = 'bdfgklmnprstvz';
const VOWELS = 'aeiou';

/**
 * Pronounceable filler words ("Ġbato", "Ġkivera"...), so random output reads like words in logs.
 * Bijective base-70 over syllables makes every index a distinct word of at least two syllables.
 */
function fillerWord(index: number): string {
  const syllableCount = CONSONANTS.length * VOWELS.length;
  let remaining = index + syllableCount + 1;
  let word = '';
  while (remaining > 0) {
    remaining -= 1;
    const syllable = remaining % syllableCount;
    word = CONSONANTS[Math.floor(syllable / VOWELS.length)]! + VOWELS[syllable % VOWELS.length]! + word;
    remaining = Math.floor(remaining / syllableCount);
  }
  return `Ġ${word}`;
}

/**
 * Token layout: `<|endoftext|>` 0, `<|im_start|>` 1, `<|im_end|>` 2 (as in SmolLM2), bytes from 3,
 * filler words, then from `firstImageTokenId`: `<global-img>`, `<row_1_col_1>`..`<row_6_col_6>`,
 * `<fake_token_around_image>`, `<image>` (49152, 49153.., 49189, 49190 at the real size, as in the
 * real SmolVLM), more fillers, and `<end_of_utterance>` last (49279 at the real size, as in SmolVLM).
 */
export function buildSmolVlmTokenizer(vocabSize: number, firstImageTokenId: number): SmolVlmTokenizerFiles {
  const rowColumnTokens: string[] = [];
  for (let row = 1; row <= 6; row += 1) {
    for (let column = 1; column <= 6; column += 1) rowColumnTokens.push(`<row_${row}_col_${column}>`);
  }
  const imageBlock = ['<global-img>', ...rowColumnTokens, '<fake_token_around_image>', '<image>'];
  if (firstImageTokenId < BYTE_TOKENS_START + 256 || firstImageTokenId + imageBlock.length >= vocabSize) {
    throw new Error(`No room for the image tokens at ${firstImageTokenId} in a vocabulary of ${vocabSize}`);
  }

  const tokens = new Array<string>(vocabSize);
  const special = new Map<number, string>([
    [0, '<|endoftext|>'],
    [1, '<|im_start|>'],
    [2, '<|im_end|>'],
    [vocabSize - 1, '<end_of_utterance>'],
  ]);
  imageBlock.forEach((token, offset) => special.set(firstImageTokenId + offset, token));
  byteToCharacter().forEach((character, byte) => (tokens[BYTE_TOKENS_START + byte] = character));
  let fillerIndex = 0;
  for (let id = 0; id < vocabSize; id += 1) {
    tokens[id] = special.get(id) ?? tokens[id] ?? fillerWord(fillerIndex++);
  }

  const idOf = (token: string): number => tokens.indexOf(token);
  const ids: SmolVlmTokenIds = {
    endOfText: 0,
    imStart: 1,
    imEnd: 2,
    globalImage: idOf('<global-img>'),
    fakeTokenAroundImage: idOf('<fake_token_around_image>'),
    image: idOf('<image>'),
    endOfUtterance: vocabSize - 1,
  };

  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [...special]
      .sort(([a], [b]) => a - b)
      .map(([id, content]) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
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

  const additionalSpecialTokens = ['<fake_token_around_image>', '<image>', '<end_of_utterance>'];
  const tokenizerConfig = {
    add_prefix_space: false,
    additional_special_tokens: additionalSpecialTokens,
    bos_token: '<|im_start|>',
    chat_template: SMOLVLM_CHAT_TEMPLATE,
    clean_up_tokenization_spaces: false,
    eos_token: '<end_of_utterance>',
    legacy: false,
    model_max_length: 8192,
    pad_token: '<|im_end|>',
    processor_class: 'Idefics3Processor',
    tokenizer_class: 'GPT2Tokenizer',
    unk_token: '<|endoftext|>',
    vocab_size: vocabSize,
  };
  const specialTokensMap = {
    additional_special_tokens: additionalSpecialTokens,
    bos_token: '<|im_start|>',
    eos_token: '<end_of_utterance>',
    pad_token: '<|im_end|>',
    unk_token: '<|endoftext|>',
  };
  return { tokenizer, tokenizerConfig, specialTokensMap, ids };
}

/**
 * config.json, generation_config.json, preprocessor_config.json and processor_config.json, keyed by
 * file name. `externalDataFiles` names the ONNX files whose weights are in `<file>_data`.
 */
export function smolVlmConfigFiles(
  d: SmolVlmDimensions,
  ids: SmolVlmTokenIds,
  imageSplitting: boolean,
  externalDataFiles: readonly string[],
): Record<string, object> {
  const config: Record<string, unknown> = {
    architectures: ['Idefics3ForConditionalGeneration'],
    model_type: 'idefics3',
    image_token_id: ids.image,
    scale_factor: d.scaleFactor,
    pad_token_id: ids.imEnd,
    tie_word_embeddings: false,
    vocab_size: d.vocabSize,
    text_config: {
      architectures: ['VLlama3ForCausalLM'],
      model_type: 'llama',
      hidden_size: d.textHidden,
      intermediate_size: d.textIntermediate,
      num_hidden_layers: d.textLayers,
      num_attention_heads: d.textHeads,
      num_key_value_heads: d.kvHeads,
      head_dim: d.headDim,
      hidden_act: 'silu',
      max_position_embeddings: 8192,
      rms_norm_eps: RMS_NORM_EPSILON,
      rope_theta: ROPE_THETA,
      vocab_size: d.vocabSize,
      bos_token_id: ids.imStart,
      eos_token_id: ids.endOfUtterance,
      pad_token_id: ids.imEnd,
      tie_word_embeddings: false,
    },
    vision_config: {
      model_type: 'idefics3',
      hidden_size: d.visionHidden,
      image_size: d.imageSize,
      intermediate_size: d.visionIntermediate,
      num_attention_heads: d.visionHeads,
      num_hidden_layers: d.visionLayers,
      patch_size: d.patchSize,
      hidden_act: 'gelu_pytorch_tanh',
      layer_norm_eps: LAYER_NORM_EPSILON,
      max_image_size: { longest_edge: d.imageSize },
      size: { longest_edge: d.imageSize },
    },
  };
  // onnx-community exports name their external-data files here, keyed by ONNX file name.
  if (externalDataFiles.length > 0) {
    const perFile = Object.fromEntries(externalDataFiles.map((file) => [file, 1]));
    config['transformers.js_config'] = { use_external_data_format: perFile };
  }
  return {
    'config.json': config,
    'generation_config.json': {
      bos_token_id: ids.imStart,
      eos_token_id: [ids.imEnd, ids.endOfUtterance],
      pad_token_id: ids.imEnd,
    },
    'preprocessor_config.json': {
      do_convert_rgb: true,
      do_image_splitting: imageSplitting,
      do_normalize: true,
      do_pad: true,
      do_rescale: true,
      do_resize: true,
      image_mean: [0.5, 0.5, 0.5],
      image_processor_type: 'Idefics3ImageProcessor',
      image_std: [0.5, 0.5, 0.5],
      // As in SmolVLM: images up to 4 frames a side before splitting, each frame one vision pass.
      max_image_size: { longest_edge: d.imageSize },
      processor_class: 'Idefics3Processor',
      resample: 1,
      rescale_factor: 1 / 255,
      size: { longest_edge: 4 * d.imageSize },
    },
    'processor_config.json': { image_seq_len: imageSeqLen(d), processor_class: 'Idefics3Processor' },
  };
}
