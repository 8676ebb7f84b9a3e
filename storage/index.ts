export { openDatabase, migrate, LATEST_SCHEMA_VERSION } from './database.js';
export { Store, type BeginTurnInput, type EventKey, type InboxEntry } from './store.js';
export { DEFAULT_SETTINGS } from './records.js';
export type * from './records.js';
