/** roomkit/store/postgres: a ConversationStore on PostgreSQL (`pg`), shared by any number of processes. */
export type { PostgresStoreOptions } from './connection.js';
export { PostgresStore } from './postgres-store.js';
export { StoreError, StoreUnavailableError } from './errors.js';
export { SCHEMA_VERSION } from './schema.js';
