/**
 * Receive email directly: a real SMTP server (smtp-server) that accepts mail for our domains
 * only, bounds message size, parses each message with mailparser and hands it on. A handler
 * failure answers 451 (try again later), so the sending server keeps the mail and retries.
 */
import type { AddressInfo } from 'node:net';
import type { SMTPServer, SMTPServerOptions } from 'smtp-server';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { type InboundEmail, parseMime } from './inbound-email.js';

export interface SmtpListenerOptions {
  /** Default 0 (any free port); 25 in production behind your MX record. */
  port?: number;
  host?: string;
  /** Accept mail only for these domains (RCPT TO); empty accepts any (not recommended). */
  domains?: readonly string[];
  /** Largest message accepted (default 25 MB). */
  maxBytes?: number;
  /** TLS key and certificate for STARTTLS; without them STARTTLS is not offered. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Idle socket timeout (default 60 s). */
  socketTimeoutMs?: number;
}

export class SmtpListener {
  private server?: SMTPServer;
  private boundPort?: number;

  constructor(
    private readonly opts: SmtpListenerOptions,
    private readonly onEmail: (email: InboundEmail) => Promise<void>,
    private readonly logger?: Logger,
  ) {}

  get port(): number | undefined {
    return this.boundPort;
  }

  async listen(): Promise<number> {
    if (this.server) return this.boundPort!;
    const maxBytes = this.opts.maxBytes ?? 25 * 1024 * 1024;
    const domains = (this.opts.domains ?? []).map((d) => d.toLowerCase());
    const options: SMTPServerOptions = {
      authOptional: true,
      disabledCommands: this.opts.tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
      size: maxBytes,
      logger: false,
      banner: 'roomkit',
      socketTimeout: this.opts.socketTimeoutMs ?? 60_000,
      ...(this.opts.tls ? { key: this.opts.tls.key, cert: this.opts.tls.cert } : {}),
      onRcptTo: (address, _session, callback) => {
        const domain = address.address.split('@')[1]?.toLowerCase();
        if (domains.length && (!domain || !domains.includes(domain))) {
          callback(
            Object.assign(new Error(`5.1.1 <${address.address}>: recipient not accepted here`), {
              responseCode: 550,
            }),
          );
          return;
        }
        callback();
      },
      onData: (stream, _session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) {
            callback(Object.assign(new Error('5.3.4 message too big'), { responseCode: 552 }));
            return;
          }
          this.accept(Buffer.concat(chunks)).then(
            () => callback(),
            (error) => {
              this.logger?.warn(
                { err: errorMessage(error) },
                'inbound email not processed; sender will retry',
              );
              callback(
                Object.assign(new Error('4.3.0 temporary failure, try again later'), { responseCode: 451 }),
              );
            },
          );
        });
      },
    };
    // Loaded on first listen, so importing roomkit does not load an SMTP server.
    const { SMTPServer: Server } = await import('smtp-server');
    const server = new Server(options);
    server.on('error', (error) => this.logger?.warn({ err: errorMessage(error) }, 'smtp listener error'));
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(this.opts.port ?? 0, this.opts.host ?? '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.boundPort = (server.server.address() as AddressInfo).port;
    return this.boundPort;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async accept(raw: Buffer): Promise<void> {
    const email = await parseMime(raw, 'smtp');
    if (!email) {
      this.logger?.info({}, 'inbound email without a usable From address dropped');
      return;
    }
    await this.onEmail(email);
  }
}
