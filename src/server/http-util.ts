import type { IncomingMessage, ServerResponse } from 'node:http';
import { RoomKitError } from '../core/errors.js';

/** A refusal the HTTP API answers with its status and a typed body `{ error, code }`. */
export class HttpError extends RoomKitError {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 405 | 409 | 413,
    code: string,
    message: string,
  ) {
    super(message, { code });
  }
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res
    .writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
    .end(text);
}

export function sendError(res: ServerResponse, error: HttpError): void {
  if (res.headersSent) return void res.end();
  json(res, error.status, { error: error.message, code: error.code });
}

const MAX_BODY = 64 * 1024;

/**
 * The request body as a JSON object: empty means `{}`; anything else that is not a JSON
 * object is a 400 (never a silent default), and a body over 64 KiB a 413.
 */
export async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > MAX_BODY) throw new HttpError(413, 'too_large', `request body over ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'invalid_json', 'the request body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpError(400, 'invalid_request', 'the request body must be a JSON object');
  }
  return body as Record<string, unknown>;
}
