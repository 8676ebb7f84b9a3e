export type { ConsoleChatOptions } from './console-chat.js';
export { runConsoleChat } from './console-chat.js';
export type { DescribeOnceOptions } from './describe-once.js';
export { describeOnce } from './describe-once.js';
export type { ConsoleIdentity } from './console-turn.js';
export { CONSOLE_PLATFORM } from './console-turn.js';
export { parseConsoleLine } from './console-line.js';
