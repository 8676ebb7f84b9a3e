import assert from 'node:assert/strict';
import { test } from 'node:test';
import { textForSpeech } from '../core/reply/index.js';

/** Each case is [input, exact expected output]; each output must also be stable under a second pass. */
function assertCases(language: string, cases: ReadonlyArray<readonly [string, string]>): void {
  for (const [input, expected] of cases) {
    const spoken = textForSpeech(input, language);
    assert.equal(spoken, expected, `${language} input: ${JSON.stringify(input)}`);
    assert.equal(textForSpeech(spoken, language), spoken, `${language} second pass of: ${JSON.stringify(input)}`);
  }
}

test("the issue's examples, in English", () => {
  assertCases('en', [
    ['Take 3.5 mg.', 'Take 3.5 milligrams.'],
    ['It costs $12.99.', 'It costs 12 dollars 99 cents.'],
    ['Meet at 12:30.', 'Meet at twelve thirty.'],
    ['Dr. Smith is in.', 'Doctor Smith is in.'],
  ]);
});

test("the issue's examples, in Chinese", () => {
  assertCases('zh', [
    ['每次3.5 mg。', '每次三点五毫克。'],
    ['每次3.5毫克。', '每次三点五毫克。'],
    ['价格是$12.99。', '价格是十二点九九美元。'],
    ['12:30见。', '十二点三十分见。'],
    // English abbreviations in Chinese text are left to the engine, which says "doctor".
    ['Dr. 王在吗？', 'Dr. 王在吗？'],
  ]);
});

test('English units after a number, singular for exactly one', () => {
  assertCases('en', [
    ['1 mg', '1 milligram'],
    ['0.5 mg', '0.5 milligrams'],
    ['2 g and 1 kg', '2 grams and 1 kilogram'],
    ['250 ml, 500 mL, 1 l, 2 L', '250 milliliters, 500 milliliters, 1 liter, 2 liters'],
    ['5 cm, 3 mm, 100 m, 5m away, 5 km', '5 centimeters, 3 millimeters, 100 meters, 5 meters away, 5 kilometers'],
    ['120 km/h or 60 mph', '120 kilometers per hour or 60 miles per hour'],
    ['37°C, 98.6 °F, -5°C, 1 °C', '37 degrees Celsius, 98.6 degrees Fahrenheit, -5 degrees Celsius, 1 degree Celsius'],
    ['58% of people', '58 percent of people'],
    ['200 kcal', '200 kilocalories'],
    ['8 oz, 1 lb, 5 lbs', '8 ounces, 1 pound, 5 pounds'],
    ['1000 IU', '1000 international units'],
    ['50 mcg or 25 µg', '50 micrograms or 25 micrograms'],
    ['0.5 mg/kg', '0.5 milligrams per kilogram'],
    ['2x daily, x2, 3×4', '2 times daily, times 2, 3 by 4'],
  ]);
});

test('English ranges and fractions', () => {
  assertCases('en', [
    ['5-10 mg', '5 to 10 milligrams'],
    ['0.5-1 mg', '0.5 to 1 milligrams'],
    ['5–10%', '5 to 10 percent'],
    ['pages 5-10', 'pages 5 to 10'],
    ['from 2020-2021', 'from 2020 to 2021'],
    ['1/2 cup', 'one half cup'],
    ['3/4 full', 'three quarters full'],
    ['1 1/2 cups', '1 and one half cups'],
    ['120/80 mmHg', '120 over 80 millimeters of mercury'],
    ['open 24/7', 'open 24 7'],
    ['ratio 16:9', 'ratio 16 to 9'],
  ]);
});

test('English money', () => {
  assertCases('en', [
    ['$12.99', '12 dollars 99 cents'],
    ['$1', '1 dollar'],
    ['$0.50', '50 cents'],
    ['Apples: $0.69 per kg.', 'Apples: 69 cents per kilogram.'],
    ['Bananas $1.20/kg', 'Bananas 1 dollar 20 cents per kilogram'],
    ['I went per m', 'I went per m'],
    ['$0.01', '1 cent'],
    ['€5', '5 euros'],
    ['£3.20', '3 pounds 20 pence'],
    ['¥100', '100 yen'],
    ['$1,299.00', '1,299 dollars'],
    ['$5m and $2.5bn', '5 million dollars and 2.5 billion dollars'],
    ['$5 million', '5 million dollars'],
    ['$5-10', '5 to 10 dollars'],
    ['$5.50-$10', '5 dollars 50 cents to 10 dollars'],
    ['-$5', 'minus 5 dollars'],
    ['25 USD', '25 US dollars'],
  ]);
});

test('English times and dates', () => {
  assertCases('en', [
    ['12:30', 'twelve thirty'],
    ['9:05', 'nine oh five'],
    ['12:00', "twelve o'clock"],
    ['14:00', 'fourteen hundred'],
    ['3:30 PM', 'three thirty p.m.'],
    ['10am', 'ten a.m.'],
    ['at 10 a.m. tomorrow', 'at ten a.m. tomorrow'],
    ['Opens 9:00 AM.', 'Opens nine a.m.'],
    ['Open 9:00-17:00.', "Open nine o'clock to seventeen hundred."],
    ['Open 9:00 AM - 5:30 PM.', 'Open nine a.m. to five thirty p.m.'],
    ['2026-12-02', 'December 2, 2026'],
    // Both parts could be the month: said in the order written, without "slash".
    ['12/03/2026', '12 3 2026'],
    ['25/12/2026', '25 December 2026'],
    ['12/25/2026', 'December 25, 2026'],
    ['25.12.2026', '25 December 2026'],
    ['version 2.10.24', 'version 2.10.24'],
    ['Best before 03/2027.', 'Best before March 2027.'],
    ['12/2026', 'December 2026'],
    ['Open Mon–Fri 9:00–17:00, Sat-Sun closed.', "Open Monday to Friday nine o'clock to seventeen hundred, Saturday to Sunday closed."],
    ['Sun and sand', 'Sun and sand'],
  ]);
});

test('English abbreviations', () => {
  assertCases('en', [
    ['Mr. Smith, Mrs. Jones and Ms. Lee', 'Mister Smith, Missus Jones and Miz Lee'],
    ['Dr Who', 'Doctor Who'],
    ['See a Dr. today', 'See a doctor today'],
    ['I live on Main St.', 'I live on Main Street.'],
    ["St. Paul's is on Main St. near Elm Dr. Then go.", "Saint Paul's is on Main Street near Elm Drive. Then go."],
    ['approx. 5 km', 'approximately 5 kilometers'],
    ['fruit, e.g. apples', 'fruit, for example apples'],
    ['E.g. this one', 'For example this one'],
    ['fruit, i.e., apples', 'fruit, that is, apples'],
    ['apples, pears, etc. Then more.', 'apples, pears, et cetera. Then more.'],
    ['apples, pears, etc.', 'apples, pears, et cetera.'],
    ['cats vs. dogs', 'cats versus dogs'],
    ['No. 5', 'number 5'],
    ['see pt. 2', 'see part 2'],
    ['No. I do not.', 'No. I do not.'],
  ]);
});

test('English symbols', () => {
  assertCases('en', [
    ['Tom & Jerry', 'Tom and Jerry'],
    ['meet @ noon', 'meet at noon'],
    ['#5 and #blind', 'number 5 and hashtag blind'],
    ['C# minor', 'C sharp minor'],
    ['+3 today', 'plus 3 today'],
    ['±2', 'plus or minus 2'],
    ['~5 minutes', 'about 5 minutes'],
    ['Kitchen → hall', 'Kitchen to hall'],
    ['Kitchen -> hall', 'Kitchen to hall'],
    ['stairs ↓', 'stairs down'],
    ['lift ↑', 'lift up'],
    ['2 * 3', '2 times 3'],
  ]);
});

test('English web addresses, e-mail and phone numbers', () => {
  assertCases('en', [
    ['See example.com.', 'See example dot com.'],
    ['Write to john.doe@example.com today', 'Write to john dot doe at example dot com today'],
    ['Visit https://www.example.com/a-b?x=1&y=2.', 'Visit www dot example dot com slash a dash b question mark x equals 1 and y equals 2.'],
    ['Call (555) 123-4567 now.', 'Call 5 5 5, 1 2 3, 4 5 6 7 now.'],
    ['+1 555-123-4567', 'plus 1, 5 5 5, 1 2 3, 4 5 6 7'],
    // A range of calories is not a phone number.
    ['800-1200 kcal', '800 to 1200 kilocalories'],
  ]);
});

test('Chinese numbers, money and percentages', () => {
  assertCases('zh', [
    ['10000', '一万'],
    ['10500', '一万零五百'],
    ['1,000,000', '一百万'],
    ['123456789', '一亿二千三百四十五万六千七百八十九'],
    ['100000', '十万'],
    ['15', '十五'],
    ['110', '一百一十'],
    ['1012', '一千零一十二'],
    ['0.5', '零点五'],
    ['3.14159', '三点一四一五九'],
    ['-3', '负三'],
    ['¥12.99', '十二点九九元'],
    ['12.99元', '十二点九九元'],
    ['共计¥12.99元', '共计十二点九九元'],
    ['$1,299.00', '一千二百九十九美元'],
    ['€5', '五欧元'],
    ['£3.20', '三点二英镑'],
    ['$5m', '五百万美元'],
    ['¥5万', '五万元'],
    ['58%', '百分之五十八'],
    ['约 58% 的人', '约百分之五十八的人'],
    ['5-10%', '百分之五到百分之十'],
  ]);
});

test('Chinese units, times, dates and counts', () => {
  assertCases('zh', [
    ['5 kg', '五公斤'],
    ['3 km', '三公里'],
    ['250 ml', '二百五十毫升'],
    ['12 cm', '十二厘米'],
    ['120 km/h', '一百二十公里每小时'],
    ['体温37.5℃', '体温三十七点五摄氏度'],
    ['今天-5°C', '今天零下五摄氏度'],
    ['5-10毫克', '五到十毫克'],
    ['1/2', '二分之一'],
    ['血压120/80 mmHg', '血压一百二十比八十毫米汞柱'],
    ['9:05', '九点零五分'],
    ['12:00', '十二点'],
    ['下午2:00', '下午两点'],
    ['3:30 PM', '下午三点三十分'],
    ['10am', '上午十点'],
    ['2026年12月2日', '二零二六年十二月二日'],
    ['2026-12-02', '二零二六年十二月二日'],
    ['保质期至03/2027。', '保质期至二零二七年三月。'],
    ['2020-2021年', '二零二零到二零二一年'],
    ['营业时间8:00-17:00。', '营业时间八点到十七点。'],
    ['12月1日-12月5日', '十二月一日到十二月五日'],
    ['每次1-2片', '每次一到两片'],
    ['每天 2 次', '每天两次'],
    ['2 kg', '两公斤'],
    ['第2名', '第二名'],
    ['二次元', '二次元'],
    ['比分2:1', '比分二比一'],
  ]);
});

test('Chinese symbols, addresses and phone numbers', () => {
  assertCases('zh', [
    ['Tom & Jerry', 'Tom 和 Jerry'],
    ['#5', '第五'],
    ['+3', '加三'],
    ['±2', '正负二'],
    ['~5分钟', '约五分钟'],
    ['楼梯↓', '楼梯向下'],
    ['3×4', '三乘四'],
    ['请访问 example.com 了解', '请访问 example点com 了解'],
    ['邮箱 wang@example.cn', '邮箱 wang at example点cn'],
    ['电话13812345678', '电话一三八一二三四五六七八'],
    ['电话 0571-88888888', '电话零五七一，八八八八八八八八'],
  ]);
});

test('plain prose is left as it is', () => {
  assertCases('en', [
    ['Plain prose stays the same, right? Yes.', 'Plain prose stays the same, right? Yes.'],
    ["It's 5 o'clock.", "It's 5 o'clock."],
    ['I have 2 cats and 3 dogs.', 'I have 2 cats and 3 dogs.'],
    ['Version 1.2.3 is out.', 'Version 1.2.3 is out.'],
    ['The A4 paper, COVID-19, the 1990s, 5G and the 3rd floor.', 'The A4 paper, COVID-19, the 1990s, 5G and the 3rd floor.'],
    ['About 1,000 people and 3.5 stars.', 'About 1,000 people and 3.5 stars.'],
    ['snake_case and a * b', 'snake_case and a * b'],
    ['Line one.\n\nLine two!', 'Line one.\n\nLine two!'],
  ]);
  assertCases('zh', [['今天天气很好。门在你的左边，大约三步。', '今天天气很好。门在你的左边，大约三步。']]);
});

test('other languages get only language-neutral cleanup; numbers are left to the engine', () => {
  assertCases('es', [
    ['Cuesta $12.99 y pesa 3.5 mg a las 12:30.', 'Cuesta $12.99 y pesa 3.5 mg a las 12:30.'],
    ['*nota* | fin', 'nota, fin'],
  ]);
  // Regional codes count as their language.
  assert.equal(textForSpeech('$1', 'en-GB'), '1 dollar');
  assert.equal(textForSpeech('¥5', 'zh-CN'), '五元');
});

test('a symbol removed never leaves a pair for a second pass to read differently', () => {
  assertCases('en', [['5 ~ km/h', '5 kilometers per hour']]);
  assertCases('zh', [['5 ~ km/h', '五公里每小时']]);
});

test('never empty from non-empty text', () => {
  for (const language of ['en', 'zh', 'es']) {
    for (const input of ['*', '|', '_', '.', '…', '#']) {
      assert.notEqual(textForSpeech(input, language).trim(), '', `${language} ${JSON.stringify(input)}`);
    }
  }
});

const SAMPLE_REPLIES: Readonly<Record<'en' | 'zh', readonly string[]>> = {
  en: [
    'The label says: take 1-2 tablets (500 mg each) every 4-6 h, max. 4 g per day.',
    'Total: $23.47, including tax of $1.89. Paid by card at 3:42 PM on 12/03/2026.',
    'Nutrition per 100 g: 250 kcal, 12 g fat (15%), 3.5 g protein, 480 mg sodium.',
    'The bus No. 42 leaves at 9:05 and 9:35 from Main St. & 5th Ave.',
    'Stairs ↓ on your left, exit → straight ahead, about 10 m.',
    'The oven is set to 180°C (356 °F). Bake for ~25 min.',
    'Dr. Lee\'s office: call (555) 123-4567 or write to clinic@example.org, #3 on the list.',
    'Speed limit 50 km/h; the sign also shows 30 mph.',
    'Vitamin D3 1000 IU, folic acid 400 mcg, iron 14 mg (100% daily value).',
    'The price went from €5.99 to £4.50, about ¥900.',
    'Mix 1/2 cup of flour with 250 mL of milk, 2x a day, e.g. at 8am and 8pm.',
    'Battery 85%, 3000 mAh, charges at 18 W.',
  ],
  zh: [
    '说明书写着：每次1-2片（每片500 mg），每4-6小时一次，每天最多4 g。',
    '合计¥23.47，含税¥1.89。下午3:42付款，2026年12月3日。',
    '每100 g含能量250 kcal，脂肪12 g（15%），钠480 mg。',
    '42路公交车9:05和9:35发车。',
    '楼梯↓在你左边，出口→直走，大约10 m。',
    '烤箱设为180℃，烤约25 min。',
    '电话13812345678，或发邮件到 clinic@example.cn，排第#3。',
    '限速50 km/h。价格从$5.99涨到€7，电量85%。',
  ],
};

/** A digit still touching a unit symbol, or a symbol the voice would read by name or skip. */
const LEFTOVER_UNIT = /\d\s?(?:mg|mcg|µg|kg|g|ml|mL|l|L|cm|mm|m|km|km\/h|mph|°C|°F|℃|kcal|oz|lbs?|IU|mAh|W|min|h)(?![\p{L}\p{N}])/u;
const LEFTOVER_SYMBOL = /[$€£¥%&@#→↓↑←×±~]/u;

test('sample replies keep no symbols or unit abbreviations a voice would misread', () => {
  for (const [language, replies] of Object.entries(SAMPLE_REPLIES)) {
    for (const reply of replies) {
      const spoken = textForSpeech(reply, language);
      assert.doesNotMatch(spoken, LEFTOVER_SYMBOL, `${language}: ${spoken}`);
      assert.doesNotMatch(spoken, LEFTOVER_UNIT, `${language}: ${spoken}`);
      if (language === 'zh') assert.doesNotMatch(spoken, /\d/u, `zh numbers become numerals: ${spoken}`);
      // Sentence punctuation gives the pauses; it must survive.
      const ends = (text: string): number => (text.match(/[.!?。！？]/gu) ?? []).length;
      assert.ok(ends(spoken) >= 1 && spoken.trim() !== '', `${language}: ${spoken}`);
      assert.equal(textForSpeech(spoken, language), spoken, `${language} idempotent: ${reply}`);
    }
  }
});
