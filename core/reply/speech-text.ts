/**
 * Turns the plain reply text into what a speech synthesizer should say.
 *
 * The text is the one the user reads (already through `toSpeechFriendly`); this step only
 * decides how numbers, units, money, times, abbreviations and symbols are *said*. Both voices
 * read through espeak-ng (Piper is trained on espeak's phonemes), so every rule here exists
 * because espeak gets that case wrong on its own, found by reading its phonemes:
 * - English: "$12.99" is "dollar twelve point nine nine", "9:05" is "nine zero five", "mg" is
 *   "em gee", "Dr." and "Mr." cut the sentence in two, "AM" is the word "am". Plain numbers it
 *   reads well ("1,299", "3.5", "2026"), so English keeps digits and writes words only where
 *   espeak's reading of the digits is wrong (times, fractions).
 * - Chinese (espeak's `cmn`): "10000" is "十千", "12:30" loses its 点, "-5℃" is only "五",
 *   "¥12.99" loses the 元, "58%" is read in English. So Chinese writes every number as Chinese
 *   numerals itself.
 * - Other languages: espeak reads numbers and currency in the language far better than English
 *   rules would, so only language-neutral cleanup runs (symbols read aloud by name).
 *
 * Rules are small tables (units, currencies, abbreviations) and run in a fixed order: the more
 * specific pattern first (a phone number before a range, a time before a ratio, money before
 * units). A rule writes words, or digits with no symbol left beside them, so what it wrote
 * is not read again by a later rule or a second call.
 */

type Language = 'en' | 'zh' | 'other';

/**
 * Removing a symbol can bring a number and a unit together that a rule then reads differently
 * ("5 ~ km/h"), so passes repeat until nothing changes, as in `toSpeechFriendly`. Ordinary
 * replies settle in one pass; the cap only guards against a rule we got wrong.
 */
const MAXIMUM_PASSES = 4;

export function textForSpeech(text: string, language: string): string {
  const kind = languageKind(language);
  let current = text;
  for (let pass = 0; pass < MAXIMUM_PASSES; pass += 1) {
    const next = speakOnce(current, kind);
    if (next === current) break;
    current = next;
  }
  // A rule that ate everything would leave the listener with silence; the text as written is better.
  return current.trim() === '' ? text : current;
}

function speakOnce(text: string, kind: Language): string {
  const urls: string[] = [];
  let spoken = text.replace(/[ \t]+/g, ' ');
  if (kind !== 'other') spoken = maskAddresses(spoken, kind, urls);
  if (kind === 'en') spoken = englishRules(spoken);
  if (kind === 'zh') spoken = chineseRules(spoken);
  return tidy(neutralCleanup(spoken)).replace(MASKED_ADDRESS, (whole, index: string) => urls[index.charCodeAt(0) - MASK_BASE] ?? whole);
}

function languageKind(language: string): Language {
  const code = language.toLowerCase().split(/[-_]/)[0];
  return code === 'en' ? 'en' : code === 'zh' ? 'zh' : 'other';
}

// ---------------------------------------------------------------------------------------------
// Shared patterns.

/** "1,299.00", "3.5", "12": thousands separators are kept for English, where espeak reads them. */
const NUMBER = String.raw`\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?`;
/**
 * Letters of the alphabets whose words are spaced. Not \p{L}: Chinese characters are letters
 * too, yet "服用3.5mg" and "下午2:00" are numbers touching a Chinese word, not part of one.
 */
const ALPHABET = String.raw`\p{sc=Latn}\p{sc=Grek}\p{sc=Cyrl}`;
/**
 * A number not glued to a word, a decimal point or another number before it ("A4", "v1.2.3").
 */
const NUMBER_START = String.raw`(?<![${ALPHABET}\p{N}.,])`;
/** What may join the two ends of a range: "5-10", "5 – 10", "5~10" (Chinese), "5 to 10". */
const RANGE_JOIN = String.raw`\s?[-–~～]\s?|\s(?:to|到|至)\s|[到至]`;
const QUANTITY = String.raw`(${NUMBER})(?:(${RANGE_JOIN})(${NUMBER}))?`;
const NOT_WORD_AFTER = String.raw`(?![${ALPHABET}\p{N}])`;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Longest first, so "mmHg" wins over "mm" and "kcal" over "cal". */
function alternation(words: Iterable<string>): string {
  return [...new Set(words)].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|');
}

// ---------------------------------------------------------------------------------------------
// Web addresses and e-mail.

/**
 * Addresses are said part by part and then hidden from every other rule: "&", "-", "#", "@" and
 * digits inside them are not prose. "https://" is dropped (nobody says it and it helps no one);
 * the rest is kept, since the listener may need it.
 */
const EMAIL = /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}/gu;
const TOP_LEVEL_DOMAINS = 'com|org|net|edu|gov|mil|int|info|biz|io|ai|app|dev|co|me|tv|uk|us|ca|au|nz|ie|cn|hk|tw|sg|jp|kr|de|fr|es|it|nl|eu|ru|in|br';
const URL = new RegExp(
  String.raw`\b(?:(?:https?|ftp):\/\/[^\s<>]*[^\s<>.,;:!?'")\]。，]` +
    String.raw`|www\.[^\s<>]*[^\s<>.,;:!?'")\]。，]` +
    String.raw`|(?:[a-z0-9-]+\.)+(?:${TOP_LEVEL_DOMAINS})\b(?:\/[^\s<>]*[^\s<>.,;:!?'")\]。，])?)`,
  'giu',
);
const MASK_BASE = 0xe100;
const MASKED_ADDRESS = /\uE000([\uE100-\uF8FF])\uE001/gu;

const ADDRESS_WORDS: Readonly<Record<'en' | 'zh', Readonly<Record<string, string>>>> = {
  en: { '.': 'dot', '/': 'slash', '@': 'at', '-': 'dash', _: 'underscore', '?': 'question mark', '=': 'equals', '&': 'and', '#': 'hash', ':': 'colon', '%': 'percent', '+': 'plus', '~': 'tilde' },
  // espeak's cmn voice says nothing at all for the "." in "example.com".
  zh: { '.': '点', '/': '斜杠', '@': 'at', '-': '杠', _: '下划线', '?': '问号', '=': '等于', '&': '和', '#': '井号', ':': '冒号', '%': '百分号', '+': '加', '~': '波浪号' },
};

function maskAddresses(text: string, language: 'en' | 'zh', store: string[]): string {
  const mask = (spoken: string): string => `\uE000${String.fromCharCode(MASK_BASE + store.push(spoken) - 1)}\uE001`;
  return text
    .replace(/[\uE000-\uF8FF]/g, '')
    .replace(EMAIL, (address) => mask(spellAddress(address, language)))
    .replace(URL, (address) => mask(spellAddress(address.replace(/^[a-z]+:\/\//i, '').replace(/\/$/, ''), language)));
}

function spellAddress(address: string, language: 'en' | 'zh'): string {
  const words = ADDRESS_WORDS[language];
  return address
    .split(/([./@\-_?=&#:%+~])/)
    .filter((part) => part !== '')
    .map((part) => words[part] ?? part)
    // Chinese words need no spaces around them, and spaces would not survive a second pass;
    // two alphabetic words ("wang at") still do.
    .reduce((spoken, part) => (spoken !== '' && (language === 'en' || (/[^\p{sc=Han}]$/u.test(spoken) && /^[^\p{sc=Han}]/u.test(part))) ? `${spoken} ${part}` : spoken + part), '');
}

// ---------------------------------------------------------------------------------------------
// Money.

interface Currency {
  readonly en: readonly [one: string, many: string];
  /** Hundredths said by name ("99 cents"); absent where the decimals are read as a number. */
  readonly minor?: readonly [one: string, many: string];
  readonly zh: string;
}

const DOLLAR: Currency = { en: ['dollar', 'dollars'], minor: ['cent', 'cents'], zh: '美元' };
/**
 * ¥ is both the yen and the yuan: in an English reply it is usually yen, in a Chinese one the
 * yuan (元). "US$", "HK$" and the like name whose dollar it is.
 */
const CURRENCY_SYMBOLS: Readonly<Record<string, Currency>> = {
  $: DOLLAR,
  US$: { en: ['US dollar', 'US dollars'], minor: ['cent', 'cents'], zh: '美元' },
  HK$: { en: ['Hong Kong dollar', 'Hong Kong dollars'], minor: ['cent', 'cents'], zh: '港元' },
  NT$: { en: ['New Taiwan dollar', 'New Taiwan dollars'], minor: ['cent', 'cents'], zh: '新台币' },
  A$: { en: ['Australian dollar', 'Australian dollars'], minor: ['cent', 'cents'], zh: '澳元' },
  C$: { en: ['Canadian dollar', 'Canadian dollars'], minor: ['cent', 'cents'], zh: '加元' },
  S$: { en: ['Singapore dollar', 'Singapore dollars'], minor: ['cent', 'cents'], zh: '新加坡元' },
  '€': { en: ['euro', 'euros'], minor: ['cent', 'cents'], zh: '欧元' },
  '£': { en: ['pound', 'pounds'], minor: ['penny', 'pence'], zh: '英镑' },
  '¥': { en: ['yen', 'yen'], zh: '元' },
  '￥': { en: ['yen', 'yen'], zh: '元' },
  '₹': { en: ['rupee', 'rupees'], zh: '卢比' },
  '₩': { en: ['won', 'won'], zh: '韩元' },
};
/** Codes written after the amount ("25 USD"): espeak spells them letter by letter. */
const CURRENCY_CODES: Readonly<Record<string, Currency>> = {
  USD: CURRENCY_SYMBOLS.US$ ?? DOLLAR,
  EUR: CURRENCY_SYMBOLS['€'] ?? DOLLAR,
  GBP: CURRENCY_SYMBOLS['£'] ?? DOLLAR,
  JPY: { en: ['yen', 'yen'], zh: '日元' },
  CNY: { en: ['yuan', 'yuan'], zh: '元' },
  RMB: { en: ['yuan', 'yuan'], zh: '元' },
  HKD: CURRENCY_SYMBOLS.HK$ ?? DOLLAR,
  AUD: CURRENCY_SYMBOLS.A$ ?? DOLLAR,
  CAD: CURRENCY_SYMBOLS.C$ ?? DOLLAR,
};
/** "$5m", "$2.5bn", "$10k": the letter scales the amount, it is not a unit (5 metres). */
const MAGNITUDES: Readonly<Record<string, { readonly en: string; readonly zeros: number }>> = {
  k: { en: 'thousand', zeros: 3 },
  K: { en: 'thousand', zeros: 3 },
  m: { en: 'million', zeros: 6 },
  M: { en: 'million', zeros: 6 },
  mn: { en: 'million', zeros: 6 },
  bn: { en: 'billion', zeros: 9 },
  B: { en: 'billion', zeros: 9 },
  thousand: { en: 'thousand', zeros: 3 },
  million: { en: 'million', zeros: 6 },
  billion: { en: 'billion', zeros: 9 },
  trillion: { en: 'trillion', zeros: 12 },
  万: { en: 'ten thousand', zeros: 4 },
  亿: { en: 'hundred million', zeros: 8 },
};
/** Written-out scales need a space before them ("$5 million"); the letters must touch ("$5m"). */
const WORD_MAGNITUDES = new Set(['thousand', 'million', 'billion', 'trillion']);

const CURRENCY_SYMBOL = `(?:${alternation(Object.keys(CURRENCY_SYMBOLS))})`;
const MAGNITUDE = `(?:${alternation(Object.keys(MAGNITUDES).filter((word) => !WORD_MAGNITUDES.has(word)))}|\\s(?:${alternation(WORD_MAGNITUDES)}))`;
/** "$5", "-$5", "$5m", "$5-10", "$5 - $10", "$5 to $10". */
const MONEY_BY_SYMBOL = new RegExp(
  String.raw`(?<![${ALPHABET}\p{N}])([-−]?)(${CURRENCY_SYMBOL})\s?(${NUMBER})(${MAGNITUDE})?${NOT_WORD_AFTER}` +
    String.raw`(?:(${RANGE_JOIN})\2?\s?(${NUMBER})(${MAGNITUDE})?${NOT_WORD_AFTER})?`,
  'gu',
);
const MONEY_BY_CODE = new RegExp(
  String.raw`${NUMBER_START}(${NUMBER})(${MAGNITUDE})?\s?(${alternation(Object.keys(CURRENCY_CODES))})${NOT_WORD_AFTER}`,
  'gu',
);
const STRAY_CURRENCY = new RegExp(CURRENCY_SYMBOL, 'gu');

interface Amount {
  readonly whole: string;
  readonly fraction: string;
  readonly magnitude: string | undefined;
}

function amountOf(number: string, magnitude: string | undefined): Amount {
  const [whole = number, fraction = ''] = number.split('.');
  return { whole, fraction, magnitude: magnitude?.trim() };
}

/** "12 dollars 99 cents", "50 cents", "1 dollar", "1,299 dollars", "2.5 million dollars". */
function englishAmount(amount: Amount, currency: Currency, nameIt = true): string {
  const [one, many] = currency.en;
  const name = (count: string, forms: readonly [string, string]): string => (nameIt ? ` ${count === '1' ? forms[0] : forms[1]}` : '');
  if (amount.magnitude !== undefined) {
    const number = amount.fraction === '' ? amount.whole : `${amount.whole}.${amount.fraction}`;
    return `${number} ${MAGNITUDES[amount.magnitude]?.en ?? ''}${nameIt ? ` ${many}` : ''}`;
  }
  const { whole, fraction } = amount;
  if (fraction === '') return `${whole}${name(whole, currency.en)}`;
  if (!currency.minor || fraction.length > 2) return `${whole}.${fraction}${nameIt ? ` ${many}` : ''}`;
  const cents = String(Number(fraction.padEnd(2, '0')));
  if (cents === '0') return `${whole}${name(whole, [one, many])}`;
  if (Number(whole.replace(/,/g, '')) === 0) return `${cents}${name(cents, currency.minor)}`;
  return `${whole}${name(whole, [one, many])} ${cents}${name(cents, currency.minor)}`;
}

/** Chinese says the amount as a number: "十二点九九美元", "五百万美元". */
function chineseAmount(amount: Amount, currency: Currency, counted = false): string {
  const number = chineseAmountNumber(amount);
  return `${counted && number === '二' ? '两' : number}${currency.zh}`;
}

function chineseAmountNumber(amount: Amount): string {
  const zeros = amount.magnitude === undefined ? 0 : (MAGNITUDES[amount.magnitude]?.zeros ?? 0);
  // Shift the decimal point in the string, so "2.5bn" is exactly 二十五亿 with no float error.
  const digits = amount.whole.replace(/,/g, '') + amount.fraction.padEnd(zeros, '0');
  const point = amount.whole.replace(/,/g, '').length + zeros;
  const whole = digits.slice(0, point).replace(/^0+(?=\d)/, '');
  // Money has no trailing zeros worth saying: "$1,299.00" is 一千二百九十九美元.
  const fraction = digits.slice(point).replace(/0+$/, '');
  return chineseNumber(fraction === '' ? whole : `${whole}.${fraction}`);
}

function replaceMoney(text: string, language: 'en' | 'zh'): string {
  return text
    .replace(
      MONEY_BY_SYMBOL,
      (whole, sign: string, symbol: string, first: string, firstScale: string | undefined, join: string | undefined, second: string | undefined, secondScale: string | undefined, offset: number, all: string) => {
        const symbolCurrency = CURRENCY_SYMBOLS[symbol] ?? DOLLAR;
        // "¥12.99元" names the currency twice; say it once.
        const currency = language === 'zh' && all.startsWith(symbolCurrency.zh, offset + whole.length) ? { ...symbolCurrency, zh: '' } : symbolCurrency;
        const from = amountOf(first, firstScale);
        const to = second === undefined ? undefined : amountOf(second, secondScale);
        const minus = sign === '' ? '' : language === 'en' ? 'minus ' : '负';
        if (language === 'zh') {
          if (!to) return `${minus}${chineseAmount(from, currency, minus === '')}`;
          return `${minus}${chineseAmountNumber(from)}到${chineseAmount(to, currency)}`;
        }
        if (!to) return `${minus}${englishAmount(from, currency)}`;
        // "$5-10" is "5 to 10 dollars"; with cents on either end each end is said in full.
        const plain = from.fraction === '' && to.fraction === '' && from.magnitude === to.magnitude;
        const start = plain && from.magnitude === undefined ? from.whole : englishAmount(from, currency, !plain);
        return `${minus}${start} to ${englishAmount(to, currency)}`;
      },
    )
    .replace(MONEY_BY_CODE, (whole, number: string, scale: string | undefined, code: string) => {
      const currency = CURRENCY_CODES[code] ?? DOLLAR;
      const amount = amountOf(number, scale);
      return language === 'en' ? englishAmount(amount, currency) : chineseAmount(amount, currency, true);
    })
    .replace(STRAY_CURRENCY, (symbol) => {
      const currency = CURRENCY_SYMBOLS[symbol] ?? DOLLAR;
      return language === 'en' ? ` ${currency.en[0]} ` : currency.zh;
    });
}

// ---------------------------------------------------------------------------------------------
// Units after a number.

interface Unit {
  readonly symbols: readonly string[];
  readonly en: readonly [one: string, many: string];
  readonly zh: string;
}

/**
 * Case matters: "m" is metres but "M" is not a unit, "g" grams but "G" (5G) is not. Ambiguous
 * symbols are left out: "s" ("1990s"), "in" (a word), "pt" is here as pints because that is
 * what a food label means by it (a font size would be "points").
 */
const UNITS: readonly Unit[] = [
  { symbols: ['mg'], en: ['milligram', 'milligrams'], zh: '毫克' },
  { symbols: ['mcg', 'µg', 'μg', 'ug'], en: ['microgram', 'micrograms'], zh: '微克' },
  { symbols: ['g'], en: ['gram', 'grams'], zh: '克' },
  { symbols: ['kg', 'kgs'], en: ['kilogram', 'kilograms'], zh: '公斤' },
  { symbols: ['ml', 'mL', 'ML'], en: ['milliliter', 'milliliters'], zh: '毫升' },
  { symbols: ['dl', 'dL'], en: ['deciliter', 'deciliters'], zh: '分升' },
  { symbols: ['l', 'L'], en: ['liter', 'liters'], zh: '升' },
  { symbols: ['mm'], en: ['millimeter', 'millimeters'], zh: '毫米' },
  { symbols: ['cm'], en: ['centimeter', 'centimeters'], zh: '厘米' },
  { symbols: ['m'], en: ['meter', 'meters'], zh: '米' },
  { symbols: ['km'], en: ['kilometer', 'kilometers'], zh: '公里' },
  { symbols: ['ft'], en: ['foot', 'feet'], zh: '英尺' },
  { symbols: ['mi'], en: ['mile', 'miles'], zh: '英里' },
  { symbols: ['mph'], en: ['mile per hour', 'miles per hour'], zh: '英里每小时' },
  { symbols: ['kph'], en: ['kilometer per hour', 'kilometers per hour'], zh: '公里每小时' },
  { symbols: ['°C', '° C', 'ºC', '℃'], en: ['degree Celsius', 'degrees Celsius'], zh: '摄氏度' },
  { symbols: ['°F', '° F', 'ºF', '℉'], en: ['degree Fahrenheit', 'degrees Fahrenheit'], zh: '华氏度' },
  { symbols: ['°', 'º'], en: ['degree', 'degrees'], zh: '度' },
  { symbols: ['%', '％'], en: ['percent', 'percent'], zh: '%' },
  { symbols: ['kcal', 'Kcal'], en: ['kilocalorie', 'kilocalories'], zh: '千卡' },
  { symbols: ['cal'], en: ['calorie', 'calories'], zh: '卡' },
  { symbols: ['kJ'], en: ['kilojoule', 'kilojoules'], zh: '千焦' },
  { symbols: ['oz'], en: ['ounce', 'ounces'], zh: '盎司' },
  { symbols: ['fl oz', 'fl. oz.', 'fl.oz'], en: ['fluid ounce', 'fluid ounces'], zh: '液量盎司' },
  { symbols: ['lb', 'lbs'], en: ['pound', 'pounds'], zh: '磅' },
  { symbols: ['pt'], en: ['pint', 'pints'], zh: '品脱' },
  { symbols: ['tbsp', 'Tbsp'], en: ['tablespoon', 'tablespoons'], zh: '汤匙' },
  { symbols: ['tsp'], en: ['teaspoon', 'teaspoons'], zh: '茶匙' },
  { symbols: ['IU'], en: ['international unit', 'international units'], zh: '国际单位' },
  { symbols: ['mmol'], en: ['millimole', 'millimoles'], zh: '毫摩尔' },
  { symbols: ['mmHg'], en: ['millimeter of mercury', 'millimeters of mercury'], zh: '毫米汞柱' },
  { symbols: ['bpm'], en: ['beat per minute', 'beats per minute'], zh: '次每分钟' },
  { symbols: ['ms'], en: ['millisecond', 'milliseconds'], zh: '毫秒' },
  { symbols: ['sec', 'secs'], en: ['second', 'seconds'], zh: '秒' },
  { symbols: ['min', 'mins'], en: ['minute', 'minutes'], zh: '分钟' },
  { symbols: ['h', 'hr', 'hrs'], en: ['hour', 'hours'], zh: '小时' },
  { symbols: ['mAh'], en: ['milliamp hour', 'milliamp hours'], zh: '毫安时' },
  { symbols: ['W'], en: ['watt', 'watts'], zh: '瓦' },
  { symbols: ['kW'], en: ['kilowatt', 'kilowatts'], zh: '千瓦' },
  { symbols: ['kWh'], en: ['kilowatt hour', 'kilowatt hours'], zh: '千瓦时' },
  { symbols: ['V'], en: ['volt', 'volts'], zh: '伏' },
  { symbols: ['Hz'], en: ['hertz', 'hertz'], zh: '赫兹' },
  { symbols: ['KB', 'kB'], en: ['kilobyte', 'kilobytes'], zh: '千字节' },
  { symbols: ['MB'], en: ['megabyte', 'megabytes'], zh: '兆字节' },
  { symbols: ['GB'], en: ['gigabyte', 'gigabytes'], zh: '吉字节' },
  { symbols: ['TB'], en: ['terabyte', 'terabytes'], zh: '太字节' },
];
const UNIT_BY_SYMBOL = new Map(UNITS.flatMap((unit) => unit.symbols.map((symbol) => [symbol, unit] as const)));
const UNIT_SYMBOL = alternation(UNIT_BY_SYMBOL.keys());
/** "3.5 mg", "5-10 mg", "1 mg", "120 km/h", "0.5 mg/kg": a second unit after "/" is "per". */
const QUANTITY_WITH_UNIT = new RegExp(
  String.raw`${NUMBER_START}${QUANTITY}(\s?)(${UNIT_SYMBOL})(?:\/(${UNIT_SYMBOL}))?(?![${ALPHABET}\p{N}/])`,
  'gu',
);

/**
 * "69 cents per kg", "$3 / kg", "12元/斤": a price or rate per unit, where no number stands before
 * the unit. Only after "per" or a slash that follows a number or a currency word, so a lone "g" or
 * "m" in prose is never touched.
 */
const PER_UNIT = new RegExp(String.raw`(\p{N}|cents?|dollars?|euros?|pounds?|pence|yen|元)(\s?)(?:(per)\s|\/\s?)(${UNIT_SYMBOL})(?![${ALPHABET}\p{N}/])`, 'gu');

function replaceUnits(text: string, language: 'en' | 'zh'): string {
  return replaceQuantities(text, language).replace(PER_UNIT, (whole, before: string, space: string, _per: string | undefined, symbol: string) => {
    const unit = UNIT_BY_SYMBOL.get(symbol);
    if (!unit || unit.zh === '%') return whole;
    return language === 'zh' ? `${before}每${unit.zh}` : `${before}${space || ' '}per ${unit.en[0]}`;
  });
}

function replaceQuantities(text: string, language: 'en' | 'zh'): string {
  return text.replace(
    QUANTITY_WITH_UNIT,
    (whole, first: string, join: string | undefined, second: string | undefined, space: string, symbol: string, per?: string) => {
      const unit = UNIT_BY_SYMBOL.get(symbol);
      const perUnit = per === undefined ? undefined : UNIT_BY_SYMBOL.get(per);
      if (!unit || (per !== undefined && !perUnit)) return whole;
      if (language === 'zh') {
        if (unit.zh === '%') {
          return second === undefined ? `百分之${chineseNumber(first)}` : `百分之${chineseNumber(first)}到百分之${chineseNumber(second)}`;
        }
        const quantity = second === undefined ? chineseCount(first) : `${chineseNumber(first)}到${chineseNumber(second)}`;
        return `${quantity}${unit.zh}${perUnit ? `每${perUnit.zh}` : ''}`;
      }
      const quantity = second === undefined ? first : `${first} to ${second}`;
      const name = second === undefined && first === '1' ? unit.en[0] : unit.en[1];
      return `${quantity} ${name}${perUnit ? ` per ${perUnit.en[0]}` : ''}`;
    },
  );
}

/** A temperature or angle sign with no number before it is still "degrees". */
const STRAY_DEGREES = /(?:°|º)\s?C\b|℃|(?:°|º)\s?F\b|℉|°|º/gu;

function replaceStrayDegrees(text: string, language: 'en' | 'zh'): string {
  return text.replace(STRAY_DEGREES, (sign) => {
    const unit = UNIT_BY_SYMBOL.get(sign) ?? UNIT_BY_SYMBOL.get('°');
    return language === 'en' ? ` ${unit?.en[1] ?? 'degrees'} ` : (unit?.zh ?? '度');
  });
}

// ---------------------------------------------------------------------------------------------
// Times, dates, phone numbers, fractions, ranges.

/** "12:30", "9:05", "3:30 PM", "14:00"; not "1:23:45" or "16:9". */
const CLOCK_TIME = new RegExp(String.raw`(?<![${ALPHABET}\p{N}:.,])([01]?\d|2[0-4]):([0-5]\d)(?:\s?([AaPp])\.?[Mm]\b\.?)?(?![\p{N}:])`, 'gu');
/** "10am", "10 pm", "10 a.m." */
const HOUR_WITH_PERIOD = new RegExp(String.raw`(?<![${ALPHABET}\p{N}:.,])(1[0-2]|0?[1-9])\s?([AaPp])\.?[Mm](?![${ALPHABET}\p{N}])\.?`, 'gu');
/** What is left of "a:b" after clock times: ratios and scores, "16:9", "2:1". */
const RATIO = new RegExp(String.raw`(?<![${ALPHABET}\p{N}:.,])(\d+):(\d+)(?![\p{N}:])`, 'gu');

/**
 * espeak says "9:05" as "nine zero five" and "12:00" as "twelve zero zero", so clock times are
 * written as words. "a.m." with its dots: espeak reads a bare "AM" as the word "am".
 */
function englishTime(hourText: string, minuteText: string | undefined, period: string | undefined): string {
  const hour = Number(hourText);
  const minute = Number(minuteText ?? '0');
  const suffix = period === undefined ? '' : ` ${period.toLowerCase()}.m.`;
  let minutes: string;
  if (minute === 0) minutes = period !== undefined ? '' : hour === 0 || hour > 12 ? ' hundred' : " o'clock";
  else if (minute < 10) minutes = ` oh ${englishNumber(minute)}`;
  else minutes = ` ${englishNumber(minute)}`;
  return `${englishNumber(hour)}${minutes}${suffix}`;
}

/** 两点, not 二点, is how a clock hour of 2 is said. */
function chineseTime(hourText: string, minuteText: string | undefined, period: string | undefined): string {
  const hour = Number(hourText);
  const minute = Number(minuteText ?? '0');
  const prefix = period === undefined ? '' : period.toLowerCase() === 'a' ? '上午' : '下午';
  const hourWord = hour === 2 ? '两' : chineseNumber(String(hour));
  const minuteWords = minute === 0 ? '' : `${minute < 10 ? '零' : ''}${chineseNumber(String(minute))}分`;
  return `${prefix}${hourWord}点${minuteWords}`;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const ISO_DATE = new RegExp(String.raw`(?<![${ALPHABET}\p{N}\-.\/])(\d{4})-(\d{1,2})-(\d{1,2})(?![${ALPHABET}\p{N}\-.\/])`, 'gu');
/** "Best before 03/2027": a month and a four-digit year, as labels print them. */
const MONTH_YEAR = new RegExp(String.raw`(?<![${ALPHABET}\p{N}\-.\/])(0?[1-9]|1[0-2])\/(\d{4})(?![${ALPHABET}\p{N}\-\/]|\.\d)`, 'gu');
const SLASH_DATE = new RegExp(String.raw`(?<![${ALPHABET}\p{N}\-.\/])(\d{1,4})([\/.])(\d{1,2})\2(\d{1,4})(?![${ALPHABET}\p{N}\-\/]|\.\d)`, 'gu');

/**
 * "2026-12-02" is unambiguous and gets its month name. "12/03/2026" could be either order: when
 * one part is over 12 the order is known; otherwise the parts are said as numbers in the order
 * written ("12 3 2026"), which keeps the ambiguity the reader also sees, without "slash".
 */
function replaceDates(text: string, language: 'en' | 'zh'): string {
  const say = (year: number, month: number, day: number, monthFirst: boolean): string => {
    if (language === 'zh') return `${chineseDigits(String(year))}年${chineseNumber(String(month))}月${chineseNumber(String(day))}日`;
    const name = MONTHS[month - 1] ?? String(month);
    return monthFirst ? `${name} ${day}, ${year}` : `${day} ${name} ${year}`;
  };
  const valid = (month: number, day: number): boolean => month >= 1 && month <= 12 && day >= 1 && day <= 31;
  return text
    .replace(ISO_DATE, (whole, year: string, month: string, day: string) => {
      return valid(Number(month), Number(day)) ? say(Number(year), Number(month), Number(day), true) : whole;
    })
    .replace(SLASH_DATE, (whole, first: string, separator: string, second: string, third: string) => {
      // With dots only a four-digit year makes it a date: "2.10.24" is more likely a version.
      if (separator === '.' && first.length !== 4 && third.length !== 4) return whole;
      const [a, b, c] = [Number(first), Number(second), Number(third)];
      if (first.length === 4 && valid(b, c)) return say(a, b, c, true);
      if (third.length !== 4 && third.length !== 2) return whole;
      if (a > 12 && valid(b, a)) return say(c, b, a, false);
      if (b > 12 && valid(a, b)) return say(c, a, b, true);
      if (!valid(a, b) && !valid(b, a)) return whole;
      return language === 'zh' ? `${chineseNumber(String(a))}，${chineseNumber(String(b))}，${chineseDigits(third)}年` : `${a} ${b} ${third}`;
    })
    // After full dates, so "12/03/2026" is not read as a month and a year.
    .replace(MONTH_YEAR, (whole, month: string, year: string) =>
      language === 'zh' ? `${chineseDigits(year)}年${chineseNumber(String(Number(month)))}月` : `${MONTHS[Number(month) - 1]} ${year}`,
    );
}

/**
 * "(555) 123-4567", "+1 555-123-4567": digit by digit in groups, so it is not "five hundred
 * fifty-five to one thousand…". Only full ten-digit numbers: "800-1200 calories" is a range.
 * Chinese mobile numbers (11 digits from 1) and numbers with a leading 0 are digits too.
 */
const PHONE = new RegExp(String.raw`(?<![${ALPHABET}\p{N}+\-.,])(\+\d{1,3}[\s.-]?)?(\(\d{3}\)\s?|\d{3}[\s.-])(\d{3})[\s.-](\d{4})(?![${ALPHABET}\p{N}]|[.-]\d)`, 'gu');

function replacePhones(text: string, language: 'en' | 'zh'): string {
  const digits = language === 'en' ? (group: string): string => group.replace(/\D/g, '').split('').join(' ') : (group: string): string => chineseDigits(group.replace(/\D/g, ''));
  const separator = language === 'en' ? ', ' : '，';
  return text.replace(PHONE, (whole, country: string | undefined, area: string, exchange: string, line: string) => {
    const groups = [area, exchange, line].map(digits).join(separator);
    if (!country) return groups;
    return `${language === 'en' ? 'plus ' : '加'}${digits(country)}${separator}${groups}`;
  });
}

const FRACTION_DENOMINATORS: readonly (readonly [string, string])[] = [
  ['', ''],
  ['', ''],
  ['half', 'halves'],
  ['third', 'thirds'],
  ['quarter', 'quarters'],
  ['fifth', 'fifths'],
  ['sixth', 'sixths'],
  ['seventh', 'sevenths'],
  ['eighth', 'eighths'],
  ['ninth', 'ninths'],
  ['tenth', 'tenths'],
];
const MIXED_FRACTION = new RegExp(String.raw`(?<![${ALPHABET}\p{N}.,\/])(\d+) (\d)\/(\d{1,2})(?![${ALPHABET}\p{N}\/])`, 'gu');
const FRACTION = new RegExp(String.raw`(?<![${ALPHABET}\p{N}.,\/])(\d+)\/(\d+)(?![${ALPHABET}\p{N}\/]|\.\d)`, 'gu');
const FRACTION_CHARACTERS: Readonly<Record<string, string>> = { '½': '1/2', '⅓': '1/3', '⅔': '2/3', '¼': '1/4', '¾': '3/4', '⅕': '1/5', '⅛': '1/8' };

function englishFraction(numerator: number, denominator: number): string | undefined {
  const forms = FRACTION_DENOMINATORS[denominator];
  if (!forms || denominator < 2 || numerator < 1 || numerator >= denominator) return undefined;
  return `${englishNumber(numerator)} ${numerator === 1 ? forms[0] : forms[1]}`;
}

/**
 * "1/2" is "one half". Any other a/b is "a over b", which is how "120/80" (blood pressure) is
 * said; "24/7" is said as written.
 */
function replaceFractions(text: string, language: 'en' | 'zh'): string {
  const withCharacters = text.replace(/(\d?)\s?([½⅓⅔¼¾⅕⅛])/gu, (whole, before: string, character: string) => {
    return `${before}${before ? ' ' : ''}${FRACTION_CHARACTERS[character] ?? character}`;
  });
  if (language === 'zh') {
    return withCharacters
      .replace(MIXED_FRACTION, (whole, integer: string, numerator: string, denominator: string) => {
        return `${chineseNumber(integer)}又${chineseNumber(denominator)}分之${chineseNumber(numerator)}`;
      })
      .replace(FRACTION, (whole, numerator: string, denominator: string) => {
        if (numerator === '24' && denominator === '7') return '全天候';
        // Larger "a/b" is usually a pair (blood pressure 120/80), said with 比 between.
        if (Number(numerator) >= Number(denominator)) return `${chineseNumber(numerator)}比${chineseNumber(denominator)}`;
        return `${chineseNumber(denominator)}分之${chineseNumber(numerator)}`;
      });
  }
  return withCharacters
    .replace(MIXED_FRACTION, (whole, integer: string, numerator: string, denominator: string) => {
      const fraction = englishFraction(Number(numerator), Number(denominator));
      return fraction ? `${integer} and ${fraction}` : whole;
    })
    .replace(FRACTION, (whole, numerator: string, denominator: string) => {
      if (numerator === '24' && denominator === '7') return '24 7';
      return englishFraction(Number(numerator), Number(denominator)) ?? `${numerator} over ${denominator}`;
    });
}

/** "5-10", "2020–2021", "5~10": espeak says "five dash ten". Not "COVID-19" or "A4-5". */
const RANGE = new RegExp(String.raw`(?<![${ALPHABET}\p{N}.,\-–~～])(${NUMBER})\s?[-–~～]\s?(${NUMBER})(?![${ALPHABET}\p{N}]|[-–~～]\d)`, 'gu');

// ---------------------------------------------------------------------------------------------
// English.

/**
 * Titles are read before a capitalised name: "Dr. Smith" is "Doctor Smith" (espeak otherwise
 * pauses after "Dr."). "St." and "Dr." after a name are in an address: "Main St." is "Main
 * Street", "Elm Dr." is "Elm Drive".
 */
const TITLES: Readonly<Record<string, string>> = {
  Dr: 'Doctor',
  Mr: 'Mister',
  Mrs: 'Missus',
  Ms: 'Miz',
  Mx: 'Mix',
  Prof: 'Professor',
  St: 'Saint',
  Mt: 'Mount',
  Ft: 'Fort',
  Capt: 'Captain',
  Gen: 'General',
  Rev: 'Reverend',
  Sgt: 'Sergeant',
};
const STREET_TYPES: Readonly<Record<string, string>> = {
  St: 'Street',
  Dr: 'Drive',
  Ave: 'Avenue',
  Rd: 'Road',
  Blvd: 'Boulevard',
  Ln: 'Lane',
  Ct: 'Court',
  Hwy: 'Highway',
  Pl: 'Place',
};
/** Abbreviations that mean one thing wherever they are. */
const ABBREVIATIONS: Readonly<Record<string, string>> = {
  'e.g.': 'for example',
  'E.g.': 'For example',
  'i.e.': 'that is',
  'I.e.': 'That is',
  'etc.': 'et cetera',
  'approx.': 'approximately',
  'Approx.': 'Approximately',
  'vs.': 'versus',
  'vs': 'versus',
  'incl.': 'including',
  'esp.': 'especially',
  'dept.': 'department',
  'Dept.': 'Department',
  'min.': 'minimum',
  'max.': 'maximum',
  'Min.': 'Minimum',
  'Max.': 'Maximum',
  'qty': 'quantity',
  'Qty': 'Quantity',
  'w/o': 'without',
  'w/': 'with',
  'and/or': 'and or',
  'a.k.a.': 'also known as',
  'aka': 'also known as',
};
/** Only before a number: "No. 5" is "number 5", but "No." alone is the answer "no". */
const BEFORE_NUMBER: Readonly<Record<string, string>> = {
  'No.': 'number',
  'no.': 'number',
  'Nos.': 'numbers',
  'Pt.': 'part',
  'pt.': 'part',
  'Vol.': 'volume',
  'vol.': 'volume',
  'Ch.': 'chapter',
  'ch.': 'chapter',
  'p.': 'page',
  'pp.': 'pages',
  'Rm.': 'room',
  'Apt.': 'apartment',
  'Jan.': 'January',
  'Jan': 'January',
  'Feb.': 'February',
  'Feb': 'February',
  'Mar.': 'March',
  'Apr.': 'April',
  'Apr': 'April',
  'Jun.': 'June',
  'Jun': 'June',
  'Jul.': 'July',
  'Jul': 'July',
  'Aug.': 'August',
  'Aug': 'August',
  'Sep.': 'September',
  'Sep': 'September',
  'Sept.': 'September',
  'Sept': 'September',
  'Oct.': 'October',
  'Oct': 'October',
  'Nov.': 'November',
  'Nov': 'November',
  'Dec.': 'December',
  'Dec': 'December',
};

/**
 * An abbreviation's period may also end the sentence ("…pears, etc. Then"); if so, the period is
 * kept, since it is the pause. At the end of a line or before a capital it is taken as an end.
 */
const SENTENCE_ENDS = /^(?:[ \t]*(?:\n|$)|[ \t]+["'“‘(]?\p{Lu})/u;

function keepSentenceEnd(replacement: string, after: string, hadPeriod: boolean): string {
  return hadPeriod && SENTENCE_ENDS.test(after) ? `${replacement}.` : replacement;
}

/** British style writes "Dr Smith", "Mr Smith"; "St"/"Gen" without a period could be anything. */
const TITLES_WITHOUT_PERIOD = new Set(['Dr', 'Mr', 'Mrs', 'Ms', 'Mx', 'Prof']);

const TITLE_OR_STREET = new RegExp(
  String.raw`(?<![${ALPHABET}\p{N}.])(${alternation(new Set([...Object.keys(TITLES), ...Object.keys(STREET_TYPES)]))})(\.?)(?![${ALPHABET}\p{N}])`,
  'gu',
);
const GENERAL_ABBREVIATION = new RegExp(String.raw`(?<![${ALPHABET}\p{N}.])(${alternation(Object.keys(ABBREVIATIONS))})(?![${ALPHABET}\p{N}])`, 'gu');
const NUMBERED_ABBREVIATION = new RegExp(String.raw`(?<![${ALPHABET}\p{N}.])(${alternation(Object.keys(BEFORE_NUMBER))})(?=\s?\d)`, 'gu');

function expandEnglishAbbreviations(text: string): string {
  return text
    .replace(TITLE_OR_STREET, (whole, word: string, period: string, offset: number, all: string) => {
      // Only the nearby words matter; a window keeps long replies linear.
      const before = all.slice(Math.max(0, offset - 120), offset);
      const after = all.slice(offset + whole.length);
      const previous = /(?:^|[\s(])([\p{Lu}\d][\p{L}\d]*)[ \t]+$/u.exec(before);
      // A capitalised word right before is a street name, unless it only opens the sentence.
      const sentenceOpener = previous !== null && /(?:^|[.!?]\s+|\n)$/u.test(before.slice(0, previous.index + (previous[0].length - previous[0].trimStart().length)));
      const afterName = previous !== null && !sentenceOpener;
      const beforeName = /^\.?[ \t]+\p{Lu}/u.test(after) || (period === '' && /^[ \t]+\p{Lu}/u.test(after));
      const street = STREET_TYPES[word];
      const title = TITLES[word];
      if (street && (afterName || (!beforeName && previous !== null))) return keepSentenceEnd(street, after, period === '.');
      if (title && beforeName && period === '.') return title;
      // Without a period only the unambiguous titles ("Mr Smith", British style) are expanded.
      if (title && beforeName && TITLES_WITHOUT_PERIOD.has(word)) return title;
      // "See a Dr. today": still a doctor, and espeak would pause after the period.
      if (word === 'Dr' && period === '.') return keepSentenceEnd('doctor', after, true);
      return whole;
    })
    .replace(GENERAL_ABBREVIATION, (whole, abbreviation: string, offset: number, all: string) => {
      const replacement = ABBREVIATIONS[abbreviation] ?? abbreviation;
      return keepSentenceEnd(replacement, all.slice(offset + whole.length), abbreviation.endsWith('.'));
    })
    .replace(NUMBERED_ABBREVIATION, (whole, abbreviation: string) => `${BEFORE_NUMBER[abbreviation] ?? abbreviation} `);
}

const ENGLISH_SYMBOLS: readonly (readonly [RegExp, string])[] = [
  // "#5" is a number; "C#" a note or a language; "#word" a hashtag.
  [new RegExp(String.raw`(?<![${ALPHABET}\p{N}])#\s?(?=\d)`, 'gu'), ' number '],
  [new RegExp(String.raw`(?<=\b[A-G])#(?![${ALPHABET}\p{N}])`, 'gu'), ' sharp'],
  [/#(?=\p{L})/gu, ' hashtag '],
  [/#/gu, ' '],
  [/&/gu, ' and '],
  [/@/gu, ' at '],
  [/±|\+\/-|\+-(?=\s?\d)/gu, ' plus or minus '],
  [/[~≈∼]\s?(?=[\d$€£¥])/gu, ' about '],
  [/[~≈∼]/gu, ' '],
  [/(?<=\d)\s?[x×]\s?(?=\d)/gu, ' by '],
  [/(?<=\d)\s?\*\s?(?=\d)/gu, ' times '],
  [new RegExp(String.raw`(?<=(?<![${ALPHABET}\p{N}])\d+)[x×](?![${ALPHABET}\p{N}])`, 'gu'), ' times '],
  [new RegExp(String.raw`(?<![${ALPHABET}\p{N}])[x×](?=\d+(?![${ALPHABET}\p{N}]))`, 'gu'), ' times '],
  [/×/gu, ' times '],
  [/÷/gu, ' divided by '],
  [/\+/gu, ' plus '],
  [/−/gu, '-'],
  [/(?<=\d\s?)=(?=\s?-?\d)/gu, ' equals '],
  [/≤|<=/gu, ' at most '],
  [/≥|>=/gu, ' at least '],
  [/<(?=\s?[\d$€£¥])/gu, ' less than '],
  [/>(?=\s?[\d$€£¥])/gu, ' more than '],
  [/\s*(?:→|->|=>|⟶)\s*/gu, ' to '],
  [/\s*(?:←|<-|⟵)\s*/gu, ' left '],
  [/\s*[↓⬇]\s*/gu, ' down '],
  [/\s*[↑⬆]\s*/gu, ' up '],
  [/§/gu, ' section '],
  [/%|％/gu, ' percent '],
];

const WEEKDAYS: Readonly<Record<string, string>> = {
  mon: 'Monday',
  tue: 'Tuesday',
  tues: 'Tuesday',
  wed: 'Wednesday',
  thu: 'Thursday',
  thur: 'Thursday',
  thurs: 'Thursday',
  fri: 'Friday',
  sat: 'Saturday',
  sun: 'Sunday',
};
const WEEKDAY = alternation(Object.keys(WEEKDAYS).map((day) => day[0]!.toUpperCase() + day.slice(1)));
/**
 * "Mon–Fri" on a sign is "Monday to Friday". Only as a range: a lone "Sun" or "Wed" is as likely
 * the word itself.
 */
const WEEKDAY_RANGE = new RegExp(String.raw`(?<![${ALPHABET}])(${WEEKDAY})\.?\s?[-–~]\s?(${WEEKDAY})\.?(?![${ALPHABET}])`, 'gu');

/** "9:00-17:00": the dash between two times is "to", before either time becomes words. */
const TIME_RANGE_DASH = /(\d{1,2}:\d{2}(?:\s?[AaPp]\.?[Mm]\.?)?)\s?[-–~～]\s?(?=\d{1,2}:\d{2})/gu;

function englishRules(text: string): string {
  let spoken = replacePhones(text, 'en');
  spoken = replaceDates(spoken, 'en');
  spoken = spoken.replace(WEEKDAY_RANGE, (whole, from: string, to: string) => `${WEEKDAYS[from.toLowerCase()]} to ${WEEKDAYS[to.toLowerCase()]}`);
  spoken = spoken
    .replace(TIME_RANGE_DASH, '$1 to ')
    .replace(CLOCK_TIME, (whole, hour: string, minute: string, period?: string) => englishTime(hour, minute, period))
    .replace(HOUR_WITH_PERIOD, (whole, hour: string, period: string) => englishTime(hour, undefined, period))
    .replace(RATIO, '$1 to $2');
  spoken = replaceMoney(spoken, 'en');
  spoken = replaceUnits(spoken, 'en');
  spoken = replaceStrayDegrees(spoken, 'en');
  spoken = replaceFractions(spoken, 'en');
  spoken = spoken.replace(RANGE, '$1 to $2');
  spoken = expandEnglishAbbreviations(spoken);
  for (const [pattern, replacement] of ENGLISH_SYMBOLS) spoken = spoken.replace(pattern, replacement);
  return spoken;
}

const ENGLISH_ONES = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen'];
const ENGLISH_TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];

/** Only the small numbers times and fractions need; other numbers stay digits for espeak. */
function englishNumber(value: number): string {
  if (value < 20) return ENGLISH_ONES[value] ?? String(value);
  if (value < 100) {
    const ones = value % 10;
    return `${ENGLISH_TENS[Math.floor(value / 10)] ?? ''}${ones === 0 ? '' : `-${ENGLISH_ONES[ones] ?? ''}`}`;
  }
  return String(value);
}

// ---------------------------------------------------------------------------------------------
// Chinese.

const CHINESE_DIGITS = '零一二三四五六七八九';
const CHINESE_SMALL_UNITS = ['', '十', '百', '千'];
/** Each step is four digits: 万 is 10^4, 亿 10^8, 万亿 10^12. */
const CHINESE_LARGE_UNITS = ['', '万', '亿', '万亿'];

function chineseDigits(digits: string): string {
  return digits.replace(/\d/g, (digit) => CHINESE_DIGITS[Number(digit)] ?? digit);
}

/** One group of up to four digits, with 零 for a gap inside it ("1012" is 一千零一十二). */
function chineseGroup(group: string): string {
  let result = '';
  let pendingZero = false;
  const digits = group.padStart(4, '0');
  for (let index = 0; index < 4; index += 1) {
    const digit = Number(digits[index]);
    if (digit === 0) {
      if (result !== '') pendingZero = true;
      continue;
    }
    if (pendingZero) result += '零';
    pendingZero = false;
    result += `${CHINESE_DIGITS[digit] ?? ''}${CHINESE_SMALL_UNITS[3 - index] ?? ''}`;
  }
  return result;
}

function chineseInteger(digits: string): string {
  const trimmed = digits.replace(/^0+(?=\d)/, '');
  // Beyond 万亿 nobody says the number; digit by digit keeps every digit.
  if (trimmed.length > 16) return chineseDigits(trimmed);
  if (/^0+$/.test(trimmed)) return '零';
  const groups: string[] = [];
  for (let end = trimmed.length; end > 0; end -= 4) groups.unshift(trimmed.slice(Math.max(0, end - 4), end));
  let result = '';
  let pendingZero = false;
  groups.forEach((group, index) => {
    const value = Number(group);
    const unit = CHINESE_LARGE_UNITS[groups.length - 1 - index] ?? '';
    if (value === 0) {
      if (result !== '') pendingZero = true;
      return;
    }
    // A group under 1000 after a higher one needs 零: 10500 is 一万零五百.
    if (result !== '' && (pendingZero || value < 1000)) result += '零';
    pendingZero = false;
    result += chineseGroup(group) + unit;
  });
  // 10 to 19 (and 十万…) are said without the leading 一.
  return result.startsWith('一十') ? result.slice(1) : result;
}

/**
 * Two of something is 两, not 二: 两公斤, 两个, 两次 (二 stays in 十二, 第二, 二月). Only for a
 * number written as the digit 2, so Chinese words such as 二次元 are never touched.
 */
function chineseCount(number: string): string {
  return number === '2' ? '两' : chineseNumber(number);
}
const CHINESE_MEASURE_WORDS = '元|美元|欧元|英镑|日元|港元|个|次|位|名|天|周|年|件|本|张|杯|片|粒|颗|瓶|只|条|块|岁|人|份|种|层|步|分钟|小时|秒钟|点|斤|碗|包|盒|支|双|台|辆|家|间|套|句|遍|倍|样|顿|袋|勺|滴';
const CHINESE_MEASURE_WORD_NEXT = new RegExp(String.raw`^\s?(?:${CHINESE_MEASURE_WORDS})`, 'u');
const CHINESE_TWO_OF = new RegExp(String.raw`(?<![\d.,第])2(?=\s?(?:${CHINESE_MEASURE_WORDS}))`, 'gu');

/** "1,299.5" → 一千二百九十九点五: decimals are said digit by digit after 点. */
function chineseNumber(number: string): string {
  const [whole = '', fraction] = number.replace(/,/g, '').split('.');
  const integer = chineseInteger(whole === '' ? '0' : whole);
  return fraction === undefined || fraction === '' ? integer : `${integer}点${chineseDigits(fraction)}`;
}

const CHINESE_SYMBOLS: readonly (readonly [RegExp, string])[] = [
  [new RegExp(String.raw`(?<![${ALPHABET}\p{N}])第?#\s?(?=\d)`, 'gu'), '第'],
  [new RegExp(String.raw`(?<=\b[A-G])#(?![${ALPHABET}\p{N}])`, 'gu'), ' sharp'],
  [/#/gu, ' '],
  [/&/gu, '和'],
  [/@/gu, ' at '],
  [/±|\+\/-/gu, '正负'],
  [/[~≈∼～]\s?(?=\d)/gu, '约'],
  [/[~≈∼]/gu, ' '],
  [/(?<=\d)\s?[x×]\s?(?=\d)/gu, '乘'],
  [/(?<=\d)\s?\*\s?(?=\d)/gu, '乘'],
  [new RegExp(String.raw`(?<=(?<![${ALPHABET}\p{N}])\d+)[x×](?![${ALPHABET}\p{N}])`, 'gu'), '倍'],
  [new RegExp(String.raw`(?<![${ALPHABET}\p{N}])[x×](?=\d+(?![${ALPHABET}\p{N}]))`, 'gu'), '乘'],
  [/×/gu, '乘'],
  [/÷/gu, '除以'],
  [/\+/gu, '加'],
  [/−/gu, '-'],
  [/(?<=\d\s?)=(?=\s?-?\d)/gu, '等于'],
  [/≤|<=/gu, '小于等于'],
  [/≥|>=/gu, '大于等于'],
  [/<(?=\s?\d)/gu, '小于'],
  [/>(?=\s?\d)/gu, '大于'],
  [/\s*(?:→|->|=>|⟶)\s*/gu, '到'],
  [/\s*(?:←|<-|⟵)\s*/gu, '向左'],
  [/\s*[↓⬇]\s*/gu, '向下'],
  [/\s*[↑⬆]\s*/gu, '向上'],
  [/%|％/gu, '百分号'],
];

/** A four-digit number before 年 is a year, said digit by digit: 二零二六年. */
const CHINESE_YEAR = /(?<![\p{N}.,])(\d{4})(?=\s?年)/gu;
/** Below zero a temperature is 零下, any other number 负. */
const CHINESE_NEGATIVE_TEMPERATURE = new RegExp(String.raw`(?<![${ALPHABET}\p{N}])[-−](?=[零一二三四五六七八九十百千万亿点]+(?:摄氏度|华氏度|度))`, 'gu');
const CHINESE_NEGATIVE = new RegExp(String.raw`(?<![${ALPHABET}\p{N}]|[日号月年点分天])[-−](?=\d)`, 'gu');
/** A leading zero or eleven digits (a mobile number) is an identifier, said digit by digit. */
const CHINESE_DIGIT_STRING = /(?<![\p{N}.,])(0\d+|1\d{10}|\d{17,})(?![\p{N}]|[.,]\d)/gu;
const ANY_NUMBER = new RegExp(NUMBER, 'gu');

const CHINESE_UNIT_SYMBOL = alternation([...UNIT_BY_SYMBOL.keys()].filter((symbol) => !symbol.includes('%')));
/** A unit after a number that an earlier rule already wrote in Chinese ("二分之一 kg"). */
const UNIT_AFTER_CHINESE_NUMERAL = new RegExp(
  String.raw`(?<=[零一二三四五六七八九十百千万亿两])\s?(${CHINESE_UNIT_SYMBOL})(?:\/(${CHINESE_UNIT_SYMBOL}))?(?![\p{sc=Latn}\p{N}])`,
  'gu',
);
/** Landlines with an area code: "0571-88888888". */
const CHINESE_LANDLINE = /(?<!\d)(0\d{2,3})[-\s](\d{7,8})(?!\d)/gu;
/** "每天 2 次": the spaces would become pauses once the digits are Chinese numerals. */
const SPACE_BETWEEN_HAN_AND_NUMBER = /(?<=\p{sc=Han})[ \t]+(?=[-−+~$€£¥￥]?\d)|(?<=\d|%|％)[ \t]+(?=\p{sc=Han})/gu;

function chineseRules(text: string): string {
  let spoken = text
    .replace(SPACE_BETWEEN_HAN_AND_NUMBER, '')
    .replace(CHINESE_LANDLINE, (whole, area: string, line: string) => `${chineseDigits(area)}，${chineseDigits(line)}`);
  spoken = replacePhones(spoken, 'zh');
  spoken = replaceDates(spoken, 'zh');
  spoken = spoken
    .replace(CLOCK_TIME, (whole, hour: string, minute: string, period?: string) => chineseTime(hour, minute, period))
    .replace(HOUR_WITH_PERIOD, (whole, hour: string, period: string) => chineseTime(hour, undefined, period))
    .replace(RATIO, (whole, first: string, second: string) => `${chineseNumber(first)}比${chineseNumber(second)}`);
  spoken = replaceMoney(spoken, 'zh');
  // Fractions before units here: "120/80 mmHg" must be seen whole before 80 becomes 八十.
  spoken = replaceFractions(spoken, 'zh');
  spoken = replaceUnits(spoken, 'zh').replace(UNIT_AFTER_CHINESE_NUMERAL, (whole, symbol: string, per?: string) => {
    const unit = UNIT_BY_SYMBOL.get(symbol);
    const perUnit = per === undefined ? undefined : UNIT_BY_SYMBOL.get(per);
    if (!unit || (per !== undefined && !perUnit)) return whole;
    return `${unit.zh}${perUnit ? `每${perUnit.zh}` : ''}`;
  });
  spoken = replaceStrayDegrees(spoken, 'zh');
  spoken = spoken
    .replace(RANGE, (whole, first: string, second: string, offset: number, all: string) => {
      // "2020-2021年" is a range of years, each said digit by digit.
      const years = /^\d{4}$/.test(first) && /^\d{4}$/.test(second) && /^\s?年/.test(all.slice(offset + whole.length));
      if (years) return `${chineseDigits(first)}到${chineseDigits(second)}`;
      const counted = CHINESE_MEASURE_WORD_NEXT.test(all.slice(offset + whole.length));
      return `${chineseNumber(first)}到${counted ? chineseCount(second) : chineseNumber(second)}`;
    })
    .replace(CHINESE_YEAR, (year: string) => chineseDigits(year))
    .replace(CHINESE_TWO_OF, '两')
    .replace(CHINESE_DIGIT_STRING, (digits: string) => chineseDigits(digits))
    .replace(CHINESE_NEGATIVE_TEMPERATURE, '零下')
    .replace(CHINESE_NEGATIVE, '负');
  for (const [pattern, replacement] of CHINESE_SYMBOLS) spoken = spoken.replace(pattern, replacement);
  return spoken.replace(ANY_NUMBER, (number) => chineseNumber(number)).replace(CHINESE_RANGE_DASH, '到');
}

/** A dash left between two said numbers, times or dates ("八点-十七点", "1日-5日") is a range. */
const CHINESE_RANGE_DASH = /(?<=[零一二三四五六七八九十百千万亿两点分日号月年])\s?[-–~～]\s?(?=[零一二三四五六七八九十两])/gu;

// ---------------------------------------------------------------------------------------------
// Every language.

/**
 * Characters espeak reads by name in any language ("asterisk", "underscore", "vertical line")
 * where they mean nothing to a listener: markup left on one side of a word ("*nota*"). Between
 * words or numbers they may mean something ("a * b", "snake_case", "2**10") and stay. A
 * vertical bar separated columns: a comma keeps the pause.
 */
function neutralCleanup(text: string): string {
  return text
    .replace(/[ \t]*\|[ \t]*/g, ', ')
    .replace(/(?<=^|\s|[(\[])[*_`]+(?=[\p{L}\p{N}])|(?<=[\p{L}\p{N}])[*_`]+(?=$|\s|[.,;:!?)\]，。；：！？])/gmu, '');
}

function tidy(text: string): string {
  return text
    .split('\n')
    .map((line) =>
      line
        .replace(/[ \t]+/g, ' ')
        .replace(/ (?=[.,;:!?…)\]])/g, '')
        .replace(/(?<=[(\[]) /g, '')
        .trim(),
    )
    .join('\n');
}
