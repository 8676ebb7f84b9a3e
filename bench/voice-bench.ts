/**
 * What a spoken answer costs: espeak-ng synthesis and Ogg/Opus encoding per second of speech, the
 * Piper path's real-time factor, and the wait between the text answer and its voice note arriving
 * at the platforms (real grammy and discord.js against the fakes, as the harnesses run them).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadavg } from 'node:os';
import { encodeVoiceNote } from '../core/audio/voice-note.js';
import { messagesFor } from '../core/i18n/index.js';
import { locateModel } from '../core/models/embedded/model-folder.js';
import { loadEspeakVoice, type EspeakVoice } from '../core/models/speech/espeak-voice.js';
import { loadPiperVoice, type PiperVoice } from '../core/models/speech/piper-voice.js';
import type { SpeechSynthesizer } from '../core/models/speech-synthesizer.js';
import { ScriptedSpeechModel } from '../core/models/testing/scripted-speech-model.js';
import { ScriptedVisionModel } from '../core/models/testing/scripted-vision-model.js';
import { textForSpeech } from '../core/reply/index.js';
import { speechLanguage, spokenPart, VoiceReplies } from '../core/voice-reply.js';
import { encodeOggOpus, voiceLike } from '../test/helpers/audio.js';
import { startDiscordHarness } from '../test/helpers/discord-harness.js';
import { discordUser } from '../test/helpers/fake-discord.js';
import { privateChat, telegramUser } from '../test/helpers/fake-telegram.js';
import { startTelegramHarness } from '../test/helpers/telegram-harness.js';
import { writePiperModel } from '../test/models/piper-model.js';

export interface VoiceSection {
  readonly table: string[][];
  readonly notes: readonly string[];
}

/** TTS_MAX_CHARACTERS's default. */
const MAX_CHARACTERS = 600;
/** Long answers give a minute or two of speech a run, so fewer runs keep the part under a minute on 2 cores. */
const RUNS = 5;
const LONG_RUNS = 3;
const DELIVERY_TURNS = 10;
const PIPER_PRESET = 'piper-en-us-lessac-medium';

/** The kind of answer the assistant writes about a photo: short, with numbers, units and money. */
const ANSWERS = {
  'en short': {
    language: 'en',
    text:
      'A box of ibuprofen tablets, 200 mg each, 24 in the pack. The label says to take 1 or 2 every 4-6 hours, ' +
      'no more than 6 in 24 hours. The price sticker says $7.49, best before 03/2027.',
  },
  'zh short': {
    language: 'zh',
    text: '这是一盒布洛芬片，每片200 mg，一盒24片。标签上写着每4-6小时服用1到2片，24小时内不超过6片。价格标签是¥29.90，保质期到2027年3月。',
  },
  // A receipt read aloud: one long paragraph, so the 600-character cap decides what is spoken.
  'en long (capped)': {
    language: 'en',
    text:
      'A supermarket receipt from 12:30 on 14 May. ' +
      [
        'Milk, 2 L, $3.49.', 'Eggs, a dozen, $4.29.', 'Bread, 750 g, $2.99.', 'Bananas, 1.2 kg at $0.69 per kg, $0.83.',
        'Cheddar, 250 g, $5.15.', 'Coffee, 500 g, $11.99.', 'Rice, 5 kg, $8.75.', 'Olive oil, 1 L, $9.49.', 'Tomatoes, 800 g, $2.40.',
        'Yoghurt, 4 x 125 g, $3.10.', 'Orange juice, 1.5 L, $4.05.', 'Pasta, 500 g, $1.89.', 'Dish soap, 750 ml, $3.25.',
        'The subtotal is $67.67, tax 8.5% is $5.75, and the total is $73.42, paid by card.',
      ].join(' ') +
      '\n\nAt the bottom: thank you for shopping with us, returns within 30 days with this receipt.',
  },
  'zh long (capped)': {
    language: 'zh',
    text:
      '这是一张超市小票，时间是5月14日12:30。' +
      [
        '牛奶2升，¥13.50。', '鸡蛋12个，¥15.80。', '面包750克，¥12.90。', '香蕉1.2 kg，每公斤¥6.90，共¥8.28。', '切达奶酪250克，¥32.00。',
        '咖啡豆500克，¥89.00。', '大米5 kg，¥45.50。', '橄榄油1升，¥69.90。', '西红柿800克，¥9.60。', '酸奶4杯，每杯125克，¥18.00。',
        '橙汁1.5升，¥22.80。', '意大利面500克，¥9.90。', '洗洁精750 ml，¥12.50。', '洗衣液3 kg，¥39.90。', '纸巾10包，¥25.90。',
        '苹果1.5 kg，每公斤¥12.80，共¥19.20。', '鸡胸肉600克，¥23.40。', '酱油500 ml，¥11.80。', '食用盐400克，¥3.50。', '白糖1 kg，¥8.90。',
        '绿茶100克，¥58.00。', '矿泉水24瓶，每瓶550 ml，¥28.80。', '饼干3包，¥17.70。', '冷冻饺子1 kg，¥26.90。', '花生油5升，¥119.00。',
        '小计¥770.08，优惠¥20.00，实付¥750.08，用银行卡支付。',
      ].join('') +
      '\n\n小票底部写着：感谢光临，凭小票30天内可退换。',
  },
} as const;
type AnswerName = keyof typeof ANSWERS;

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
};
const percentile = (values: readonly number[], fraction: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
};

interface Stages {
  readonly normaliseMs: number;
  readonly synthesisMs: number;
  readonly encodingMs: number;
  readonly seconds: number;
  readonly bytes: number;
}

/** The steps of VoiceReplies.make, timed one by one. */
async function speakOnce(voice: SpeechSynthesizer, name: AnswerName, wordsPerMinute: number): Promise<Stages> {
  const { text, language: replyLanguage } = ANSWERS[name];
  let started = performance.now();
  const language = speechLanguage(text, replyLanguage);
  const spoken = textForSpeech(spokenPart(text, MAX_CHARACTERS, messagesFor(language).voiceReplies.restInText, language), language);
  const normaliseMs = performance.now() - started;
  started = performance.now();
  const speech = await voice.synthesize({ text: spoken, language, wordsPerMinute });
  const synthesisMs = performance.now() - started;
  started = performance.now();
  const note = await encodeVoiceNote(speech.samples, speech.sampleRate);
  const encodingMs = performance.now() - started;
  return { normaliseMs, synthesisMs, encodingMs, seconds: note.durationSeconds, bytes: note.data.byteLength };
}

async function espeakSection(): Promise<VoiceSection> {
  // Cold: what the first reply after start-up would cost if the bot did not warm the voice up.
  const coldStarted = performance.now();
  const cold = loadEspeakVoice();
  const first = await speakOnce(cold, 'en short', 175);
  const coldMs = performance.now() - coldStarted;

  const voice: EspeakVoice = loadEspeakVoice();
  await voice.warmUp();
  // One reply first, so the first row does not carry the encoder's and normaliser's compilation.
  await speakOnce(voice, 'en short', 175);
  const rows: string[][] = [];
  for (const name of Object.keys(ANSWERS) as AnswerName[]) {
    for (const wordsPerMinute of [175, 350]) {
      const runs: Stages[] = [];
      const count = name.includes('long') ? LONG_RUNS : RUNS;
      for (let run = 0; run < count; run += 1) runs.push(await speakOnce(voice, name, wordsPerMinute));
      const seconds = runs[0]!.seconds;
      const perSecond = (pick: (stages: Stages) => number): string => (median(runs.map(pick)) / seconds).toFixed(1);
      const total = (stages: Stages): number => stages.normaliseMs + stages.synthesisMs + stages.encodingMs;
      rows.push([
        `${name}, ${wordsPerMinute} wpm`,
        perSecond((stages) => stages.normaliseMs),
        perSecond((stages) => stages.synthesisMs),
        perSecond((stages) => stages.encodingMs),
        perSecond(total),
        (median(runs.map(total)) / 1000 / seconds).toFixed(3),
        seconds.toFixed(1),
        String(runs[0]!.bytes),
      ]);
    }
  }
  return {
    table: [
      [`espeak-ng + Ogg/Opus 24 kbps, warm worker, median of ${RUNS} (long: ${LONG_RUNS})`, 'normalise ms/s', 'synthesis ms/s', 'encode ms/s', 'total ms/s', 'real-time factor', 'speech s', 'bytes'],
      ...rows,
    ],
    notes: [
      `ms/s: milliseconds of work per second of speech (target: total under 100). Texts capped at ${MAX_CHARACTERS} characters (TTS_MAX_CHARACTERS) as replies are.`,
      `Cold first reply (fresh loadEspeakVoice: worker start, wasm load, first synthesis, encoding): ${coldMs.toFixed(0)} ms for ${first.seconds.toFixed(1)} s of speech; the bot warms the voice up at start, so no reply pays this.`,
    ],
  };
}

async function piperRow(label: string, voice: PiperVoice): Promise<string[]> {
  await voice.warmUp();
  await speakOnce(voice, 'en short', 175);
  const runs: Stages[] = [];
  for (let run = 0; run < RUNS; run += 1) runs.push(await speakOnce(voice, 'en short', 175));
  const seconds = median(runs.map((stages) => stages.seconds));
  const synthesisMs = median(runs.map((stages) => stages.synthesisMs));
  const encodingMs = median(runs.map((stages) => stages.encodingMs));
  return [label, synthesisMs.toFixed(0), encodingMs.toFixed(0), seconds.toFixed(1), (synthesisMs / 1000 / seconds).toFixed(3), ((synthesisMs + encodingMs) / 1000 / seconds).toFixed(3)];
}

async function piperSection(folder: string): Promise<VoiceSection> {
  const espeak = loadEspeakVoice();
  const engine = await espeak.engine();
  const rows: string[][] = [];
  const notes: string[] = [];
  const tinyFolder = join(folder, 'piper-tiny');
  await writePiperModel(tinyFolder);
  const tiny = await loadPiperVoice(tinyFolder, { espeak: engine });
  try {
    rows.push(await piperRow('generated tiny Piper-contract model (a sine per phoneme id)', tiny));
  } finally {
    await tiny.close();
  }
  notes.push(
    'The tiny model has no learned weights: its row is our pipeline\'s overhead (espeak-ng phonemes, ids, ONNX session, joining sentences), not a real voice\'s speed.',
  );
  const modelsDir = resolve(process.env.MODELS_DIR ?? './models');
  const real = locateModel(PIPER_PRESET, modelsDir, 'text-to-speech').folder;
  if (existsSync(real)) {
    const voice = await loadPiperVoice(real, { espeak: engine });
    try {
      rows.push(await piperRow(`${PIPER_PRESET} (real voice, CPU)`, voice));
    } finally {
      await voice.close();
    }
  } else {
    notes.push(`The real voice ${PIPER_PRESET} is not in ${modelsDir}; fetch it with npm run models -- pull ${PIPER_PRESET} to measure it.`);
  }
  return {
    table: [[`Piper neural voice, English short answer at 175 wpm, median of ${RUNS}`, 'synthesis ms', 'encode ms', 'speech s', 'synthesis RTF', 'total RTF'], ...rows],
    notes,
  };
}

type Call = { readonly method: string; readonly path: string; readonly body: unknown };

interface Gap {
  lastTextAt: number | undefined;
  voiceAt: number | undefined;
}

/** A predicate for the fakes' waitFor that stamps each call of the turn as it arrives and stops at the voice note. */
function stamper<Call>(seen: ReadonlySet<Call>, gap: Gap, isText: (call: Call) => boolean, isVoice: (call: Call) => boolean): (call: Call) => boolean {
  return (call) => {
    if (seen.has(call)) return false;
    const now = performance.now();
    if (isVoice(call)) {
      gap.voiceAt = now;
      return true;
    }
    if (isText(call)) gap.lastTextAt = now;
    return false;
  };
}

async function deliverySection(): Promise<VoiceSection> {
  const voice = loadEspeakVoice();
  await voice.warmUp();
  const voiceReplies = new VoiceReplies({ synthesizer: voice, wordsPerMinute: 175, maxCharacters: MAX_CHARACTERS });
  const answer = ANSWERS['en short'].text;
  // An instant model answering in a few chunks, as a streamed reply arrives.
  const model = () => new ScriptedVisionModel({ chunks: answer.split(/(?<=\. )/u) });
  const speech = new ScriptedSpeechModel({ text: 'What does the box say?' });
  const note = encodeOggOpus(voiceLike(2, 48_000, 5), 48_000);
  const rows: string[][] = [];
  const row = (label: string, gaps: readonly number[]): string[] => [label, String(gaps.length), median(gaps).toFixed(0), percentile(gaps, 0.95).toFixed(0)];

  const telegram = await startTelegramHarness({ speech, voiceReplies, model: model() });
  try {
    const gaps: number[] = [];
    for (let turn = 0; turn <= DELIVERY_TURNS; turn += 1) {
      const person = telegramUser({ id: 70_000 + turn, language_code: 'en' });
      const chat = privateChat(person);
      const gap: Gap = { lastTextAt: undefined, voiceAt: undefined };
      const forChat = (call: { params: Record<string, unknown> }): boolean => String(call.params.chat_id) === String(chat.id);
      const sent = telegram.telegram.waitFor(
        stamper(
          new Set(telegram.telegram.calls),
          gap,
          (call) => forChat(call) && (call.method === 'sendMessage' || call.method === 'editMessageText'),
          (call) => forChat(call) && call.method === 'sendVoice',
        ),
        { timeoutMs: 30_000 },
      );
      telegram.telegram.sendVoice({ chat, from: person, bytes: note, duration: 2 });
      await sent;
      await telegram.delivery.idle();
      // The first turn pays for first calls (JIT, connections); it is not a figure.
      if (turn > 0) gaps.push(gap.voiceAt! - gap.lastTextAt!);
    }
    rows.push(row('Telegram: last text message to sendVoice (real grammy, fake Bot API)', gaps));
  } finally {
    await telegram.close();
  }

  const discord = await startDiscordHarness({ speech, voiceReplies, model: model() });
  try {
    const gaps: number[] = [];
    for (let turn = 0; turn <= DELIVERY_TURNS; turn += 1) {
      const person = discordUser({ username: `voice${turn}` });
      const attachment = discord.discord.attachment(note, { filename: 'voice-message.ogg', contentType: 'audio/ogg', durationSecs: 2 });
      const gap: Gap = { lastTextAt: undefined, voiceAt: undefined };
      const isVoice = (call: Call): boolean => (((call.body as { flags?: number } | undefined)?.flags ?? 0) & 8192) === 8192;
      const toMessages = (call: Call): boolean => (call.method === 'POST' || call.method === 'PATCH') && /\/channels\/\d+\/messages/u.test(call.path);
      const sent = discord.discord.waitFor(
        stamper(new Set(discord.discord.calls), gap, (call) => toMessages(call) && !isVoice(call), (call) => toMessages(call) && isVoice(call)),
        { timeoutMs: 30_000 },
      );
      discord.discord.dmMessage({ author: person, content: '', attachments: [attachment], flags: 8192 });
      await sent;
      await discord.delivery.idle();
      if (turn > 0) gaps.push(gap.voiceAt! - gap.lastTextAt!);
    }
    rows.push(row('Discord: last text message to the voice message (real discord.js, fake REST)', gaps));
  } finally {
    await discord.close();
  }
  const spoken = await voiceReplies.make(answer, 'en', (language) => messagesFor(language).voiceReplies.restInText);
  return {
    table: [[`End of the text answer to the voice note sent, espeak-ng at 175 wpm, ${DELIVERY_TURNS} voice questions`, 'turns', 'median ms', 'p95 ms'], ...rows],
    notes: [
      `The gap is making the note (${spoken.durationSeconds.toFixed(1)} s of speech, ${spoken.data.byteLength} bytes) plus the upload; the model is instant, so nothing else overlaps it.`,
    ],
  };
}

export async function measureVoice(folder: string): Promise<VoiceSection[]> {
  const sections = [await espeakSection(), await piperSection(folder), await deliverySection()];
  const last = sections.at(-1)!;
  return [...sections.slice(0, -1), { ...last, notes: [...last.notes, `Load average while measuring: ${loadavg().map((value) => value.toFixed(1)).join(', ')}`] }];
}
