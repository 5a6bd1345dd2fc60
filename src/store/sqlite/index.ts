/** roomkit/store/sqlite: a durable ConversationStore on better-sqlite3 (loaded only through this subpath). */
export { SqliteStore, type SqliteStoreOptions, type SqliteSynchronous } from './sqlite-store.js';
export { SqliteCommitError } from './group-commit.js';
export { SCHEMA_VERSION } from './schema.js';
