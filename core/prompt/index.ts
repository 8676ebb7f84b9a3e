export type { BuiltPrompt, PromptImage, PromptInput } from './build-prompt.js';
export { buildPrompt } from './build-prompt.js';
export { buildSystemPrompt } from './system-prompt.js';
export { estimateTokens } from './token-estimate.js';
