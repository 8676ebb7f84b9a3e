import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { afterEach, test } from 'node:test';
import { parseSettingsArgument } from '../core/commands/settings-argument.js';
import { createLogger } from '../core/index.js';
import { nameForMediaType } from '../core/audio/detect-format.js';
import { messagesFor } from '../core/i18n/index.js';
import { makeHarness, type Harness } from './helpers/assistant-harness.js';

let harness: Harness | undefined;
afterEach(() => {
  harness?.close();
  harness = undefined;
});

/** Words that name properties every JavaScript object inherits. */
const INHERITED_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'prototype', '__defineGetter__'];

function withCapturedLog(): { harness: Harness; log: () => string } {
  let written = '';
  const sink = new Writable({ write: (chunk, _encoding, done) => ((written += String(chunk)), done()) });
  return { harness: makeHarness(undefined, { logger: createLogger({ level: 'trace', destination: sink }) }), log: () => written };
}

test('a command named like an inherited property is an unknown command, not an internal error', async () => {
  const captured = withCapturedLog();
  harness = captured.harness;
  for (const name of INHERITED_NAMES) {
    const parts = await harness.send({ text: `/${name}` });
    assert.deepEqual(
      parts.map((part) => part.type),
      ['reply'],
      `/${name}`,
    );
    assert.match(parts[0]!.text, /^I don't know the command \//);
  }
  assert.doesNotMatch(captured.log(), /"level":50|turn failed/);
});

test('/settings with an inherited property name is "not understood" and changes nothing', async () => {
  const captured = withCapturedLog();
  harness = captured.harness;
  for (const name of INHERITED_NAMES) {
    for (const argument of [name, `length ${name}`, `language ${name}`, `echo ${name}`, `streaming ${name}`]) {
      const parts = await harness.send({ text: `/settings ${argument}` });
      assert.deepEqual(parts.map((part) => part.type), ['reply'], `/settings ${argument}`);
      assert.match(parts[0]!.text, /^I did not understand/, `/settings ${argument}`);
    }
  }
  assert.doesNotMatch(captured.log(), /"level":50|turn failed|something went wrong/);
  // The user's settings row was created by the first change attempt but holds the defaults.
  const user = harness.store.findUser({ platform: 'test', platformUserId: 'alice' });
  assert.deepEqual(user && harness.store.getSettings(user.id), { replyLength: 'normal', language: 'auto', streaming: 'off', voiceEcho: 'off', voiceReplies: 'spoken' });
});

test('the settings parser finds only its own words', () => {
  for (const name of INHERITED_NAMES) assert.equal(parseSettingsArgument(name), undefined, name);
  assert.deepEqual(parseSettingsArgument('length short language zh streaming on echo on'), {
    replyLength: 'short',
    language: 'zh',
    streaming: 'edits',
    voiceEcho: 'on',
  });
  assert.deepEqual(parseSettingsArgument('详细 关'), { replyLength: 'detailed', streaming: 'off' });
});

test('voice replies: speak always, voice or off; "voice on" still means the echo', () => {
  assert.deepEqual(parseSettingsArgument('speak always'), { voiceReplies: 'always' });
  assert.deepEqual(parseSettingsArgument('speak voice'), { voiceReplies: 'spoken' });
  assert.deepEqual(parseSettingsArgument('speak off'), { voiceReplies: 'off' });
  assert.deepEqual(parseSettingsArgument('voice replies on'), { voiceReplies: 'always' });
  assert.deepEqual(parseSettingsArgument('voice on'), { voiceEcho: 'on' });
  assert.deepEqual(parseSettingsArgument('朗读 自动'), { voiceReplies: 'spoken' });
  assert.deepEqual(parseSettingsArgument('speak off length short'), { voiceReplies: 'off', replyLength: 'short' });
  assert.equal(parseSettingsArgument('speak loudly'), undefined);
});

test('an audio file labelled with an inherited property name is named plainly, in every catalogue', () => {
  for (const name of INHERITED_NAMES) {
    assert.equal(nameForMediaType(name), undefined, name);
    for (const code of ['en', 'zh']) {
      const text = messagesFor(code).voiceProblem('unsupported-format', { format: name });
      assert.doesNotMatch(text, /function|native code|undefined/, `${code} ${name}`);
    }
  }
});
