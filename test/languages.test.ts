import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { commandDefinitions } from '../adapters/discord/commands.js';
import { telegramCommandMenus } from '../adapters/telegram/command-menu.js';
import { runCommand } from '../core/commands/index.js';
import { parseSettingsArgument } from '../core/commands/settings-argument.js';
import { addLanguage, languages, messagesFor, resolveLanguage, type Language } from '../core/i18n/index.js';
import { buildSystemPrompt } from '../core/prompt/index.js';
import { openDatabase, Store } from '../storage/index.js';
import { spanish } from './fixtures/spanish.js';

/** The whole of what adding Spanish takes besides its catalogue file: one entry of the table. */
const SPANISH: Language = {
  code: 'es',
  messages: spanish,
  englishName: 'Spanish',
  promptRule: 'Always reply in Spanish.',
  settingWords: ['spanish', 'español', 'castellano'],
  locales: ['es-ES', 'es-419'],
};

interface DiscordCommand {
  name: string;
  description?: string;
  description_localizations?: Record<string, string>;
  name_localizations?: Record<string, string>;
  options?: { name: string; description_localizations?: Record<string, string> }[];
}

let folder = '';
before(() => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'languages-'));
});
after(() => fs.rmSync(folder, { recursive: true, force: true }));

describe('a third language, added with one catalogue file and one table entry', () => {
  let removeSpanish: (() => void) | undefined;
  beforeEach(() => {
    removeSpanish = addLanguage(SPANISH);
  });
  afterEach(() => {
    removeSpanish?.();
    removeSpanish = undefined;
  });

  test('Telegram offers a Spanish command menu', () => {
    const menu = telegramCommandMenus().find((entry) => entry.languageCode === 'es');
    assert.ok(menu, 'a menu for language_code es');
    assert.deepEqual(
      menu.commands.map((command) => command.command),
      ['start', 'help', 'read', 'color', 'new', 'settings', 'mydata', 'forget'],
    );
    assert.equal(menu.commands.find((command) => command.command === 'forget')?.description, 'Borrar todo lo que guardo sobre ti');
    assert.equal(telegramCommandMenus()[0]!.languageCode, undefined, 'the default menu comes first, without a code');
  });

  test('Discord describes every command, option and menu in both Spanish locales', () => {
    const definitions = commandDefinitions() as DiscordCommand[];
    const byName = (name: string) => definitions.find((definition) => definition.name === name)!;
    for (const locale of ['es-ES', 'es-419']) {
      assert.equal(byName('new').description_localizations?.[locale], 'Empezar una conversación nueva');
      assert.equal(byName('settings').options?.[0]?.description_localizations?.[locale], 'Por ejemplo: length short, language es, streaming off');
      assert.equal(byName('describe').description_localizations?.[locale], 'Describir una foto, o responder a una pregunta sobre ella');
      assert.equal(byName('Describe image').name_localizations?.[locale], 'Describir imagen');
    }
    // The languages already there keep their localisations.
    assert.equal(byName('new').description_localizations?.['zh-CN'], '开始新的对话');
  });

  test('the settings parser takes the code and the typed word', () => {
    assert.deepEqual(parseSettingsArgument('language es'), { language: 'es' });
    assert.deepEqual(parseSettingsArgument('language Español'), { language: 'es' });
    assert.deepEqual(parseSettingsArgument('castellano short'), { language: 'es', replyLength: 'short' });
  });

  test('/settings saves it to a real database file, answers in Spanish, and it reads back after reopening', () => {
    const filePath = path.join(folder, 'spanish.sqlite');
    const user = { platform: 'telegram', platformUserId: '34' };
    const store = new Store(openDatabase(filePath));
    const context = {
      store,
      user,
      chatId: '34',
      mediaRetentionHours: 24,
      messages: messagesFor('en'),
      messagesAfter: (settings: { language: string }) => messagesFor(resolveLanguage(settings.language, undefined)),
    };
    const help = runCommand('settings', '', context);
    assert.match(help.text, /\/settings language en, zh, es or auto/);
    const saved = runCommand('settings', 'language es', context);
    assert.match(saved.text, /^Guardado\. .*El idioma es español\./);
    store.close();

    const reopened = new Store(openDatabase(filePath));
    try {
      const found = reopened.findUser(user);
      assert.ok(found);
      assert.equal(reopened.getSettings(found.id).language, 'es');
    } finally {
      reopened.close();
    }
  });

  test('the system prompt tells the model to reply in Spanish', () => {
    const prompt = buildSystemPrompt({ replyLength: 'normal', language: 'es' });
    assert.match(prompt, /^Always reply in Spanish\.$/m);
  });

  test('the reply language follows the setting and the platform hint', () => {
    assert.equal(resolveLanguage('es', 'What is this?'), 'es');
    assert.equal(resolveLanguage('auto', undefined, 'es'), 'es');
    assert.equal(resolveLanguage('auto', undefined, 'es-419'), 'es');
    assert.equal(messagesFor(resolveLanguage('auto', '', 'es-ES')), spanish);
    // Typed Latin-script text cannot be told from English by its script; Chinese still can.
    assert.equal(resolveLanguage('auto', '这是什么', 'es'), 'zh');
  });

  test('the welcome says in Spanish how long photos are kept', () => {
    assert.match(spanish.welcome(24), /las fotos durante 24 horas\./);
    assert.match(spanish.welcome(48), /las fotos durante 2 días\./);
    assert.match(spanish.welcome(1), /las fotos durante 1 hora\./);
  });
});

describe('the welcome says how long photos are kept, as a person would say it', () => {
  function welcome(language: string, mediaRetentionHours: number): string {
    const filePath = path.join(folder, `welcome-${language}-${mediaRetentionHours}.sqlite`);
    const store = new Store(openDatabase(filePath));
    try {
      const messages = messagesFor(language);
      const user = { platform: 'console', platformUserId: 'me' };
      return runCommand('start', '', { store, user, chatId: 'me', mediaRetentionHours, messages, messagesAfter: () => messages }).text;
    } finally {
      store.close();
    }
  }

  test('in English: hours, or whole days from two days on', () => {
    assert.match(welcome('en', 24), /and photos for 24 hours\./);
    assert.match(welcome('en', 48), /and photos for 2 days\./);
    assert.match(welcome('en', 1), /and photos for 1 hour\./);
    assert.match(welcome('en', 36), /and photos for 36 hours\./);
    assert.match(welcome('en', 24 * 30), /and photos for 30 days\./);
  });

  test('in Chinese', () => {
    assert.match(welcome('zh', 24), /照片保存 24 小时。/);
    assert.match(welcome('zh', 72), /照片保存 3 天。/);
    assert.match(welcome('zh', 1), /照片保存 1 小时。/);
  });
});

describe('the language table', () => {
  test('removing an added language takes it out of every place again', () => {
    addLanguage(SPANISH)();
    assert.deepEqual(
      languages().map((language) => language.code),
      ['en', 'zh'],
    );
    assert.equal(telegramCommandMenus().some((menu) => menu.languageCode === 'es'), false);
    assert.equal(parseSettingsArgument('language es'), undefined);
    assert.equal(resolveLanguage('auto', undefined, 'es'), 'en');
    assert.doesNotMatch(buildSystemPrompt({ replyLength: 'normal', language: 'es' }), /Spanish/);
  });

  test('a code storage would refuse, or one already in the table, is refused at once', () => {
    assert.throws(() => addLanguage({ ...SPANISH, code: 'es-ES' }), RangeError);
    assert.throws(() => addLanguage({ ...SPANISH, code: 'Spanish' }), RangeError);
    assert.throws(() => addLanguage({ ...SPANISH, code: 'zh' }), /already/);
  });
});
