import type { LanguageSetting, ReplyLength, UserSettings } from '../../storage/index.js';
import type { UnsupportedContent } from '../turn.js';
import { displayLanguageName } from './display-name.js';
import type { Messages, ServicePhrases } from './messages.js';
import type { Barcode } from '../perception/barcode-scanner.js';
import { COLOUR_NAMES as COLOUR_NAME_KEYS, type ColourName, type ColourReading } from '../perception/colours.js';
import type { PhotoProblem } from '../perception/photo-quality.js';
import { minutesAndSeconds, plural, retentionPeriod, wholeMegabytes } from './quantities.js';
import { describeStoredData, type StoredDataPhrases } from './stored-data.js';

const LENGTH_NAMES: Record<ReplyLength, string> = { short: 'short', normal: 'normal', detailed: 'detailed' };

function languageSettingName(setting: LanguageSetting): string {
  return setting === 'auto' ? 'automatic, the language you write or speak in' : displayLanguageName(setting, 'en');
}

/** "en, zh or auto": the choices of `/settings language`. */
function languageChoices(codes: readonly string[]): string {
  return `${codes.join(', ')} or auto`;
}

function megabytes(bytes: number): string {
  return `${wholeMegabytes(bytes)} megabytes`;
}

/** "for 24 hours", "for 2 days", "for 1 hour". */
function keptFor(hours: number): string {
  const period = retentionPeriod(hours);
  return `for ${period.unit === 'day' ? plural(period.count, 'day', 'days') : plural(period.count, 'hour', 'hours')}`;
}

function describeVoiceReplies(settings: UserSettings, canSpeak: boolean): string {
  const setting =
    settings.voiceReplies === 'off'
      ? 'Voice replies are off.'
      : settings.voiceReplies === 'always'
        ? 'Voice replies are always on: every answer also comes as a voice message.'
        : 'Voice replies are on when you ask by voice: then the answer also comes as a voice message.';
  return settings.voiceReplies !== 'off' && !canSpeak ? `${setting} This server cannot make voice messages at the moment, so answers come as text.` : setting;
}

function describeSettings(settings: UserSettings, canSpeak: boolean): string {
  const streaming =
    settings.streaming === 'edits'
      ? 'Streaming is on: you see the answer grow in one message, then get it as new messages.'
      : 'Streaming is off: answers arrive as new messages.';
  const echo =
    settings.voiceEcho === 'on'
      ? 'Voice echo is on: before answering a voice question, I say what I heard.'
      : 'Voice echo is off.';
  return `Reply length is ${LENGTH_NAMES[settings.replyLength]}. Language is ${languageSettingName(settings.language)}. ${streaming} ${echo} ${describeVoiceReplies(settings, canSpeak)}`;
}

/** "2 minutes", "1 minute 30 seconds", "45 seconds": how a screen reader should hear a length of time. */
function duration(totalSeconds: number): string {
  const { minutes, seconds } = minutesAndSeconds(totalSeconds);
  if (minutes === 0) return plural(seconds, 'second', 'seconds');
  return seconds === 0 ? plural(minutes, 'minute', 'minutes') : `${plural(minutes, 'minute', 'minutes')} ${plural(seconds, 'second', 'seconds')}`;
}

const ORDINALS = ['first', 'second', 'third', 'fourth', 'fifth', 'sixth', 'seventh', 'eighth', 'ninth', 'tenth'];

/** "in 40 minutes", "in 5 hours": a reset time said roughly, as a person would. */
function inAbout(seconds: number): string {
  if (seconds < 60) return `in ${plural(Math.max(1, Math.ceil(seconds)), 'second', 'seconds')}`;
  if (seconds < 3600) return `in ${plural(Math.ceil(seconds / 60), 'minute', 'minutes')}`;
  return `in about ${plural(Math.round(seconds / 3600), 'hour', 'hours')}`;
}

const service: ServicePhrases = {
  placeInLine: (position, seconds) =>
    `You are ${position <= ORDINALS.length ? ORDINALS[position - 1] : `number ${position}`} in line; about ${duration(Math.max(1, Math.round(seconds)))}.`,
  busy: 'I am very busy right now and could not take your message. Please send it again in a minute.',
  restarting: 'I am restarting. Your message is kept, and I will answer it in a moment.',
  notAllowed: (accountId) => `This assistant is private, and your account is not on its list. Ask the person who runs it to add you, and give them this id: ${accountId}.`,
  rateLimited: (seconds) => `You are sending questions faster than I can take them. Please wait ${duration(Math.max(1, Math.ceil(seconds)))} and send it again.`,
  quotaReached: (limit, seconds) =>
    `You have used ${limit === 1 ? "today's question" : `today's ${limit} questions`}. You can ask again after midnight, ${inAbout(seconds)}. Commands such as /mydata still work.`,
};

const storedData: StoredDataPhrases = {
  heading: 'This is everything I have stored about you.',
  account: (platform, platformUserId, since) => `Your account: ${platform} user ${platformUserId}, first seen ${since}.`,
  settings: (settings, changedByUser) =>
    `Settings: reply length ${LENGTH_NAMES[settings.replyLength]}, language ${languageSettingName(settings.language)}, ` +
    `streaming ${settings.streaming === 'edits' ? 'on' : 'off'}, voice echo ${settings.voiceEcho}, ` +
    `voice replies ${settings.voiceReplies === 'spoken' ? 'when you ask by voice' : settings.voiceReplies === 'always' ? 'always' : 'off'}.` +
    (changedByUser ? '' : ' These are the defaults; you have not changed them.'),
  totals: (conversations, questions, photos) =>
    `${plural(conversations, 'conversation', 'conversations')}, ${plural(questions, 'question', 'questions')}, ${plural(photos, 'stored photo', 'stored photos')}.`,
  conversation: (position, startedAt, current) => `Conversation ${position}, started ${startedAt}, ${current ? 'current' : 'ended'}.`,
  photo: (width, height, deletedAt, withFindings) =>
    `A photo, ${width} by ${height} pixels${withFindings ? ', with what I read and noticed in it' : ''}, deleted automatically at ${deletedAt}.`,
  question: (source, text) =>
    `${source === 'voice' ? 'You said' : source === 'forwarded' ? 'You forwarded' : 'You asked'}: ${text || '(a photo without a question)'}`,
  answer: (status, text) =>
    status === 'done' ? `I answered: ${text}` : status === 'failed' ? 'That answer failed.' : 'That answer was not finished.',
  closing: 'To delete all of it, send /forget.',
};

const COACHING: Record<PhotoProblem, string> = {
  dark: 'The photo is very dark. Turn on a light or move closer to a window.',
  overexposed: 'The photo is washed out by bright light. Turn off the flash or move out of direct light.',
  blurred: 'The photo is blurred. Hold the phone still for a moment, a little farther away, and try again.',
  small: 'The photo is very small. Send it at full size, or move the phone closer.',
  'text-cut-off': 'Some text runs off the edge of the photo. Hold the phone a little farther back so all of it fits.',
};

const BRIGHTNESS: Record<ColourReading['brightness'], string> = {
  'very-dark': 'very dark',
  dark: 'dark',
  dim: 'dim',
  bright: 'bright',
  'very-bright': 'very bright',
};

const COLOUR_NAMES: Record<ColourName, string> = Object.fromEntries(COLOUR_NAME_KEYS.map((name) => [name, name])) as Record<ColourName, string>;

/** "dark blue", "dark blue and white", "dark blue, white and a little grey". */
function colourList(reading: ColourReading): string {
  const names = reading.colours.map((colour, index) => (index > 0 && colour.share < 0.2 ? `a little ${COLOUR_NAMES[colour.name]}` : COLOUR_NAMES[colour.name]));
  if (names.length <= 1) return names[0] ?? '';
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)!}`;
}

function barcodeText(barcode: Barcode): string {
  const { content, format } = barcode;
  switch (content.kind) {
    case 'product':
      return `${format} barcode, number ${content.number}.`;
    case 'url':
      return `${format} with a web address: ${content.url}`;
    case 'wifi':
      return `${format} for the Wi-Fi network ${content.network}${content.hasPassword ? ', with a password' : ', with no password'}.`;
    case 'text':
      return `${format} with the text: ${content.text}`;
  }
}

const UNSUPPORTED_NAMES: Record<UnsupportedContent, string> = {
  sticker: 'stickers',
  location: 'locations',
  poll: 'polls',
  video: 'videos yet',
  contact: 'contacts',
  document: 'files of that type; photos and image files work',
  other: 'that kind of message',
};

export const en: Messages = {
  languageName: 'English',
  welcome: (mediaRetentionHours) =>
    'Hello. I describe photos and read text in them for you. Send a photo, with a question typed or spoken if you like, ' +
    'such as "read this label" or "is the light on?". You can ask follow-up questions about the same photo. ' +
    `I keep your questions and answers so follow-ups work, and photos ${keptFor(mediaRetentionHours)}. ` +
    'Send /mydata to hear what I keep, /forget to delete it, and /help for everything else.',
  help:
    'Send a photo, or a photo with a question. Ask follow-up questions about the last photo by typing them or by voice message. ' +
    'To hear all the text in a photo word for word, send it with /read, or say read this. For its colours and whether a light is on, send /color. ' +
    'Commands: /new starts a fresh conversation. ' +
    '/settings shows your settings; for example /settings length short, /settings language zh, /settings echo on to hear what I understood from a voice message, ' +
    'or /settings speak always, speak off, or speak voice to choose when I answer with a voice message. ' +
    '/mydata tells you everything I store about you. /forget deletes all of it.',
  newConversation: 'Started a new conversation. I will not use the earlier photos or questions.',
  settings: (current, languageCodes, canSpeak) =>
    `${describeSettings(current, canSpeak)} ` +
    `To change them, send /settings length short, normal or detailed; /settings language ${languageChoices(languageCodes)}; /settings streaming on or off; /settings echo on or off; ` +
    'or /settings speak always, speak voice (only when you ask by voice) or speak off.',
  settingsUpdated: (current, canSpeak) => `Saved. ${describeSettings(current, canSpeak)}`,
  settingsNotUnderstood: (argument, languageCodes) =>
    `I did not understand "${argument}". Try /settings length short, normal or detailed, /settings language ${languageChoices(languageCodes)}, /settings echo on or off, or /settings speak always, voice or off.`,
  unknownCommand: (name) => `I don't know the command /${name}. Send /help to hear what I can do.`,
  myData: (data) => describeStoredData(data, storedData),
  noDataStored: 'I have nothing stored about you.',
  forgotten: (result) =>
    `${result.wipedFromDisk ? 'Done. ' : ''}I deleted everything I stored about you: ${plural(result.conversations, 'conversation', 'conversations')}, ` +
    `${plural(result.turns, 'question', 'questions')} with their answers, ${plural(result.media, 'photo', 'photos')}, and your settings.` +
    (result.wipedFromDisk ? '' : ' It is gone from my memory, and will be wiped from the disk shortly.'),
  nothingToForget: 'I had nothing stored about you, so there was nothing to delete.',
  emptyTurn: 'Send a photo, or type a question.',
  imageProblem: (kind, position, count, details) => {
    const which = count > 1 ? `Photo ${position} of ${count}` : 'That photo';
    switch (kind) {
      case 'not-found':
        return 'I could not find that file. Check the path and try again.';
      case 'not-a-file':
        return 'That is a folder, not a photo. Send the photo file itself.';
      case 'empty':
        return `${which} is an empty file. Please send it again.`;
      case 'too-large':
        return `${which} is too large for me. The limit is ${megabytes(details.limitBytes ?? 0)}. Try sending it as a photo instead of a file, or a smaller one.`;
      case 'too-many-pixels':
        return `${which} has too many pixels for me to open safely${details.limitPixels ? `; I can open up to ${Math.round(details.limitPixels / 1e6)} million` : ''}. Try sending it as a photo instead of a file, or a smaller copy.`;
      case 'not-an-image':
        return `${which} does not look like an image. Send a JPEG, PNG or WebP photo.`;
      case 'unsupported-format':
        return `I cannot open ${details.format ? `${details.format.toUpperCase()} files` : 'that kind of file'}. Send a JPEG, PNG or WebP photo.`;
      case 'corrupt':
        return `${which} seems damaged or incomplete, so I could not open it. Please send it again.`;
      case 'download-failed':
        return `I could not download ${count > 1 ? `photo ${position}` : 'that photo'}. Please send it again.`;
    }
  },
  tooManyImages: (used, sent) => `You sent ${sent} photos; I looked at the first ${used}.`,
  voiceNotSetUp: 'Voice questions are not set up on this server, so I cannot listen to voice messages. Please type your question instead.',
  voiceProblem: (kind, details) => {
    switch (kind) {
      case 'empty':
        return 'That voice message is empty. Please record it again.';
      case 'too-large':
        return `That audio file is too large for me; the limit is ${megabytes(Number(details.maxBytes ?? 0))}. Please send a shorter voice message.`;
      case 'unsupported-format': {
        const format = details.format === undefined ? undefined : String(details.format);
        const notAudio: Record<string, string> = { image: 'an image', text: 'text', video: 'a video', PDF: 'a PDF file', ZIP: 'a ZIP file' };
        const what =
          format && Object.hasOwn(notAudio, format)
            ? `That is ${notAudio[format]}, not a voice message.`
            : `I cannot play ${format ? `${format} audio` : 'that kind of file'}.`;
        return `${what} Send a voice message, or an OGG, WAV or MP3 file.`;
      }
      case 'corrupt':
        return 'That voice message seems damaged, so I could not play it. Please record it again.';
      case 'too-long':
        return `That voice message is ${details.seconds === undefined ? 'too long' : duration(Number(details.seconds))}; I can listen to at most ${duration(Number(details.maxSeconds ?? 0))}. Please ask in a shorter message.`;
      case 'not-found':
        return 'I could not find that audio file. Check the path and try again.';
      case 'download-failed':
        return 'I could not download that voice message. Please send it again.';
    }
  },
  couldNotHear: "I couldn't hear anything. Try again closer to the phone.",
  transcriptionFailed: 'Sorry, I could not make out that voice message. Please try again, or type your question.',
  heardAs: (transcript) => `You asked: ${transcript}`,
  service,
  voiceReplies: {
    restInText: 'The rest of the answer is in the text.',
    failed: 'I could not make the voice message this time. The whole answer is in the text above.',
    forbidden:
      'I am not allowed to send you voice messages here, so the answer is in text only. Allow voice messages from me, or send /settings speak off to stop them.',
  },
  unsupportedContent: (kind) =>
    `I cannot use ${UNSUPPORTED_NAMES[kind]}. Send me a photo, a photo with a question, or type a question.`,
  commandDescriptions: {
    start: 'What I can do and how I keep your data',
    help: 'What to send me, and the commands',
    new: 'Start a new conversation',
    settings: 'Reply length, language and voice replies',
    mydata: 'Everything I store about you',
    forget: 'Delete everything I store about you',
    read: 'Read out all the text in a photo',
    color: 'The colours and light in a photo',
  },
  commandArgumentDescriptions: {
    settings: 'For example: length short, language zh, speak always',
  },
  describeCommand: {
    description: 'Describe a photo, or answer a question about it',
    imageOption: 'The photo',
    questionOption: 'What you want to know, for example: is the light on?',
    menuName: 'Describe image',
  },
  modelNotSetUp:
    'No vision model is set up on this server yet, so I cannot answer questions about photos. The person running it needs to install one.',
  modelUnavailable: 'The model I use to answer is not reachable right now. Please try again in a little while.',
  modelNotOnServer:
    'I cannot answer: my model server does not have the model I am set up to use, so trying again will not help. Please tell the person who runs this assistant.',
  modelFailed: 'Sorry, something went wrong while I was answering. Please try again.',
  modelFailedPartway:
    'Sorry, I stopped partway through that answer, so it may be incomplete. Ask again if you need the rest.',
  answerCutOff: 'That is the start; send more for the rest.',
  modelTimedOut:
    'That took too long, so I stopped. Please try again, or send /settings length short for shorter answers.',
  contextTooLong: 'This conversation has grown too long for me. Send /new to start fresh, then ask again.',
  unexpectedError: 'Sorry, something went wrong on my side. Please try again.',
  answeredPrivately: 'That concerns only you, so I answered you in a private message.',
  privateReplyUnreachable:
    'That concerns only you, so I do not answer it here, and I could not message you privately. Open a private chat with me, send /start, then ask me there.',
  defaultPhotoQuestion: 'What is in this photo?',
  perception: {
    coaching: (problems) => problems.map((problem) => COACHING[problem]).join(' '),
    nothingRecognisable: 'I cannot make anything out in it. Please take the photo again.',
    noTextFound: (problems) =>
      problems.includes('dark') || problems.includes('blurred') || problems.includes('overexposed')
        ? 'I could not find any text I can read. A clearer photo should help.'
        : 'I could not find any text in this photo. Point the camera straight at the text, about a hand span away, so it fills most of the picture.',
    uncertainMark: '(hard to read)',
    uncertainNote: (lines) =>
      lines === 1
        ? 'I was not sure of the line marked hard to read; check it with a closer, steadier photo or with a person.'
        : `I was not sure of ${lines} lines, marked hard to read; check them with a closer, steadier photo or with a person.`,
    barcode: barcodeText,
    photoHeading: (position, count) => `Photo ${position} of ${count}.`,
    needPhoto: (intent) =>
      intent === 'read'
        ? 'Send the photo you want read, with /read as its caption, or send /read right after the photo.'
        : 'Send a photo, with /color as its caption, or send /color right after the photo.',
    readingFailed: 'Sorry, I could not read the text in that photo this time. Please try again.',
    colours: (reading, aboutLight) => {
      const level = BRIGHTNESS[reading.brightness];
      if (aboutLight) {
        const dark = reading.brightness === 'very-dark' || reading.brightness === 'dark';
        if (dark) return `The photo is ${level}, so the light is probably off.${reading.lightSource ? ' There is one small bright spot, which may be a small light or a screen.' : ''}`;
        return reading.lightSource
          ? `The photo is ${level}, and a bright light is in view, so a light is probably on.`
          : `The photo is ${level}, so a light is probably on, or daylight is coming in. I cannot see the light itself.`;
      }
      const colours = colourList(reading);
      const dim = reading.brightness === 'dim' || reading.brightness === 'dark' || reading.brightness === 'very-dark';
      return `${colours ? `Mostly ${colours}, in the middle of the photo.` : 'I cannot tell the colours.'} The light is ${level}${dim && colours ? ', so the colours may be lighter than they look' : ''}.`;
    },
    colourNames: COLOUR_NAMES,
    coloursFailed: 'Sorry, I could not look at the colours in that photo. Please send it again.',
  },
};
