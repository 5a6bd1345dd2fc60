/**
 * A real SMTP server on 127.0.0.1 that keeps what it receives (parsed with mailparser): the
 * outbound side of EmailChannel tests. It can answer a temporary (4xx) or permanent (5xx)
 * failure for outage tests.
 */
import type { AddressInfo } from 'node:net';
import type { ParsedMail } from 'mailparser';
import type { SMTPServer } from 'smtp-server';

export interface ReceivedEmail {
  envelope: { from: string; to: string[] };
  raw: Buffer;
  parsed: ParsedMail;
  /** Header lookup, lower-case names (message-id, in-reply-to, references, subject...). */
  header(name: string): string | undefined;
}

export class FakeSMTPServer {
  readonly received: ReceivedEmail[] = [];
  /** When set, DATA is answered with this SMTP code (451 temporary, 550 permanent). */
  failWith?: number;
  private server?: SMTPServer;
  private boundPort?: number;

  get port(): number {
    if (this.boundPort === undefined) throw new Error('fake SMTP server is not started');
    return this.boundPort;
  }

  /** `smtp://127.0.0.1:<port>` for EmailChannel's `smtp` option. */
  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** nodemailer transport options for this server (plain text, no auth). */
  get transportOptions() {
    return {
      host: '127.0.0.1',
      port: this.port,
      secure: false,
      ignoreTLS: true,
      connectionTimeout: 5_000,
      socketTimeout: 5_000,
    };
  }

  async start(): Promise<number> {
    // Loaded here, so importing roomkit/testing does not load an SMTP server and a MIME parser.
    const [{ SMTPServer: Server }, { simpleParser }] = await Promise.all([
      import('smtp-server'),
      import('mailparser'),
    ]);
    const server = new Server({
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      logger: false,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          if (this.failWith) {
            callback(
              Object.assign(new Error(`${this.failWith} fake failure`), { responseCode: this.failWith }),
            );
            return;
          }
          const raw = Buffer.concat(chunks);
          simpleParser(raw).then(
            (parsed) => {
              const envelope = {
                from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
                to: session.envelope.rcptTo.map((r) => r.address),
              };
              this.received.push({ envelope, raw, parsed, header: (name) => headerText(parsed, name) });
              callback();
            },
            (error) => callback(error),
          );
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.boundPort = (server.server.address() as AddressInfo).port;
    return this.boundPort;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function headerText(parsed: ParsedMail, name: string): string | undefined {
  const line = parsed.headerLines.find((h) => h.key === name.toLowerCase());
  return line
    ? line.line
        .slice(line.line.indexOf(':') + 1)
        .replace(/\r?\n[ \t]+/g, ' ')
        .trim()
    : undefined;
}
