/**
 * Referee: the official `openai` SDK's realtime WebSocket client (OpenAIRealtimeWS) against
 * FakeOpenAIRealtimeServer, over TLS (the SDK only dials wss). One session: audio in, server
 * VAD, input transcription, a function call and its result, audio out, barge-in with a
 * truncate, item retrieve/delete, a manual commit after the VAD committed; then a session
 * without transcription; then our OpenAIRealtimeProvider, whose client events must be ones
 * the SDK could send.
 */
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import type { RealtimeServerEvent, ResponseDoneEvent } from 'openai/resources/realtime/realtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenAIRealtimeProvider } from '../../src/providers/openai/realtime-provider.js';
import { pcm16ToBase64 } from '../../src/realtime/pcm.js';
import { FakeOpenAIRealtimeServer, silence, tone } from '../../src/testing/fake-realtime/index.js';
import { baseConfig, EventLog, recordingLogger } from '../conformance/realtime-provider.js';
import { weatherTurns } from './flows.js';
import { shapeProblems, TYPE_CHECK_TIMEOUT } from './shape-check.js';
import { selfSignedCertificate } from './tls.js';

const KEY = 'sk-realtime-referee';
const RATE = 24_000;
const weatherTool = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

/** Every server event the SDK emitted, and a way to wait for one. */
class SdkSession {
  readonly events: RealtimeServerEvent[] = [];
  readonly errors: Error[] = [];
  private waiters: Array<() => void> = [];

  constructor(readonly rt: OpenAIRealtimeWS) {
    rt.on('event', (event) => {
      this.events.push(event);
      for (const wake of this.waiters.splice(0)) wake();
    });
    rt.on('error', (err) => this.errors.push(err));
  }

  async next<T extends RealtimeServerEvent['type']>(
    type: T,
    after = 0,
    timeoutMs = 5_000,
  ): Promise<Extract<RealtimeServerEvent, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.slice(after).find((e) => e.type === type);
      if (found) return found as Extract<RealtimeServerEvent, { type: T }>;
      if (Date.now() > deadline) throw new Error(`no ${type} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  speak(ms: number): void {
    for (const pcm of [tone(ms, RATE), silence(200, RATE)])
      this.rt.send({ type: 'input_audio_buffer.append', audio: pcm16ToBase64(pcm) });
  }
}

describe('openai SDK realtime client referees FakeOpenAIRealtimeServer', TYPE_CHECK_TIMEOUT, () => {
  const tls = selfSignedCertificate();
  const fake = new FakeOpenAIRealtimeServer({ apiKey: KEY, tls });
  const open: OpenAIRealtimeWS[] = [];

  beforeAll(() => fake.start());
  afterAll(async () => {
    for (const rt of open) rt.close();
    await fake.close();
  });

  async function connect(): Promise<SdkSession> {
    const client = new OpenAI({ apiKey: KEY, baseURL: `${fake.httpUrl}/v1` });
    const rt = new OpenAIRealtimeWS({ model: 'gpt-realtime', options: { ca: tls.cert } }, client);
    open.push(rt);
    const session = new SdkSession(rt);
    await new Promise<void>((resolve, reject) => {
      rt.socket.once('open', () => resolve());
      rt.socket.once('error', reject);
    });
    await session.next('session.created');
    return session;
  }

  it('runs a whole voice turn with a function call, barge-in and truncate, in the SDK types', async () => {
    fake.queueTurn(...weatherTurns('call_paris'));
    const s = await connect();
    s.rt.send({
      type: 'session.update',
      session: {
        type: 'realtime',
        instructions: 'You are a weather assistant.',
        tools: [weatherTool],
        audio: {
          input: {
            format: { type: 'audio/pcm', rate: RATE },
            transcription: { model: 'gpt-4o-transcribe' },
            turn_detection: { type: 'server_vad', interrupt_response: true, create_response: true },
          },
          output: { format: { type: 'audio/pcm', rate: RATE }, voice: 'marin' },
        },
      },
    });
    await s.next('session.updated');

    // Audio in: the server VAD commits it, transcribes it, and the model calls the tool.
    s.speak(400);
    const committed = await s.next('input_audio_buffer.committed');
    const transcript = await s.next('conversation.item.input_audio_transcription.completed');
    expect(transcript.transcript).toBe('What is the weather in Paris?');
    expect(transcript.item_id).toBe(committed.item_id);
    const callDone = await s.next('response.done');
    const call = callDone.response.output?.find((item) => item.type === 'function_call');
    expect(call).toMatchObject({ type: 'function_call', call_id: 'call_paris', name: 'get_weather' });
    if (call?.type !== 'function_call') throw new Error('no function_call item in response.done');
    expect(JSON.parse(call.arguments)).toEqual({ city: 'Paris' });
    const callAdded = s.events.find((e) => e.type === 'conversation.item.added' && e.item.id === call.id);
    expect(callAdded).toBeDefined();

    // A manual commit right after the VAD committed: nothing left to commit.
    const beforeCommit = s.events.length;
    s.rt.send({ type: 'input_audio_buffer.commit' });
    const empty = await s.next('error', beforeCommit);
    expect(empty.error.code).toBe('input_audio_buffer_commit_empty');
    s.errors.length = 0; // provoked on purpose

    // The tool result, then the spoken answer (held after two chunks).
    const beforeAnswer = s.events.length;
    s.rt.send({
      type: 'conversation.item.create',
      item: { type: 'function_call_output', call_id: 'call_paris', output: '{"sky":"sunny"}' },
    });
    s.rt.send({ type: 'response.create' });
    await s.next('response.output_audio.delta', beforeAnswer);
    await expect.poll(() => s.events.filter((e) => e.type === 'response.output_audio.delta').length).toBe(2);
    const audioItem = (await s.next('response.output_item.added', beforeAnswer)).item;

    // Barge-in: the user talks over the answer; the server cancels, the client truncates.
    const beforeBargeIn = s.events.length;
    s.speak(300);
    await s.next('input_audio_buffer.speech_started', beforeBargeIn);
    const cancelled: ResponseDoneEvent = await s.next('response.done', beforeBargeIn);
    expect(cancelled.response.status).toBe('cancelled');
    s.rt.send({
      type: 'conversation.item.truncate',
      item_id: audioItem.id!,
      content_index: 0,
      audio_end_ms: 100,
    });
    const truncated = await s.next('conversation.item.truncated', beforeBargeIn);
    expect(truncated.audio_end_ms).toBe(100);
    await s.next('conversation.item.input_audio_transcription.completed', beforeBargeIn);

    // Items can be read back and removed.
    s.rt.send({ type: 'conversation.item.retrieve', item_id: audioItem.id! });
    const retrieved = await s.next('conversation.item.retrieved', beforeBargeIn);
    expect(retrieved.item).toMatchObject({ id: audioItem.id, type: 'message', role: 'assistant' });
    s.rt.send({ type: 'conversation.item.delete', item_id: committed.item_id });
    expect((await s.next('conversation.item.deleted', beforeBargeIn)).item_id).toBe(committed.item_id);
    s.rt.send({ type: 'conversation.item.retrieve', item_id: committed.item_id });
    const gone = await s.next('error', beforeBargeIn);
    expect(gone.error.code).toBe('item_not_found');
    s.errors.length = 0; // provoked on purpose

    expect(s.errors).toEqual([]);
    expect(
      shapeProblems([
        {
          label: 'fake -> SDK: server events',
          from: 'openai/resources/realtime/realtime',
          type: 'RealtimeServerEvent',
          values: s.events,
          // The GA reference shows the session's id and object; the SDK's request type omits them.
          documentedExtras: ['session.id', 'session.object'],
        },
        {
          label: 'SDK -> fake: client events',
          from: 'openai/resources/realtime/realtime',
          type: 'RealtimeClientEvent',
          values: fake.connections[0].messages(),
        },
      ]),
    ).toEqual([]);
  });

  it('sends no transcription events when input transcription is off', async () => {
    fake.queueTurn({ userTranscript: 'Hello there.', reply: { text: 'Hi!' } });
    const s = await connect();
    const created = await s.next('session.created');
    if (created.session.type !== 'realtime') throw new Error('expected a realtime session');
    expect(created.session.audio?.input).not.toHaveProperty('transcription');
    s.speak(300);
    await s.next('response.done');
    const types = s.events.map((e) => e.type);
    expect(types).toContain('input_audio_buffer.committed');
    expect(types.filter((t) => t.startsWith('conversation.item.input_audio_transcription'))).toEqual([]);
    expect(s.errors).toEqual([]);
  });

  it('our OpenAIRealtimeProvider sends only client events of the SDK types', async () => {
    const plain = await new FakeOpenAIRealtimeServer({ apiKey: KEY }).start();
    try {
      plain.queueTurn({
        userTranscript: 'Weather?',
        toolCall: { name: 'get_weather', arguments: { city: 'Oslo' }, callId: 'call_oslo' },
        afterToolResult: { text: 'Cold.' },
      });
      const provider = new OpenAIRealtimeProvider({
        apiKey: KEY,
        baseUrl: `${plain.url}/v1`,
        logger: recordingLogger(),
      });
      const log = new EventLog(provider);
      const session = await provider.connect(baseConfig);
      provider.sendAudio(session, tone(300, 16_000));
      provider.sendAudio(session, silence(300, 16_000));
      const call = await log.next('toolCall');
      await provider.submitToolResult(session, call.callId, '{"t":-3}');
      await log.next('responseEnd', () => true, { count: 2 });
      await provider.sendText(session, 'And tomorrow?');
      await log.next('responseEnd', () => true, { count: 3 });
      await provider.disconnect(session);
      const sent = plain.connections[0].messages();
      expect(sent.map((m) => m.type)).toContain('conversation.item.create');
      expect(log.of('error')).toEqual([]);
      expect(
        shapeProblems([
          {
            label: 'OpenAIRealtimeProvider -> fake: client events',
            from: 'openai/resources/realtime/realtime',
            type: 'RealtimeClientEvent',
            values: sent,
          },
        ]),
      ).toEqual([]);
    } finally {
      await plain.close();
    }
  });
});
