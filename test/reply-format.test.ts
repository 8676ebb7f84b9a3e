import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AnswerDelivery, toSpeechFriendly } from '../core/reply/index.js';

/** Each case is [input, exact expected output]. */
function assertCases(cases: ReadonlyArray<readonly [string, string]>): void {
  for (const [input, expected] of cases) {
    assert.equal(toSpeechFriendly(input), expected, `input: ${JSON.stringify(input)}`);
  }
}

test('headings lose their number signs and stay a paragraph of their own', () => {
  assertCases([
    ['# Title', 'Title'],
    ['# Title\nBody text.', 'Title\n\nBody text.'],
    ['Intro.\n### Details\nMore.', 'Intro.\n\nDetails\n\nMore.'],
    ['## Closed heading ##', 'Closed heading'],
    ['Setext title\n============\nBody.', 'Setext title\n\nBody.'],
    // No space after "#": a hashtag or "#1", not a heading.
    ['#hashtag and #1 priority', '#hashtag and #1 priority'],
  ]);
});

test('emphasis markers go, intraword underscores and arithmetic stay', () => {
  assertCases([
    ['**bold** and __strong__', 'bold and strong'],
    ['*italic* and _emphasis_', 'italic and emphasis'],
    ['~~struck~~ out', 'struck out'],
    ['***both*** at once', 'both at once'],
    ['**bold with *italic* inside**', 'bold with italic inside'],
    ['**Note:** read this', 'Note: read this'],
    ['这是**重要**的内容。', '这是重要的内容。'],
    ['snake_case, file_name and my_var_x', 'snake_case, file_name and my_var_x'],
    ['2**10 and a * b * c and *.txt', '2**10 and a * b * c and *.txt'],
    ['https://example.com/_private_/page_one and _this_', 'https://example.com/_private_/page_one and this'],
    ['**Truncated answer', 'Truncated answer'],
  ]);
});

test('code keeps its content but loses backticks and fences', () => {
  assertCases([
    ['Run `npm install` now.', 'Run npm install now.'],
    ['Use ``a `tick` here``.', 'Use a tick here.'],
    ['Before:\n```js\nconst total = 1;\n```\nAfter.', 'Before:\nconst total = 1;\nAfter.'],
    ['~~~\nplain block\n~~~', 'plain block'],
  ]);
});

test('links, images and autolinks read as their text', () => {
  assertCases([
    ['See [the guide](https://example.com/guide "Guide").', 'See the guide.'],
    ['Wiki: [Mercury](https://en.wikipedia.org/wiki/Mercury_(planet)).', 'Wiki: Mercury.'],
    ['![a red car](car.png) is outside.', 'a red car is outside.'],
    ['Spacer ![](dot.png) gone.', 'Spacer gone.'],
    ['Bare [](https://example.com/x) link.', 'Bare https://example.com/x link.'],
    ['Visit <https://example.com/a_b_c>.', 'Visit https://example.com/a_b_c.'],
    ['Mail <help@example.org>.', 'Mail help@example.org.'],
  ]);
});

test('block quotes, horizontal rules and HTML disappear', () => {
  assertCases([
    ['> quoted line\n> > nested', 'quoted line\nnested'],
    ['Above.\n\n---\n\nBelow.\n***\n___\n===\n- - -', 'Above.\n\nBelow.'],
    ['Line one<br>line two<br/>', 'Line one\nline two'],
    ['<p>First</p><p><b>Second</b></p>', 'First\n\nSecond'],
    ['Fish &amp; chips&nbsp;today', 'Fish & chips today'],
    ['x < 5 and y > 3', 'x < 5 and y > 3'],
  ]);
});

test('bullets become lines ending in punctuation, numbered items stay', () => {
  assertCases([
    ['- apple\n- banana!\n* cherry\n+ date\n• egg', 'apple.\nbanana!\ncherry.\ndate.\negg.'],
    ['- Milk (2 liters)\n- Bread: white', 'Milk (2 liters).\nBread: white.'],
    ['  - nested item', 'nested item.'],
    ['- 苹果\n- 香蕉', '苹果。\n香蕉。'],
    ['1. One\n2) Two', '1. One\n2) Two'],
    ['1. **Bold step**', '1. Bold step'],
    ['✅ Milk\n✅ Eggs', 'Milk.\nEggs.'],
  ]);
});

test('tables read one row per line, cells joined by commas', () => {
  assertCases([
    [
      '| Item | Price |\n|------|------:|\n| Milk | €1.20 |\n| **Eggs** |  |',
      'Item, Price.\nMilk, €1.20.\nEggs.',
    ],
    ['Before.\n\na | b\n:-|-:\n1 | 2\n\nAfter.', 'Before.\n\na, b.\n1, 2.\n\nAfter.'],
    // Without a separator row it is prose, not a table.
    ['cat notes.txt | grep milk', 'cat notes.txt | grep milk'],
  ]);
});

test('emoji, flags, ZWJ sequences, keycaps and skin tones are removed', () => {
  assertCases([
    ['Done ✅! Great job 👍🏽.', 'Done! Great job.'],
    ['Flag 🇺🇸 here and 🏴󠁧󠁢󠁥󠁮󠁧󠁿 there.', 'Flag here and there.'],
    ['Family 👨‍👩‍👧‍👦 photo.', 'Family photo.'],
    ['Heart ❤️‍🔥 and ❤️.', 'Heart and.'],
    ['1️⃣', '1'],
    ['Press 1️⃣ then 2️⃣.', 'Press 1 then 2.'],
    ['1️⃣ Open the app\n2️⃣ Tap Scan', '1. Open the app\n2. Tap Scan'],
    ['Skin tone alone 🏿 here.', 'Skin tone alone here.'],
    ['good👍thanks', 'good thanks'],
    ['好的👍谢谢', '好的谢谢'],
    ['Nice (👍) work', 'Nice work'],
    ['She said "hi" 👋 to me.', 'She said "hi" to me.'],
    ['Stop‼ now', 'Stop! now'],
  ]);
});

test('decorative symbols are removed; arrows between words become commas', () => {
  assertCases([
    ['★★★★☆ 4 out of 5', '4 out of 5.'],
    ['Gluten free ✓ and vegan ✗.', 'Gluten free and vegan.'],
    ['► Play\n▶ Next\n■ Stop', 'Play.\nNext.\nStop.'],
    ['Shapes ◦ ▪ □ ● ○ end', 'Shapes end'],
    ['┌──┐\n│ok│\n└──┘\n▓▓▒▒░░', 'ok.'],
    ['Settings → Privacy ⇒ Camera ➜ Allow', 'Settings, Privacy, Camera, Allow'],
    ['Step 1 -> Step 2', 'Step 1, Step 2'],
    ['设置 → 隐私', '设置，隐私'],
  ]);
});

test('letters, digits, currency, units and CJK are kept', () => {
  assertCases([
    ['It is 20 °C, costs €5, £3, ¥100 or $4, 50% off, ±2.', 'It is 20 °C, costs €5, £3, ¥100 or $4, 50% off, ±2.'],
    ['这是一辆红色汽车，停在路边。', '这是一辆红色汽车，停在路边。'],
    ['日本語のテキスト、한국어 텍스트, Ελληνικά, русский, עברית.', '日本語のテキスト、한국어 텍스트, Ελληνικά, русский, עברית.'],
    ['C♯ minor, © 2024 Acme™, braille ⠓⠑⠇⠇⠕', 'C♯ minor, © 2024 Acme™, braille ⠓⠑⠇⠇⠕'],
  ]);
});

test('"The image shows" style openings are stripped at the start only', () => {
  assertCases([
    ['The image shows a red car parked.', 'A red car parked.'],
    ['Image of a cat on a sofa.', 'A cat on a sofa.'],
    ['An image of 3 cups.', '3 cups.'],
    ['A photo of a dog on grass.', 'A dog on grass.'],
    ['Picture of a sunset', 'A sunset'],
    ['This image shows that the door is open.', 'The door is open.'],
    ['THE PHOTO SHOWS a bus stop.', 'A bus stop.'],
    ['In this image, there are two cups.', 'There are two cups.'],
    ['In the image, a man waves.', 'A man waves.'],
    ['**The image shows** a bench.', 'A bench.'],
    ['The image shows:\n- a cat\n- a dog', 'A cat.\na dog.'],
    ['这张图片显示了一辆红色汽车。', '一辆红色汽车。'],
    ['图片中有一只猫。', '有一只猫。'],
    ['在这张照片里，一个人在走路。', '一个人在走路。'],
    // The image itself is the subject here, so nothing is stripped.
    ['The image of the receipt is blurry.', 'The image of the receipt is blurry.'],
    ['图片上的文字是你好。', '图片上的文字是你好。'],
    ['I think the image shows a cat.', 'I think the image shows a cat.'],
    ['Image of', 'Image of'],
  ]);
});

test('whitespace and repeated punctuation are tidied', () => {
  assertCases([
    ['\n\n  Hello   world\t\tagain  \n\n\n\nNext   paragraph.\n\n', 'Hello world again\n\nNext paragraph.'],
    ['Wow!!! Really???? Wait.... then... ok', 'Wow! Really? Wait… then... ok'],
    ['', ''],
    ['🎉🎉🎉', ''],
  ]);
});

const IDEMPOTENCE_SAMPLES = [
  '# Title\n\nSome **bold** text with `code` and a [link](https://example.com).',
  '- one\n- two 🍎\n- three!\n\n| a | b |\n|---|---|\n| 1 | 2 |',
  'The image shows a photo of a cat. 😺',
  '这张图片显示了一辆红色汽车。\n\n- 车门\n- 车轮',
  '\\*escaped\\* and __init__ and snake_case',
  '> **Tip:** Settings → Privacy!!!\n\n---\n\n1️⃣ First\n2️⃣ Second',
  '[![badge](b.png)](https://example.com) &amp;lt;b&amp;gt;',
  'Price: €1,250.75 at 20 °C… done....',
  '```\n# comment in code\n- dash line\n```',
];

test('formatting is idempotent', () => {
  for (const sample of IDEMPOTENCE_SAMPLES) {
    const once = toSpeechFriendly(sample);
    assert.equal(toSpeechFriendly(once), once, `sample: ${JSON.stringify(sample)}`);
  }
});

test('a realistic messy model answer becomes clean speech', () => {
  const answer = [
    'The image shows a kitchen counter with several items. 😊',
    '',
    '## 🍳 What I can see',
    '',
    '- **Coffee maker** (black, on the left)',
    '- A bowl of *fresh* fruit: apples &amp; bananas',
    '- ✅ The stove is __off__',
    '* Oven temperature: 180 °C',
    '',
    '',
    '| Item | Price |',
    '|------|------:|',
    '| Milk | €1.20 |',
    '| Eggs | €2.50 |',
    '',
    '> **Tip:** Ask me to read the label → I’ll describe it!!!',
    '',
    '---',
    'More info: [recipe](https://example.com/recipes/pasta_al_forno) 👍🏽',
  ].join('\n');
  const expected = [
    'A kitchen counter with several items.',
    '',
    'What I can see',
    '',
    'Coffee maker (black, on the left).',
    'A bowl of fresh fruit: apples & bananas.',
    'The stove is off.',
    'Oven temperature: 180 °C.',
    '',
    'Item, Price.',
    'Milk, €1.20.',
    'Eggs, €2.50.',
    '',
    'Tip: Ask me to read the label, I’ll describe it!',
    '',
    'More info: recipe',
  ].join('\n');
  assert.equal(toSpeechFriendly(answer), expected);
});

test('control characters and replacement characters from a broken byte sequence are dropped', () => {
  assert.equal(toSpeechFriendly('bari\uFFFD\u001e a\u0007 door.\nNext line.'), 'bari a door.\nNext line.');
});

test('reasoning blocks never reach the listener, closed, unclosed or with only the closing tag', () => {
  assertCases([
    // DeepSeek-R1 / QwQ as served with no reasoning parser.
    ['<think>\nThe user asks about the sign. It says EXIT.\n</think>\n\nThe sign says Exit.', 'The sign says Exit.'],
    ['<think></think>\n\nA red door.', 'A red door.'],
    // Cut off at the token limit, or still thinking while streaming.
    ['<think>\nOkay, let me look at the photo. There is', ''],
    ['  <THINK>\nhmm', ''],
    // Chat templates that put "<think>" in the prompt: only the close comes back.
    ['Let me look. The label says 500 mg.\n</think>\n\nThe label says 500 mg.', 'The label says 500 mg.'],
    ['<reasoning>Two cups, one full.</reasoning>Two cups; the left one is full.', 'Two cups; the left one is full.'],
    ['<thinking>\nlist items\n</thinking>\n- apples\n- pears', 'apples.\npears.'],
    ['<reflection>check</reflection>这是一辆红色汽车。', '这是一辆红色汽车。'],
    // Angle brackets in prose are not reasoning.
    ['If x < 3 and y > 2, stop.', 'If x < 3 and y > 2, stop.'],
  ]);
});

test('arrows and direction symbols are said as words, never dropped', () => {
  assertCases([
    ['Stairs ↓', 'Stairs down'],
    ['stairs ↓ on your left.', 'stairs down on your left.'],
    ['→ exit', 'To exit.'],
    ['Exit ➡️', 'Exit right'],
    ['Toilets ⬅', 'Toilets left'],
    ['Lift ⬆️ and ⬇️.', 'Lift up and down.'],
    ['The bins are ↘ of the door.', 'The bins are down and to the right of the door.'],
    ['Platform 2 (↑)', 'Platform 2 (up)'],
    ['楼梯↓', '楼梯向下'],
    ['→出口', '前往出口。'],
    // Between words a right arrow is a path: still a comma.
    ['Settings → Privacy', 'Settings, Privacy'],
  ]);
});

test('while streaming, no gist is sent from inside a reasoning block', () => {
  const delivery = new AnswerDelivery(4000);
  const sent: string[] = [];
  for (const delta of ['<think>', '\nThe user wants the sign. ', 'It says exit. ', 'So answer. ', '</think>', '\n\nThe sign says Exit. ', 'It points left.']) {
    sent.push(...delivery.push(delta).map((chunk) => chunk.text));
  }
  assert.deepEqual(sent, ['The sign says Exit.']);
  assert.deepEqual(delivery.finish().map((chunk) => chunk.text), ['It points left.']);
});

test('filler before the answer goes, then the "The image shows" opening', () => {
  assertCases([
    ['Sure! The image shows a red car parked by the kerb. It has a flat tyre.', 'A red car parked by the kerb. It has a flat tyre.'],
    ['Certainly, here is a description of the photo:\n\nA red car.', 'A red car.'],
    ['Certainly! Here\'s what I see: two cups on a table.', 'Two cups on a table.'],
    ['Of course. The door is open.', 'The door is open.'],
    ['Sure thing — the bus is number 42.', 'The bus is number 42.'],
    ['Overview\n\nA kitchen with a kettle on the left.', 'A kitchen with a kettle on the left.'],
    ['## Description\nThe image shows a kitchen.', 'A kitchen.'],
    ['**Answer:** The milk expires on 3 May.', 'The milk expires on 3 May.'],
    ['当然可以！这张图片显示了一辆红色汽车。', '一辆红色汽车。'],
    ['好的，图片中有一只猫。', '有一只猫。'],
    ['以下是图片的描述：\n\n桌子上有两个杯子。', '桌子上有两个杯子。'],
    ['¡Claro! Hay una puerta roja.', 'Hay una puerta roja.'],
    // Content is never filler.
    ['Of course.', 'Of course.'],
    ['Here is a red door.', 'Here is a red door.'],
    ['Okay is written on the sign.', 'Okay is written on the sign.'],
    ['Yes\n\nThe door is open.', 'Yes\n\nThe door is open.'],
    ['Description of the medicine: 500 mg tablets.', 'Description of the medicine: 500 mg tablets.'],
  ]);
});

test('closing offers are dropped', () => {
  assertCases([
    ['A cup of tea. Let me know if you need anything else!', 'A cup of tea.'],
    ['A cup of tea.\n\nI hope this helps. Let me know if you have any other questions.', 'A cup of tea.'],
    ['The bus is number 42. Feel free to ask if you need more details!', 'The bus is number 42.'],
    ['A park bench. Is there anything else you would like to know?', 'A park bench.'],
    ['一辆红色汽车。如果你还有其他问题，请随时告诉我。', '一辆红色汽车。'],
    ['有一只猫。希望对你有帮助！', '有一只猫。'],
    ['Hay una puerta roja. Espero que te sirva.', 'Hay una puerta roja.'],
    // Only at the end, and only an offer.
    ['Let me know if you need anything else is printed on the card. It is blue.', 'Let me know if you need anything else is printed on the card. It is blue.'],
    ['The letter ends: "Please let me know if you can come."', 'The letter ends: "Please let me know if you can come."'],
  ]);
});

test('while streaming, the first message sent is the first sentence with content', () => {
  const stream = (deltas: readonly string[]): string[] => {
    const delivery = new AnswerDelivery(4000);
    const sent = deltas.flatMap((delta) => delivery.push(delta).map((chunk) => chunk.text));
    return [...sent, ...delivery.finish().map((chunk) => chunk.text)];
  };
  assert.deepEqual(stream(['Sure', '! ', 'The image ', 'shows a red ', 'door. ', 'It is open. ', 'Let me know if you need anything else!']), [
    'A red door.',
    'It is open.',
  ]);
  assert.deepEqual(stream(['## Overview', '\n\n', 'A kitchen. ', 'The kettle is on.']), ['A kitchen.', 'The kettle is on.']);
  assert.deepEqual(stream(['Certainly, here is', ' a description:', '\n\n1. ', 'A bus stop. ', '\n2. A bench.']), ['A bus stop.', '2. A bench.']);
  assert.deepEqual(stream(['当然！', '这张图片显示了', '一辆红色汽车。', '车门开着。', '希望对你有帮助！']), ['一辆红色汽车。', '车门开着。']);
});
