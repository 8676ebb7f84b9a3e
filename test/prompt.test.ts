import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildPrompt, buildSystemPrompt, estimateTokens } from '../core/prompt/index.js';
import type { TurnRecord } from '../storage/index.js';

function turn(id: number, question: string, answer: string): TurnRecord {
  return {
    id,
    conversationId: 1,
    userId: 1,
    createdAt: id,
    question,
    questionSource: 'text',
    answer,
    status: 'done',
    failure: null,
    incomingMessageId: null,
  };
}

const image = { mediaType: 'image/jpeg', data: new Uint8Array([1, 2, 3]) };

test('history is kept newest first within the budget; the image rides on the current message', () => {
  const history = [turn(1, 'one', 'a'.repeat(100)), turn(2, 'two', 'b'.repeat(100)), turn(3, 'three', 'c'.repeat(100))];
  const built = buildPrompt({
    systemPrompt: 'rules',
    history,
    question: 'four',
    questionSource: 'text',
    images: [image],
    imagesFromEarlierTurn: true,
    historyTokenBudget: 210,
    countTokens: (text) => text.length,
  });
  assert.equal(built.droppedTurns, 1);
  assert.deepEqual(
    built.messages.map((message) => message.role),
    ['system', 'user', 'assistant', 'user', 'assistant', 'user'],
  );
  const current = built.messages.at(-1)!.content;
  assert.deepEqual(current[0], { type: 'file', mediaType: 'image/jpeg', data: image.data });
  assert.deepEqual(current[1], { type: 'text', text: '(The photo from earlier in the conversation.)\nfour' });
});

test('a zero budget still sends the question and its photo', () => {
  const built = buildPrompt({
    systemPrompt: 'rules',
    history: [turn(1, 'one', 'answer')],
    question: 'what is it?',
    questionSource: 'voice',
    images: [image],
    imagesFromEarlierTurn: false,
    historyTokenBudget: 0,
    countTokens: estimateTokens,
  });
  assert.equal(built.messages.length, 2);
  assert.equal(built.messages[1]!.content[1]!.type, 'text');
  assert.deepEqual(built.messages[1]!.content[1], { type: 'text', text: 'Untrusted voice transcript of the question: «what is it?»' });
});

test('the system prompt follows the user\'s language and length settings', () => {
  assert.match(buildSystemPrompt({ replyLength: 'detailed', language: 'zh' }), /Simplified Chinese[\s\S]*untrusted/);
  assert.match(buildSystemPrompt({ replyLength: 'short', language: 'auto' }), /language of the user's question/);
  assert.doesNotMatch(buildSystemPrompt({ replyLength: 'normal', language: 'en' }), /[*#]/);
});

test('token estimate counts each Chinese character as a token', () => {
  assert.equal(estimateTokens('这是一个杯子'), 6);
  assert.equal(estimateTokens('a'.repeat(35)), 10);
});
