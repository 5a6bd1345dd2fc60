import type { FakeConnection } from './fake-server.js';

/**
 * What both Gradium fakes check at connect time: the endpoint path, then the API key from
 * the `x-api-key` header (or `?token=`). Returns the error Gradium answers with, if any.
 */
export function gradiumHandshakeError(
  conn: FakeConnection,
  path: string,
  isValidKey: (key: string | undefined | null) => boolean,
): string | undefined {
  if (conn.path !== path) return `unknown path ${conn.path}`;
  const key = (conn.headers['x-api-key'] as string | undefined) ?? conn.query.get('token');
  return isValidKey(key) ? undefined : 'API key is invalid, revoked or expired';
}

/** Gradium echoes a request's client_req_id on every message that answers it. */
export function withReqId(msg: Record<string, unknown>, reqId: string | undefined): Record<string, unknown> {
  return reqId ? { ...msg, client_req_id: reqId } : msg;
}
