export { openDatabase, migrate, LATEST_SCHEMA_VERSION, APPLICATION_ID, DatabaseOpenError, type DatabaseProblem } from './database.js';
export { Store, type BeginTurnInput, type EventKey, type InboxEntry, type StoreOptions } from './store.js';
export { DEFAULT_SETTINGS } from './records.js';
export type * from './records.js';
