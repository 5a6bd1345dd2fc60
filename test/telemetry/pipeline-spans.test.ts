import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AIChannel,
  Channel,
  ChannelCategory,
  ChannelType,
  HookResult,
  HookTrigger,
  RoomKit,
  WebSocketChannel,
} from '../../src/index.js';
import { AnthropicProvider } from '../../src/providers/anthropic/index.js';
import { FakeAnthropicServer, MockAIProvider } from '../../src/testing/index.js';
import { connectClient } from '../helpers/ws-client.js';
import { allAttributeText, byName, otelForTest, parentOf } from './otel-helpers.js';
import { silentLogger } from '../../src/core/logger.js';

const API_KEY = 'sk-ant-test-0123456789abcdefSECRET';
const TOKEN = 'console-token-0123456789SECRET';

/** A webhook that always refuses (quoting the key, as vendors do): a failed delivery. */
class Refusing extends Channel {
  readonly channelType = ChannelType.WEBHOOK;
  override retryPolicy = { maxRetries: 0 };
  override async deliver(): Promise<never> {
    throw new Error(`refused: api_key=${API_KEY}`);
  }
}

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
  trace.disable();
});

describe('OpenTelemetry: an inbound event is a trace (in-memory exporter)', () => {
  it('spans per stage, per delivery and per AI call; the reply is its own trace linked to the question; no secret in any attribute', async () => {
    const otel = otelForTest();
    const fake = new FakeAnthropicServer({ apiKey: API_KEY, defaultReply: { text: 'Hello Ana.' } });
    await fake.start();
    const kit = new RoomKit({
      logger: silentLogger,
      eventTraces: true,
      telemetry: { tracerProvider: otel.tracerProvider, meterProvider: otel.meterProvider },
    });
    cleanup.push(
      () => otel.shutdown(),
      () => fake.stop(),
      () => kit.close(),
    );
    const web = new WebSocketChannel('web', {
      authenticate: (_req, token) => (token === TOKEN ? { userId: 'ana' } : null),
    });
    kit.registerChannel(web);
    kit.registerChannel(
      new AIChannel('assistant', {
        provider: new AnthropicProvider({ apiKey: API_KEY, baseUrl: fake.baseUrl }),
      }),
    );
    kit.registerChannel(new Refusing('crm'));
    kit.hook(HookTrigger.BEFORE_BROADCAST, () => HookResult.allow(), { name: 'tagger' });
    await kit.createRoom({ roomId: 'chat' });
    await kit.attachChannel('chat', 'web');
    await kit.attachChannel('chat', 'crm');
    await kit.attachChannel('chat', 'assistant', { category: ChannelCategory.INTELLIGENCE });
    const port = await web.listen(0);

    const client = await connectClient(`ws://127.0.0.1:${port}/ws?token=${TOKEN}`);
    cleanup.push(() => client.close());
    await client.next('ready');
    client.send({ type: 'join', roomId: 'chat' });
    await client.next('joined');
    client.send({ type: 'message', roomId: 'chat', content: { type: 'text', body: 'hi there' } });
    const reply = await client.next(
      (f) => f.type === 'event' && f.event.source.channelId === 'assistant',
      10_000,
    );
    expect(reply.event.content.body).toBe('Hello Ana.');
    await kit.waitForIdle();

    const spans = otel.spans();
    const inbound = byName(spans, 'roomkit.inbound');
    expect(inbound).toHaveLength(2);
    const [question, answer] = [...inbound].sort(
      (a, b) => Number(a.attributes['roomkit.event.index']) - Number(b.attributes['roomkit.event.index']),
    );
    // The question: a root span with one child per pipeline stage, in order.
    expect(parentOf(question!)).toBeUndefined();
    expect(question!.attributes).toMatchObject({
      'roomkit.channel.id': 'web',
      'roomkit.channel.type': 'websocket',
      'roomkit.room.id': 'chat',
      'roomkit.event.index': 0,
      'roomkit.event.status': 'delivered',
      'roomkit.event.chain_depth': 0,
    });
    const id = question!.spanContext().spanId;
    const children = spans.filter((s) => parentOf(s) === id);
    const stages = children.filter((s) => s.name !== 'roomkit.deliver');
    expect(stages.map((s) => s.name)).toEqual([
      'roomkit.route',
      'roomkit.lock',
      'roomkit.hooks',
      'roomkit.commit',
    ]);
    const start = (s: (typeof spans)[number]) => s.startTime[0] * 1e9 + s.startTime[1];
    expect([...stages].sort((a, b) => start(a) - start(b)).map((s) => s.name)).toEqual(
      stages.map((s) => s.name),
    );
    // One delivery span per target, the refusing one failed.
    const deliveries = children.filter((s) => s.name === 'roomkit.deliver');
    const target = (name: string) => deliveries.find((s) => s.attributes['roomkit.channel.id'] === name)!;
    expect(deliveries.map((s) => s.attributes['roomkit.channel.id']).sort()).toEqual([
      'assistant',
      'crm',
      'web',
    ]);
    expect(target('web').attributes['roomkit.delivery.outcome']).toBe('delivered');
    expect(target('crm').status.code).toBe(SpanStatusCode.ERROR);
    expect(target('crm').attributes['roomkit.delivery.outcome']).toBe('failed');
    // The model call is a child of the delivery to the AI channel, with GenAI attributes.
    const call = spans.find((s) => s.name.startsWith('chat '))!;
    expect(parentOf(call)).toBe(target('assistant').spanContext().spanId);
    expect(call.kind).toBe(SpanKind.CLIENT);
    expect(call.attributes).toMatchObject({ 'gen_ai.system': 'anthropic', 'gen_ai.operation.name': 'chat' });
    expect(call.spanContext().traceId).toBe(question!.spanContext().traceId);
    // The reply: a trace of its own, linked to the question it answers.
    expect(parentOf(answer!)).toBeUndefined();
    expect(answer!.spanContext().traceId).not.toBe(question!.spanContext().traceId);
    expect(answer!.links.map((l) => l.context.spanId)).toEqual([id]);
    expect(answer!.attributes).toMatchObject({
      'roomkit.channel.id': 'assistant',
      'roomkit.event.chain_depth': 1,
    });
    // No credential anywhere: not the API key (quoted in the refusal), not the client's token.
    const text = allAttributeText(spans);
    expect(text).toContain('[redacted]');
    expect(text).not.toContain(API_KEY);
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain('SECRET');

    // Metrics: deliveries by outcome, failures, breaker state and queue depth per channel.
    const deliveriesCount = await otel.points('roomkit.deliveries');
    const count = (channel: string, outcome: string) =>
      deliveriesCount.find(
        (p) =>
          p.attributes['roomkit.channel.id'] === channel &&
          p.attributes['roomkit.delivery.outcome'] === outcome,
      )?.value;
    expect(count('crm', 'failed')).toBe(2); // the question and the reply
    expect(count('assistant', 'delivered')).toBe(1);
    expect(
      (await otel.points('roomkit.failures')).find((p) => p.attributes['roomkit.failure.kind'] === 'delivery')
        ?.value,
    ).toBe(2);
    const breakers = await otel.points('roomkit.circuit_breaker.state');
    expect(breakers.find((p) => p.attributes['roomkit.channel.id'] === 'crm')?.value).toBe(0);
    const queues = await otel.points('roomkit.delivery.queue_depth');
    expect(queues.map((p) => p.attributes['roomkit.channel.id']).sort()).toEqual(['assistant', 'crm', 'web']);
    expect(queues.every((p) => p.value === 0)).toBe(true);

    // The inspector's per-event trace: the hook's decision, and each delivery.
    const first = kit.eventTraces!.list('chat')[0]!;
    expect(first.hooks).toMatchObject([{ hook: 'tagger', decision: 'allow', trigger: 'before_broadcast' }]);
    expect(first.deliveries.find((d) => d.channelId === 'crm')).toMatchObject({
      outcome: 'failed',
      attempts: 1,
    });
    expect(first.deliveries.find((d) => d.channelId === 'crm')?.error).not.toContain(API_KEY);
  }, 30_000);

  it('records nothing without an SDK, and picks up one registered globally later', async () => {
    const kit = new RoomKit({ logger: silentLogger });
    cleanup.push(() => kit.close());
    kit.registerChannel(new AIChannel('assistant', { provider: new MockAIProvider({ responses: ['ok'] }) }));
    class Inbox extends Channel {
      readonly channelType = ChannelType.WEBHOOK;
    }
    kit.registerChannel(new Inbox('inbox'));
    await kit.createRoom({ roomId: 'r' });
    await kit.attachChannel('r', 'inbox');
    expect(kit.telemetry.tracer()).toBeUndefined();
    expect(kit.telemetry.metrics()).toBeUndefined();
    await kit.sendEvent('r', 'inbox', { type: 'text', body: 'untraced' });

    const otel = otelForTest();
    cleanup.push(() => otel.shutdown());
    trace.setGlobalTracerProvider(otel.tracerProvider);
    await kit.sendEvent('r', 'inbox', { type: 'text', body: 'traced' });
    await kit.waitForIdle();
    const inbound = byName(otel.spans(), 'roomkit.inbound');
    expect(inbound.map((s) => s.attributes['roomkit.event.index'])).toEqual([1]);
  });
});
