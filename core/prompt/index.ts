export type { BuiltPrompt, PromptImage, PromptInput, QuestionSource } from './build-prompt.js';
export { buildPrompt, untrusted } from './build-prompt.js';
export { buildSystemPrompt } from './system-prompt.js';
export { estimateTokens } from './token-estimate.js';
