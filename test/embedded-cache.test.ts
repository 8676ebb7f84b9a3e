import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../core/log.js';
import { ByteLru } from '../core/models/embedded/byte-lru.js';
import { EmbeddedVisionModel, type EmbeddedModelOptions } from '../core/models/embedded/embedded-vision-model.js';
import { fixedPrefixLength } from '../core/models/embedded/prefix-cache.js';
import type { ChatMessage, FilePart, GenerateRequest, VisionLanguageModel } from '../core/models/index.js';
import { noisyJpeg, solidJpeg } from './helpers/images.js';
import { makeTempFolder } from './helpers/temp-folder.js';
import { imageOf, makeHarness } from './helpers/assistant-harness.js';
import { ScriptedVisionModel } from '../core/models/testing/scripted-vision-model.js';
import { writeSmolVlmModel } from './models/smolvlm-model.js';

/**
 * transformers.js loads onnxruntime-node with require; counting through the same (CommonJS) module
 * instance sees every session run, whatever the code under test does or skips.
 */
interface OrtSession {
  readonly inputNames: readonly string[];
  run(...args: unknown[]): Promise<unknown>;
}
const ort = createRequire(import.meta.url)('onnxruntime-node') as { InferenceSession: { prototype: OrtSession } };
let visionRuns = 0;
let decoderRuns = 0;
const run = ort.InferenceSession.prototype.run;
ort.InferenceSession.prototype.run = function (this: OrtSession, ...args: unknown[]) {
  if (this.inputNames.includes('pixel_values')) visionRuns += 1;
  if (this.inputNames.includes('inputs_embeds')) decoderRuns += 1;
  return run.apply(this, args);
};

const folder = makeTempFolder();
let cached: EmbeddedVisionModel;
let plain: EmbeddedVisionModel;
let red: Uint8Array;
let blue: Uint8Array;
let noise: Uint8Array;
let modelFolder: string;

/** Long enough to be worth caching; a real one is the 1,466-character accessibility prompt. */
const SYSTEM = 'You describe photos for a blind person. Answer the question first, then say what else matters, in plain sentences.';

function load(folderPath: string, overrides: Partial<EmbeddedModelOptions> = {}): Promise<EmbeddedVisionModel> {
  return EmbeddedVisionModel.load({ location: { folder: folderPath }, device: 'cpu', timeoutMs: 60_000, logger: silentLogger(), ...overrides });
}

function photo(data: Uint8Array, key?: string): FilePart {
  return { type: 'file', mediaType: 'image/jpeg', data, ...(key === undefined ? {} : { key }) };
}

/** The messages the assistant builds: system prompt, history, then the question with its photos. */
function turn(images: FilePart[], question: string, history: Array<[string, string]> = [], system = SYSTEM): ChatMessage[] {
  return [
    { role: 'system', content: [{ type: 'text', text: system }] },
    ...history.flatMap(([asked, answered]): ChatMessage[] => [
      { role: 'user', content: [{ type: 'text', text: asked }] },
      { role: 'assistant', content: [{ type: 'text', text: answered }] },
    ]),
    { role: 'user', content: [...images, { type: 'text', text: question }] },
  ];
}

async function answer(model: VisionLanguageModel, messages: ChatMessage[], maxOutputTokens = 12): Promise<string> {
  let text = '';
  const request: GenerateRequest = { messages, maxOutputTokens };
  for await (const part of model.generate(request)) if (part.type === 'text-delta') text += part.text;
  return text;
}

function assertClose(actual: Float32Array, expected: Float32Array, message: string): void {
  assert.equal(actual.length, expected.length, message);
  let worst = 0;
  for (let index = 0; index < actual.length; index += 1) worst = Math.max(worst, Math.abs(actual[index]! - expected[index]!));
  // Float32 sums in another order (a prefix prefilled alone, an image encoded alone) differ in the last bits only.
  assert.ok(worst < 1e-4, `${message}: logits differ by up to ${worst}`);
  const argmax = (values: Float32Array) => values.indexOf(Math.max(...values));
  assert.equal(argmax(actual), argmax(expected), `${message}: another first token`);
}

before(async () => {
  modelFolder = (await writeSmolVlmModel(join(folder.path, 'tiny'))).folder;
  cached = await load(modelFolder);
  plain = await load(modelFolder, { imageCacheBytes: 0, prefixCacheBytes: 0 });
  red = await solidJpeg(64, 48, { r: 230, g: 20, b: 20 });
  blue = await solidJpeg(48, 64, { r: 20, g: 20, b: 230 });
  noise = await noisyJpeg(64, 64);
});
after(async () => {
  await cached.dispose();
  await plain.dispose();
  folder.remove();
});

describe('caches of the embedded model, on a generated SmolVLM', () => {
  test('a follow-up about the same photo skips the vision encoder, with the same answer and logits', async () => {
    const first = turn([photo(noise, 'media:1')], 'What is in this photo?');
    const before = visionRuns;
    const firstAnswer = await answer(cached, first);
    assert.equal(visionRuns - before, 1);
    const followUp = turn([photo(noise, 'media:1')], '(The photo from earlier in the conversation.)\nWhat colour is it?', [['What is in this photo?', firstAnswer]]);
    const followUpAnswer = await answer(cached, followUp);
    assert.equal(visionRuns - before, 1, 'the follow-up ran the vision encoder again');
    assert.equal(cached.cacheStats.imageHits, 1);

    const plainRuns = visionRuns;
    assert.equal(await answer(plain, first), firstAnswer);
    assert.equal(await answer(plain, followUp), followUpAnswer);
    assert.equal(visionRuns - plainRuns, 2, 'without the cache each turn encodes the photo');
    assertClose(await cached.firstTokenScores({ messages: followUp }), await plain.firstTokenScores({ messages: followUp }), 'follow-up');
    assert.equal(cached.cacheStats.imageMisses, 1);
  });

  test('the system prompt is prefilled once and reused; the result equals a run without the cache', async () => {
    const system = `${SYSTEM} Reply in English.`;
    const stats = cached.cacheStats;
    const questions = ['What is this?', 'Is it safe to eat?', 'Read the label.'];
    for (const [index, question] of questions.entries()) {
      const messages = turn([photo(index === 1 ? red : blue, `media:p${index}`)], question, [], system);
      const runs = decoderRuns;
      // One token: with the cache, a hit costs one decoder run; a miss adds the prefix's own run.
      assertClose(await cached.firstTokenScores({ messages }), await plain.firstTokenScores({ messages }), question);
      assert.equal(decoderRuns - runs, index === 0 ? 3 : 2, 'decoder runs (cached, then plain)');
      assert.equal(await answer(cached, messages, 16), await answer(plain, messages, 16), question);
    }
    assert.equal(cached.cacheStats.prefixMisses - stats.prefixMisses, 1);
    assert.equal(cached.cacheStats.prefixHits - stats.prefixHits, questions.length * 2 - 1);

    // A text-only turn with history starts with the same system prompt and reuses it too.
    const textOnly = turn([], 'And the date on it?', [['What is this?', 'A tin of beans.']], system);
    assertClose(await cached.firstTokenScores({ messages: textOnly }), await plain.firstTokenScores({ messages: textOnly }), 'text only');
    assert.equal(await answer(cached, textOnly), await answer(plain, textOnly));
    // Another prompt (another language rule) is another entry, not a stale hit.
    const changed = turn([photo(red, 'media:p1')], 'What is this?', [], `${SYSTEM} Reply in French.`);
    const misses = cached.cacheStats.prefixMisses;
    assertClose(await cached.firstTokenScores({ messages: changed }), await plain.firstTokenScores({ messages: changed }), 'changed prompt');
    assert.equal(cached.cacheStats.prefixMisses, misses + 1);
  });

  test('two photos, one cached and one new, keep their order; a reused key with new bytes is not stale', async () => {
    await answer(cached, turn([photo(red, 'media:r')], 'What is this?'));
    const both = turn([photo(blue, 'media:b'), photo(red, 'media:r')], 'Compare them.');
    const runs = visionRuns;
    const hits = cached.cacheStats.imageHits;
    assert.equal(await answer(cached, both, 16), await answer(plain, both, 16));
    assert.equal(cached.cacheStats.imageHits - hits, 1);
    assert.equal(visionRuns - runs, 2, 'the new photo encoded alone, then both without the cache');
    assertClose(await cached.firstTokenScores({ messages: both }), await plain.firstTokenScores({ messages: both }), 'two photos');

    const reused = turn([photo(noise, 'media:r')], 'What is this?');
    assert.equal(await answer(cached, reused), await answer(plain, reused));
  });

  test('with image splitting, a follow-up lays out the cached frames as the processor does', async () => {
    const [splitCached, splitPlain] = await Promise.all([load(modelFolder, { imageSplitting: true }), load(modelFolder, { imageSplitting: true, imageCacheBytes: 0, prefixCacheBytes: 0 })]);
    try {
      const wide = await noisyJpeg(200, 120);
      const first = turn([photo(wide, 'media:w'), photo(red, 'media:s')], 'Compare them.');
      assert.equal(await answer(splitCached, first, 8), await answer(splitPlain, first, 8));
      // One frame of the tiny model is 16 rows of 32 floats; the wide photo became several.
      assert.ok(splitCached.cacheStats.imageBytes > 2 * 16 * 32 * 4, `${splitCached.cacheStats.imageBytes} bytes of features`);
      const runs = visionRuns;
      const followUp = turn([photo(wide, 'media:w'), photo(red, 'media:s')], 'Which is brighter?', [['Compare them.', 'Two photos.']]);
      assertClose(await splitCached.firstTokenScores({ messages: followUp }), await splitPlain.firstTokenScores({ messages: followUp }), 'split follow-up');
      assert.equal(await answer(splitCached, followUp, 8), await answer(splitPlain, followUp, 8));
      assert.equal(visionRuns - runs, 2, 'only the uncached model encoded');
    } finally {
      await Promise.all([splitCached.dispose(), splitPlain.dispose()]);
    }
  });

  test('forgetting a photo drops its features: the next turn about it encodes again', async () => {
    const messages = turn([photo(blue, 'media:f')], 'What is this?');
    await answer(cached, messages, 2);
    const runs = visionRuns;
    await answer(cached, messages, 2);
    assert.equal(visionRuns, runs);
    cached.forgetImages(['media:f']);
    await answer(cached, messages, 2);
    assert.equal(visionRuns, runs + 1);
    // Photos without a key (never stored) are not kept.
    const unkeyed = turn([photo(blue)], 'What is this?');
    await answer(cached, unkeyed, 2);
    await answer(cached, unkeyed, 2);
    assert.equal(visionRuns, runs + 3);
    // Without keys (the store only knows that photos went): every image's features go.
    await answer(cached, messages, 2);
    assert.equal(visionRuns, runs + 3);
    cached.forgetImages();
    assert.equal(cached.cacheStats.imageBytes, 0);
    await answer(cached, messages, 2);
    assert.equal(visionRuns, runs + 4);
  });
});

test('the assistant names each photo by its stored id, the same on the follow-up about it', async () => {
  const model = new ScriptedVisionModel([{ chunks: ['A red card.'] }, { chunks: ['No make shown.'] }]);
  const harness = makeHarness(model);
  try {
    const keysIn = (index: number) =>
      model.requests[index]!.messages.flatMap((message) => message.content.flatMap((part) => (part.type === 'file' ? [part.key] : [])));
    await harness.send({ text: 'What is this?', images: [imageOf(await solidJpeg(64, 48))] });
    await harness.send({ text: 'what make is it?' });
    const user = harness.store.ensureUser({ platform: 'test', platformUserId: 'alice' });
    const conversation = harness.store.currentConversation(user.id, 'chat-1');
    const [stored] = harness.store.latestMedia(conversation.id);
    assert.deepEqual(keysIn(0), [`media:${stored!.id}`]);
    assert.deepEqual(keysIn(1), [`media:${stored!.id}`]);
  } finally {
    harness.close();
  }
});

test('the store tells its listeners when photos may have been deleted: expiry, the history sweep, forget-me', async () => {
  let now = 1_000_000;
  const model = new ScriptedVisionModel([{ chunks: ['A card.'] }, { chunks: ['A card.'] }, { chunks: ['A card.'] }]);
  const harness = makeHarness(model, { now: () => now });
  const calls: string[] = [];
  let current = '';
  const stop = harness.store.onMediaDeleted(() => calls.push(current));
  try {
    const photo = imageOf(await solidJpeg(64, 48));
    await harness.send({ text: 'What is this?', images: [photo] });
    current = 'expiry';
    now += 25 * 60 * 60 * 1000;
    assert.equal(harness.store.sweepExpiredMedia(), 1);
    await harness.send({ text: 'What is this?', images: [photo] });
    current = 'history';
    assert.ok(harness.store.sweepHistoryOlderThan(now + 1) > 0);
    await harness.send({ text: 'What is this?', images: [photo] });
    current = 'forget-me';
    harness.store.forgetUser(harness.store.ensureUser({ platform: 'test', platformUserId: 'alice' }).id);
    stop();
    harness.store.sweepExpiredMedia();
    assert.deepEqual(calls, ['expiry', 'history', 'forget-me']);
  } finally {
    harness.close();
  }
});

test('the byte-bounded LRU evicts the least recently used and never keeps what cannot fit', () => {
  const lru = new ByteLru<string>(10, 3);
  lru.set('a', 'A', 4);
  lru.set('b', 'B', 4);
  assert.equal(lru.get('a'), 'A');
  lru.set('c', 'C', 4);
  assert.equal(lru.get('b'), undefined, 'b was least recently used');
  assert.equal(lru.bytes, 8);
  assert.equal(lru.set('huge', 'H', 11), false);
  assert.equal(lru.get('a'), 'A');
  lru.set('d', 'D', 1);
  lru.set('e', 'E', 1);
  assert.equal(lru.size, 3, 'the entry bound holds too');
  assert.equal(lru.deleteWhere((key) => key !== 'e'), 2);
  assert.equal(lru.bytes, 1);
});

test('the fixed prefix stops where the tokens differ, before an image, and leaves a token to run', () => {
  const ids = [1n, 2n, 3n, 4n, 9n, 5n];
  assert.equal(fixedPrefixLength(ids, [1n, 2n, 3n, 4n], new Set([9n])), 4);
  assert.equal(fixedPrefixLength(ids, [1n, 2n, 7n], new Set()), 2);
  assert.equal(fixedPrefixLength(ids, [1n, 2n, 3n, 4n, 9n, 5n], new Set([9n])), 4);
  assert.equal(fixedPrefixLength(ids, ids, new Set()), 5);
});
