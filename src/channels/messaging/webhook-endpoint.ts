/**
 * Mounting webhooks: each messaging channel lists its endpoints (path, methods, handler over
 * the framework-neutral WebhookRequest); `createWebhookHandler` serves them from any Node
 * http server (and `/media/<id>` from a media store), and `listenWebhooks` starts one.
 * Webhooks authenticate by the vendor's signature, never by a roomkit token.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import {
  readWebhookRequest,
  type WebhookRequest,
  type WebhookResponse,
  webhookErrorResponse,
  writeWebhookResponse,
} from '../../providers/shared/webhook-request.js';
import type { MediaStore } from './media-store.js';

export interface WebhookEndpoint {
  /** Exact path, e.g. `/webhooks/sms`. */
  path: string;
  methods: readonly string[];
  handle(req: WebhookRequest): Promise<WebhookResponse>;
}

/** Anything that exposes webhook endpoints (every messaging channel does). */
export interface WebhookSource {
  webhookEndpoints(): WebhookEndpoint[];
}

export interface WebhookHandlerOptions {
  /** The public origin vendors call (for URL-signed schemes behind a proxy), e.g. `https://bot.example.com`. */
  publicBaseUrl?: string;
  /** Believe X-Forwarded-Proto/Host (only behind your own proxy). */
  trustProxy?: boolean;
  /** Body size limit (default 25 MB). */
  maxBytes?: number;
  /** Serve `GET /media/<id>` from this store (outbound MMS, email attachments). */
  mediaStore?: MediaStore;
  logger?: Logger;
}

/** A request listener for the endpoints; resolves false when the path is not one of them. */
export function createWebhookHandler(
  sources: readonly (WebhookSource | WebhookEndpoint)[],
  opts: WebhookHandlerOptions = {},
): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const endpoints = new Map<string, WebhookEndpoint>();
  for (const source of sources) {
    for (const endpoint of 'webhookEndpoints' in source ? source.webhookEndpoints() : [source]) {
      if (endpoints.has(endpoint.path)) throw new Error(`two webhooks on one path: ${endpoint.path}`);
      endpoints.set(endpoint.path, endpoint);
    }
  }
  return async (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (opts.mediaStore && req.method === 'GET' && path.startsWith('/media/')) {
      await serveMedia(opts.mediaStore, path.slice('/media/'.length), res);
      return true;
    }
    const endpoint = endpoints.get(path);
    if (!endpoint) return false;
    if (!endpoint.methods.includes((req.method ?? 'GET').toUpperCase())) {
      writeWebhookResponse(res, { status: 405, body: 'method not allowed' });
      return true;
    }
    let response: WebhookResponse;
    try {
      const request = await readWebhookRequest(req, opts);
      response = await endpoint.handle(request);
    } catch (error) {
      opts.logger?.warn({ path, err: errorMessage(error) }, 'webhook failed');
      response = webhookErrorResponse(error);
    }
    writeWebhookResponse(res, response);
    return true;
  };
}

async function serveMedia(store: MediaStore, id: string, res: ServerResponse): Promise<void> {
  const item = await store.get(decodeURIComponent(id)).catch(() => undefined);
  if (!item) {
    writeWebhookResponse(res, { status: 404, body: 'not found' });
    return;
  }
  res.writeHead(200, {
    'content-type': item.mimeType,
    'content-length': String(item.data.length),
    'cache-control': 'private, max-age=3600',
    ...(item.filename
      ? { 'content-disposition': `inline; filename="${item.filename.replace(/"/g, '')}"` }
      : {}),
  });
  res.end(item.data);
}

export interface ListeningWebhooks {
  server: Server;
  /** `http://127.0.0.1:<port>` */
  url: string;
  close(): Promise<void>;
}

/** A small HTTP server for the channels' webhooks (when no server of your own hosts them). */
export async function listenWebhooks(
  sources: readonly (WebhookSource | WebhookEndpoint)[],
  opts: WebhookHandlerOptions & { port?: number; host?: string } = {},
): Promise<ListeningWebhooks> {
  const handle = createWebhookHandler(sources, opts);
  const server = createServer((req, res) => {
    handle(req, res)
      .then((handled) => {
        if (!handled) writeWebhookResponse(res, { status: 404, body: 'not found' });
      })
      .catch(() => {
        if (!res.headersSent) writeWebhookResponse(res, { status: 500, body: 'internal error' });
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
