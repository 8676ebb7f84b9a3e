import type { LanguageSetting, ReplyLength, UserSettings } from '../../storage/index.js';
import type { UnsupportedContent } from '../turn.js';
import { displayLanguageName } from './display-name.js';
import type { Messages, ServicePhrases } from './messages.js';
import type { Barcode } from '../perception/barcode-scanner.js';
import type { ColourName, ColourReading } from '../perception/colours.js';
import type { PhotoProblem } from '../perception/photo-quality.js';
import { minutesAndSeconds, retentionPeriod, wholeMegabytes } from './quantities.js';
import { describeStoredData, type StoredDataPhrases } from './stored-data.js';

const COACHING: Record<PhotoProblem, string> = {
  dark: '照片很暗。请开灯，或者靠近窗户。',
  overexposed: '照片被强光照得发白。请关掉闪光灯，或者避开直射的光。',
  blurred: '照片模糊。请把手机拿稳片刻，稍微拿远一点，再拍一次。',
  small: '照片太小了。请发送原尺寸的照片，或者把手机靠近一些。',
  'text-cut-off': '有些文字超出了照片边缘。请把手机稍微拿远一点，让文字全部拍进去。',
};

const BRIGHTNESS: Record<ColourReading['brightness'], string> = {
  'very-dark': '很暗',
  dark: '偏暗',
  dim: '有点暗',
  bright: '明亮',
  'very-bright': '很亮',
};

const COLOUR_NAMES: Record<ColourName, string> = {
  black: '黑色',
  'dark grey': '深灰色',
  grey: '灰色',
  'light grey': '浅灰色',
  white: '白色',
  red: '红色',
  'dark red': '深红色',
  pink: '粉色',
  orange: '橙色',
  brown: '棕色',
  beige: '米色',
  yellow: '黄色',
  olive: '橄榄绿',
  green: '绿色',
  'dark green': '深绿色',
  'light green': '浅绿色',
  teal: '蓝绿色',
  turquoise: '青绿色',
  'light blue': '浅蓝色',
  blue: '蓝色',
  'dark blue': '深蓝色',
  purple: '紫色',
  lavender: '淡紫色',
  magenta: '洋红色',
};

function colourList(reading: ColourReading): string {
  const names = reading.colours.map((colour, index) => (index > 0 && colour.share < 0.2 ? `少量${COLOUR_NAMES[colour.name]}` : COLOUR_NAMES[colour.name]));
  if (names.length <= 1) return names[0] ?? '';
  return `${names.slice(0, -1).join('、')}和${names.at(-1)!}`;
}

function barcodeText(barcode: Barcode): string {
  const { content } = barcode;
  const format = barcode.format === 'QR code' ? '二维码' : `${barcode.format} 条码`;
  switch (content.kind) {
    case 'product':
      return `${format}，号码 ${content.number}。`;
    case 'url':
      return `${format}，网址：${content.url}`;
    case 'wifi':
      return `${format}，Wi-Fi 网络 ${content.network}，${content.hasPassword ? '有密码' : '没有密码'}。`;
    case 'text':
      return `${format}，内容：${content.text}`;
  }
}

const LENGTH_NAMES: Record<ReplyLength, string> = { short: '简短', normal: '普通', detailed: '详细' };

/** Names this catalogue has always used; other languages are named from the runtime's locale data. */
const LANGUAGE_NAMES: Readonly<Record<string, string>> = { auto: '自动，跟随你书写或说话的语言', en: '英文', zh: '中文' };

function languageSettingName(setting: LanguageSetting): string {
  return Object.hasOwn(LANGUAGE_NAMES, setting) ? LANGUAGE_NAMES[setting]! : displayLanguageName(setting, 'zh');
}

/** "en、zh 或 auto": the choices of `/settings language`. */
function languageChoices(codes: readonly string[]): string {
  return `${codes.join('、')} 或 auto`;
}

/** "24 小时", "2 天", "1 小时". */
function keptFor(hours: number): string {
  const period = retentionPeriod(hours);
  return `${period.count} ${period.unit === 'day' ? '天' : '小时'}`;
}

function describeVoiceReplies(settings: UserSettings, canSpeak: boolean): string {
  const setting =
    settings.voiceReplies === 'off'
      ? '语音回答：关。'
      : settings.voiceReplies === 'always'
        ? '语音回答：总是，每个回答也会以语音消息发送。'
        : '语音回答：自动，你用语音提问时，回答也会以语音消息发送。';
  return settings.voiceReplies !== 'off' && !canSpeak ? `${setting}这台服务器目前无法生成语音消息，所以回答只有文字。` : setting;
}

function describeSettings(settings: UserSettings, canSpeak: boolean): string {
  const streaming = settings.streaming === 'edits' ? '流式显示：开，回答会先在一条消息里逐步显示，再作为新消息发送。' : '流式显示：关，回答作为新消息发送。';
  const echo = settings.voiceEcho === 'on' ? '语音复述：开，回答语音问题前，我会先说出我听到的内容。' : '语音复述：关。';
  return `回答长度：${LENGTH_NAMES[settings.replyLength]}。语言：${languageSettingName(settings.language)}。${streaming}${echo}${describeVoiceReplies(settings, canSpeak)}`;
}

function duration(totalSeconds: number): string {
  const { minutes, seconds } = minutesAndSeconds(totalSeconds);
  if (minutes === 0) return `${seconds} 秒`;
  return seconds === 0 ? `${minutes} 分钟` : `${minutes} 分 ${seconds} 秒`;
}

const CHINESE_ORDINALS = ['一', '二', '三', '四', '五', '六', '七', '八', '九', '十'];

function inAbout(seconds: number): string {
  if (seconds < 60) return `${Math.max(1, Math.ceil(seconds))} 秒后`;
  if (seconds < 3600) return `${Math.ceil(seconds / 60)} 分钟后`;
  return `大约 ${Math.round(seconds / 3600)} 小时后`;
}

const service: ServicePhrases = {
  placeInLine: (position, seconds) =>
    `你排在第${position <= CHINESE_ORDINALS.length ? CHINESE_ORDINALS[position - 1] : ` ${position} `}位，大约需要 ${duration(Math.max(1, Math.round(seconds)))}。`,
  busy: '我现在非常忙，没能接收你的消息。请一分钟后再发一次。',
  restarting: '我正在重新启动。你的消息已保存，稍后我会回答。',
  notAllowed: (accountId) => `这个助手是私人的，你的账号不在名单上。请联系运行它的人把你加进去，并把这个编号告诉他：${accountId}。`,
  rateLimited: (seconds) => `你提问的速度太快了，我跟不上。请等 ${duration(Math.max(1, Math.ceil(seconds)))} 再发一次。`,
  quotaReached: (limit, seconds) => `你今天的 ${limit} 个问题已经用完了。午夜之后可以再问，${inAbout(seconds)}。/mydata 等命令仍然可以使用。`,
};

const storedData: StoredDataPhrases = {
  heading: '以下是我保存的关于你的全部信息。',
  account: (platform, platformUserId, since) => `你的账号：${platform} 用户 ${platformUserId}，首次使用时间 ${since}。`,
  settings: (settings, changedByUser) =>
    `设置：回答长度${LENGTH_NAMES[settings.replyLength]}，语言${languageSettingName(settings.language)}，` +
    `流式显示${settings.streaming === 'edits' ? '开' : '关'}，语音复述${settings.voiceEcho === 'on' ? '开' : '关'}，` +
    `语音回答${settings.voiceReplies === 'spoken' ? '在你用语音提问时' : settings.voiceReplies === 'always' ? '总是' : '关'}。` +
    (changedByUser ? '' : '这是默认设置，你还没有修改过。'),
  totals: (conversations, questions, photos) => `共 ${conversations} 段对话，${questions} 个问题，${photos} 张保存的照片。`,
  conversation: (position, startedAt, current) => `第 ${position} 段对话，开始于 ${startedAt}，${current ? '进行中' : '已结束'}。`,
  photo: (width, height, deletedAt, withFindings) =>
    `一张照片，${width} 乘 ${height} 像素${withFindings ? '，连同我从中读出和注意到的内容' : ''}，将于 ${deletedAt} 自动删除。`,
  question: (source, text) => `${source === 'voice' ? '你说' : source === 'forwarded' ? '你转发了' : '你问'}：${text || '（一张没有问题的照片）'}`,
  answer: (status, text) => (status === 'done' ? `我的回答：${text}` : status === 'failed' ? '这个回答失败了。' : '这个回答没有完成。'),
  closing: '要删除全部信息，请发送 /forget。',
};

const UNSUPPORTED_NAMES: Record<UnsupportedContent, string> = {
  sticker: '贴纸',
  location: '位置信息',
  poll: '投票',
  video: '视频（暂时）',
  contact: '联系人名片',
  document: '这种类型的文件，可以发送照片或图片文件',
  other: '这种消息',
};

export const zh: Messages = {
  languageName: '中文',
  welcome: (mediaRetentionHours) =>
    '你好。我可以为你描述照片，并读出照片里的文字。发一张照片，也可以同时打字或用语音提一个问题，比如“读一下这个标签”或“灯开着吗？”。' +
    `同一张照片可以继续追问。为了能追问，我会保存你的问题和回答，照片保存 ${keptFor(mediaRetentionHours)}。` +
    '发送 /mydata 了解我保存了什么，/forget 删除全部信息，/help 查看其他功能。',
  help:
    '发一张照片，或者照片加一个问题。想追问上一张照片，直接打字或发语音提问即可。' +
    '想逐字听照片里的全部文字，发照片时加上 /read，或者说"读一下"。想知道颜色、灯是否开着，发送 /color。' +
    '命令：/new 开始新的对话。/settings 查看设置，例如 /settings length short、/settings language en，/settings echo on 让我先说出从语音里听到的内容，或者 /settings speak always、speak voice、speak off 选择什么时候用语音消息回答。' +
    '/mydata 告诉你我保存的全部信息。/forget 删除全部信息。',
  newConversation: '已开始新的对话。之前的照片和问题不会再使用。',
  settings: (current, languageCodes, canSpeak) =>
    `${describeSettings(current, canSpeak)}` +
    `要修改，请发送 /settings length short、normal 或 detailed；/settings language ${languageChoices(languageCodes)}；/settings streaming on 或 off；/settings echo on 或 off；` +
    '或者 /settings speak always、speak voice（只在你用语音提问时）或 speak off。',
  settingsUpdated: (current, canSpeak) => `已保存。${describeSettings(current, canSpeak)}`,
  settingsNotUnderstood: (argument, languageCodes) =>
    `我没有理解“${argument}”。请试试 /settings length short、normal 或 detailed，/settings language ${languageChoices(languageCodes)}，/settings echo on 或 off，或者 /settings speak always、voice 或 off。`,
  unknownCommand: (name) => `我不认识命令 /${name}。发送 /help 了解我能做什么。`,
  myData: (data) => describeStoredData(data, storedData),
  noDataStored: '我没有保存任何关于你的信息。',
  forgotten: (result) =>
    `${result.wipedFromDisk ? '已完成。' : ''}我删除了保存的关于你的全部信息：${result.conversations} 段对话，${result.turns} 个问题及回答，${result.media} 张照片，以及你的设置。` +
    (result.wipedFromDisk ? '' : '这些信息已从我的记忆中删除，稍后会从磁盘上彻底清除。'),
  nothingToForget: '我没有保存任何关于你的信息，所以没有需要删除的内容。',
  emptyTurn: '请发一张照片，或者输入一个问题。',
  imageProblem: (kind, position, count, details) => {
    const which = count > 1 ? `第 ${position} 张照片（共 ${count} 张）` : '这张照片';
    switch (kind) {
      case 'not-found':
        return '我找不到这个文件。请检查路径后再试。';
      case 'not-a-file':
        return '这是一个文件夹，不是照片。请发送照片文件本身。';
      case 'empty':
        return `${which}是一个空文件。请重新发送。`;
      case 'too-large':
        return `${which}太大了，上限是 ${wholeMegabytes(details.limitBytes ?? 0)} 兆字节。请改为以照片方式发送，或者发送小一点的文件。`;
      case 'too-many-pixels':
        return `${which}像素太多，我无法安全地打开${details.limitPixels ? `；我最多能打开 ${Math.round(details.limitPixels / 1e4)} 万像素` : ''}。请改为以照片方式发送，或者发送缩小后的版本。`;
      case 'not-an-image':
        return `${which}看起来不是图片。请发送 JPEG、PNG 或 WebP 格式的照片。`;
      case 'unsupported-format':
        return `我无法打开${details.format ? ` ${details.format.toUpperCase()} ` : '这种'}文件。请发送 JPEG、PNG 或 WebP 格式的照片。`;
      case 'corrupt':
        return `${which}似乎已损坏或不完整，我无法打开。请重新发送。`;
      case 'download-failed':
        return `我无法下载${count > 1 ? `第 ${position} 张照片` : '这张照片'}。请重新发送。`;
    }
  },
  tooManyImages: (used, sent) => `你发了 ${sent} 张照片，我看了前 ${used} 张。`,
  voiceNotSetUp: '这台服务器没有设置语音提问，所以我无法收听语音消息。请改为输入你的问题。',
  voiceProblem: (kind, details) => {
    switch (kind) {
      case 'empty':
        return '这条语音消息是空的。请重新录制。';
      case 'too-large':
        return `这个音频文件太大了，上限是 ${wholeMegabytes(Number(details.maxBytes ?? 0))} 兆字节。请发送短一些的语音消息。`;
      case 'unsupported-format': {
        const format = details.format === undefined ? undefined : String(details.format);
        const names: Record<string, string> = { image: '图片', text: '文字', video: '视频', PDF: 'PDF 文件', ZIP: 'ZIP 文件' };
        const what = format && Object.hasOwn(names, format) ? `这是${names[format]}，不是语音消息。` : `我无法播放${format ? ` ${format} ` : '这种'}音频。`;
        return `${what}请发送语音消息，或者 OGG、WAV、MP3 文件。`;
      }
      case 'corrupt':
        return '这条语音消息似乎已损坏，我无法播放。请重新录制。';
      case 'too-long':
        return `这条语音消息${details.seconds === undefined ? '太长了' : `长 ${duration(Number(details.seconds))}`}，我最多能听 ${duration(Number(details.maxSeconds ?? 0))}。请用短一些的消息提问。`;
      case 'not-found':
        return '我找不到这个音频文件。请检查路径后再试。';
      case 'download-failed':
        return '我无法下载这条语音消息。请重新发送。';
    }
  },
  couldNotHear: '我什么也没听到。请靠近手机再试一次。',
  transcriptionFailed: '抱歉，我没能听清这条语音消息。请再试一次，或者输入你的问题。',
  heardAs: (transcript) => `你问的是：${transcript}`,
  service,
  voiceReplies: {
    restInText: '其余的内容在文字回答里。',
    failed: '这次我没能生成语音消息。完整的回答在上面的文字里。',
    forbidden: '这里不允许我给你发语音消息，所以回答只有文字。请允许我发送语音消息，或者发送 /settings speak off 关闭语音回答。',
  },
  unsupportedContent: (kind) => `我无法使用${UNSUPPORTED_NAMES[kind]}。请发一张照片、照片加问题，或者输入一个问题。`,
  commandDescriptions: {
    start: '我能做什么，以及如何保存你的数据',
    help: '可以发送什么，以及所有命令',
    new: '开始新的对话',
    settings: '回答长度、语言和语音回答',
    mydata: '我保存的关于你的全部信息',
    forget: '删除我保存的关于你的全部信息',
    read: '逐字读出照片里的全部文字',
    color: '照片里的颜色和光线',
  },
  commandArgumentDescriptions: {
    settings: '例如：length short、language zh、speak always',
  },
  describeCommand: {
    description: '描述一张照片，或回答关于它的问题',
    imageOption: '照片',
    questionOption: '你想知道什么，例如：灯开着吗？',
    menuName: '描述图片',
  },
  modelNotSetUp: '这台服务器还没有安装视觉模型，所以我暂时无法回答关于照片的问题。需要由运行服务器的人安装。',
  modelUnavailable: '我用来回答问题的模型现在无法连接。请稍后再试。',
  modelNotOnServer: '我无法回答：模型服务器上没有我被设置使用的模型，重试也没有用。请告诉运行这个助手的人。',
  modelFailed: '抱歉，回答时出了问题。请再试一次。',
  modelFailedPartway: '抱歉，这个回答中途停止了，可能不完整。如果需要其余部分，请再问一次。',
  answerCutOff: '这是开头部分；发送“继续”听其余部分。',
  modelTimedOut: '回答用时太长，我停下了。请再试一次，或者发送 /settings length short 让回答更简短。',
  contextTooLong: '这段对话太长了。请发送 /new 开始新的对话，然后再问一次。',
  unexpectedError: '抱歉，我这边出了问题。请再试一次。',
  answeredPrivately: '这只和你有关，所以我通过私信回复了你。',
  privateReplyUnreachable: '这只和你有关，所以我不在这里回答，但我也无法给你发私信。请和我开一个私聊，发送 /start，然后在那里问我。',
  defaultPhotoQuestion: '这张照片里有什么？',
  perception: {
    coaching: (problems) => problems.map((problem) => COACHING[problem]).join(''),
    nothingRecognisable: '我什么也看不出来。请重新拍一张。',
    noTextFound: (problems) =>
      problems.includes('dark') || problems.includes('blurred') || problems.includes('overexposed')
        ? '我没有找到能读的文字。拍得清楚一些应该会有帮助。'
        : '我在这张照片里没有找到文字。请把镜头正对文字，离开大约一只手掌的距离，让文字占满大部分画面。',
    uncertainMark: '（看不清）',
    uncertainNote: (lines) => `有 ${lines} 行我不太确定，已标为看不清；请拍一张更近、更稳的照片，或者请人核对。`,
    barcode: barcodeText,
    photoHeading: (position, count) => `第 ${position} 张照片，共 ${count} 张。`,
    needPhoto: (intent) =>
      intent === 'read'
        ? '请发送要读的照片，并以 /read 作为说明文字；或者在照片之后发送 /read。'
        : '请发送一张照片，并以 /color 作为说明文字；或者在照片之后发送 /color。',
    readingFailed: '抱歉，这次没能读出照片里的文字。请再试一次。',
    colours: (reading, aboutLight) => {
      const level = BRIGHTNESS[reading.brightness];
      if (aboutLight) {
        const dark = reading.brightness === 'very-dark' || reading.brightness === 'dark';
        if (dark) return `照片${level}，灯可能是关着的。${reading.lightSource ? '画面里有一个小亮点，可能是小灯或屏幕。' : ''}`;
        return reading.lightSource ? `照片${level}，画面里能看到一个亮的光源，灯可能是开着的。` : `照片${level}，可能开着灯，或者有日光照进来。我看不到灯本身。`;
      }
      const colours = colourList(reading);
      const dim = reading.brightness === 'dim' || reading.brightness === 'dark' || reading.brightness === 'very-dark';
      return `${colours ? `照片中间主要是${colours}。` : '我分辨不出颜色。'}光线${level}${dim && colours ? '，实际颜色可能比看起来浅' : ''}。`;
    },
    colourNames: COLOUR_NAMES,
    coloursFailed: '抱歉，我没能查看这张照片的颜色。请再发一次。',
  },
};
