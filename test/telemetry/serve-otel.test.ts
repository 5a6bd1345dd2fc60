import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectClient } from '../helpers/ws-client.js';
import { type CliChild, startCli } from '../server/fixtures/cli-process.js';

/** An OTLP/HTTP collector of our own: keeps every JSON body posted, by path. */
class FakeCollector {
  readonly bodies: { path: string; body: string }[] = [];
  private server?: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        this.bodies.push({ path: req.url ?? '', body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  on(path: string): string {
    return this.bodies
      .filter((b) => b.path === path)
      .map((b) => b.body)
      .join('\n');
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

let dir: string;
let collector: FakeCollector;
let child: CliChild | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rk-otel-'));
  collector = new FakeCollector();
  await collector.start();
});

afterAll(async () => {
  if (child && child.process.exitCode === null) {
    child.process.kill('SIGTERM');
    await child.exited();
  }
  await collector.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('roomkit serve --otel', () => {
  it('exports spans and metrics over OTLP/HTTP as the OTEL_* variables say, with no token in them; debug logs say what happens', async () => {
    child = startCli(['serve', '--port', '0', '--db', join(dir, 'roomkit.db'), '--otel'], {
      ANTHROPIC_API_KEY: '',
      OPENAI_API_KEY: '',
      GRADIUM_API_KEY: '',
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_SERVICE_NAME: 'roomkit-under-test',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_METRIC_EXPORT_INTERVAL: '300',
      ROOMKIT_LOG_LEVEL: 'debug',
    });
    const [, consoleUrl] = await child.waitFor(/^Open the console: (\S+)$/m, 60_000);
    const url = new URL(consoleUrl!);
    const token = url.searchParams.get('token')!;
    const client = await connectClient(`ws://${url.host}/ws?token=${encodeURIComponent(token)}`);
    client.send({ type: 'join', roomId: 'lobby' });
    await client.next('joined');
    client.send({ type: 'message', roomId: 'lobby', content: { type: 'text', body: 'hello otel' } });
    await client.next((f) => f.type === 'event' && f.event.source.channelId === 'agent', 10_000);
    await client.close();
    await fetch(`${url.origin}/api/rooms`, { headers: { authorization: `Bearer ${token}` } });

    await vi.waitFor(
      () => {
        const traces = collector.on('/v1/traces');
        expect(traces).toContain('roomkit.inbound');
        expect(traces).toContain('roomkit.deliver');
        expect(traces).toContain('chat rule-based');
        expect(collector.on('/v1/metrics')).toContain('roomkit.deliveries');
      },
      { timeout: 15_000, interval: 100 },
    );
    const traces = JSON.parse(collector.bodies.find((b) => b.path === '/v1/traces')!.body);
    const resource = traces.resourceSpans[0].resource.attributes;
    expect(resource).toContainEqual({ key: 'service.name', value: { stringValue: 'roomkit-under-test' } });
    const everything = collector.bodies.map((b) => b.body).join('\n');
    expect(everything).not.toContain(token);

    // The child's log reaches our pipe when it does: on a busy machine the last lines (the
    // request above) can still be on their way.
    await vi.waitFor(
      () => {
        const stderr = child!.stderr();
        for (const said of [
          'roomkit serve listening',
          'OpenTelemetry export on',
          'client connected',
          'http request',
        ]) {
          expect(stderr).toContain(said);
        }
      },
      { timeout: 10_000, interval: 100 },
    );
    expect(child.stderr()).not.toContain(token);

    child.process.kill('SIGTERM');
    expect(await child.exited()).toBe(0);
  }, 90_000);
});
