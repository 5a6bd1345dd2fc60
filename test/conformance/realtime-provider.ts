/**
 * The conformance suite every realtime speech-to-speech provider runs against the fake server
 * of its vendor: same behaviours, real sockets on 127.0.0.1, whatever the wire underneath.
 * Vendor-shaped checks (where the prompt goes, how a tool result or a truncate looks) are
 * supplied by each provider's test through `RealtimeConformanceTarget`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AIToolDefinition } from '../../src/ai/types.js';
import { AuthenticationError, ProviderError } from '../../src/core/errors.js';
import type { RealtimeLogger } from '../../src/realtime/logger.js';
import type { RealtimeEventMap, RealtimeVoiceProvider } from '../../src/realtime/provider.js';
import type { RealtimeSession, RealtimeSessionConfig } from '../../src/realtime/session.js';
import type {
  FakeRealtimeConnection,
  FakeRealtimeServer,
} from '../../src/testing/fake-realtime/fake-server-base.js';
import { silence, tone } from '../../src/testing/fake-realtime/script.js';

export const weatherTool: AIToolDefinition = {
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

export const baseConfig: RealtimeSessionConfig = {
  systemPrompt: 'You are a helpful voice assistant.',
  voice: 'alloy',
  tools: [weatherTool],
  temperature: 0.7,
  inputSampleRate: 16000,
  outputSampleRate: 24000,
};

export interface RealtimeConformanceTarget<F extends FakeRealtimeServer<any>> {
  name: string;
  startFake(): Promise<F>;
  createProvider(fake: F, opts: { apiKey?: string; logger: RealtimeLogger }): RealtimeVoiceProvider;
  /** Session config for this vendor (defaults to `baseConfig`). */
  config?: RealtimeSessionConfig;
  /** Auth and session configuration, in the vendor's shape, as the fake received them. */
  expectConnected(
    fake: F,
    conn: FakeRealtimeConnection<any>,
    config: RealtimeSessionConfig,
  ): void | Promise<void>;
  /** PCM samples of one client audio message (undefined for other messages), and the wire rate. */
  inputAudio(message: any): Int16Array | undefined;
  wireInputRate: number;
  /** The vendor-shaped tool result for `callId` reached the fake. */
  expectToolResult(fake: F, callId: string, result: string): Promise<void>;
  /** After a barge-in and `interrupt(playedMs)`: what the vendor was told (or not). */
  expectInterruptHandled(fake: F, opts: { itemId?: string; playedMs: number }): Promise<void>;
  /** `reconfigure({ systemPrompt })` reached the vendor its way. */
  expectReconfigured(fake: F, systemPrompt: string): Promise<void>;
  /** Make the fake fail the session the vendor's fatal way. */
  failSession(fake: F, conn: FakeRealtimeConnection<any>): void;
  /** Send a message type the client does not know and a malformed known one; returns the unknown type. */
  sendUnexpected(fake: F, conn: FakeRealtimeConnection<any>): string;
  /** Whether assistant transcripts stream as partials (ElevenLabs sends whole sentences). */
  assistantPartials: boolean;
}

/** Records every event of a provider, with a way to wait for one. */
export class EventLog {
  readonly events: { type: keyof RealtimeEventMap; event: any }[] = [];
  private waiters: (() => void)[] = [];

  constructor(provider: RealtimeVoiceProvider) {
    const types: (keyof RealtimeEventMap)[] = [
      'audio',
      'transcription',
      'speechStart',
      'speechEnd',
      'toolCall',
      'responseStart',
      'responseEnd',
      'interrupted',
      'error',
      'goAway',
      'sessionResumed',
      'sessionEnded',
    ];
    for (const type of types) {
      provider.on(type, (event: any) => {
        this.events.push({ type, event });
        for (const w of [...this.waiters]) w();
      });
    }
  }

  of<K extends keyof RealtimeEventMap>(
    type: K,
    predicate: (e: RealtimeEventMap[K]) => boolean = () => true,
  ): RealtimeEventMap[K][] {
    return this.events.filter((e) => e.type === type && predicate(e.event)).map((e) => e.event);
  }

  next<K extends keyof RealtimeEventMap>(
    type: K,
    predicate: (e: RealtimeEventMap[K]) => boolean = () => true,
    opts: { count?: number; timeoutMs?: number } = {},
  ): Promise<RealtimeEventMap[K]> {
    const count = opts.count ?? 1;
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.of(type, predicate);
        if (found.length < count) return false;
        this.waiters = this.waiters.filter((w) => w !== check);
        clearTimeout(timer);
        resolve(found[count - 1]);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`no ${String(type)} event (have: ${this.events.map((e) => e.type).join(',')})`));
      }, opts.timeoutMs ?? 5_000);
      if (!check()) this.waiters.push(check);
    });
  }
}

export function recordingLogger(): RealtimeLogger & {
  lines: { level: string; msg?: string; obj: unknown }[];
} {
  const lines: { level: string; msg?: string; obj: unknown }[] = [];
  return {
    lines,
    debug: (obj, msg) => lines.push({ level: 'debug', msg, obj }),
    warn: (obj, msg) => lines.push({ level: 'warn', msg, obj }),
  };
}

/** The user says something: tone frames (20 ms) then silence, at the session's input rate. */
export function speak(
  provider: RealtimeVoiceProvider,
  session: RealtimeSession,
  ms = 100,
  opts = { thenSilence: true },
): void {
  const rate = session.config.inputSampleRate;
  const frame = Math.round(rate / 50);
  const voice = tone(ms, rate);
  for (let i = 0; i < voice.length; i += frame) provider.sendAudio(session, voice.subarray(i, i + frame));
  if (opts.thenSilence) provider.sendAudio(session, silence(40, rate));
}

function samples(events: { audio: Int16Array }[]): number {
  return events.reduce((n, e) => n + e.audio.length, 0);
}

function peak(events: { audio: Int16Array }[]): number {
  let max = 0;
  for (const e of events) for (const s of e.audio) max = Math.max(max, Math.abs(s));
  return max;
}

export function runRealtimeProviderConformance<F extends FakeRealtimeServer<any>>(
  target: RealtimeConformanceTarget<F>,
): void {
  describe(`${target.name} realtime provider conformance`, () => {
    const config = target.config ?? baseConfig;
    let fake: F;
    let provider: RealtimeVoiceProvider;
    let log: EventLog;
    let logger: ReturnType<typeof recordingLogger>;

    async function open(): Promise<{ session: RealtimeSession; conn: FakeRealtimeConnection<any> }> {
      fake = await target.startFake();
      logger = recordingLogger();
      provider = target.createProvider(fake, { logger });
      log = new EventLog(provider);
      const session = await provider.connect(config);
      return { session, conn: await fake.waitForConnection(0) };
    }

    afterEach(async () => {
      for (const s of (provider as any)?.sessions ?? []) await provider.disconnect(s);
      await fake?.close();
    });

    it('connects with the vendor auth and session configuration', async () => {
      const { session, conn } = await open();
      expect(session.state).toBe('active');
      expect(session.provider).toBe(provider.name);
      expect(session.config.inputSampleRate).toBe(config.inputSampleRate);
      await target.expectConnected(fake, conn, config);
    });

    it('rejects a bad key with an AuthenticationError naming the provider, leaving no session', async () => {
      fake = await target.startFake();
      logger = recordingLogger();
      provider = target.createProvider(fake, { apiKey: 'wrong-key', logger });
      const err = await provider.connect(config).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AuthenticationError);
      expect((err as AuthenticationError).provider).toBe(provider.name);
      expect((provider as any).sessions).toEqual([]);
    });

    it('carries audio both ways at the right rates and encodings, with transcripts', async () => {
      const { session } = await open();
      fake.queueTurn({
        userTranscript: 'what is the weather',
        reply: { text: 'It is sunny today.', audioMs: 200, chunks: 4 },
      });
      speak(provider, session, 100);
      const finalAssistant = await log.next('transcription', (e) => e.role === 'assistant' && e.isFinal);
      // Not every vendor marks the end of an answer (ElevenLabs does not): wait for the audio.
      await expect.poll(() => samples(log.of('audio'))).toBeGreaterThan(4800 * 0.95);
      // In: the fake decoded PCM at the vendor's wire rate: 140 ms of it, the tone intact.
      const input = fake
        .allReceived()
        .map(target.inputAudio)
        .filter((a): a is Int16Array => a !== undefined);
      const inputMs = (input.reduce((n, a) => n + a.length, 0) / target.wireInputRate) * 1000;
      expect(inputMs).toBeGreaterThan(140 * 0.95);
      expect(inputMs).toBeLessThan(140 * 1.05);
      expect(Math.max(...input.map((a) => a.reduce((m, s) => Math.max(m, Math.abs(s)), 0)))).toBeGreaterThan(
        4000,
      );
      // Out: 200 ms of tone at the session's output rate.
      const audio = log.of('audio');
      expect(audio.every((e) => e.sampleRate === 24000)).toBe(true);
      expect(samples(audio)).toBeGreaterThan(4800 * 0.95);
      expect(samples(audio)).toBeLessThan(4800 * 1.05);
      expect(peak(audio)).toBeGreaterThan(4000);
      // Transcripts: user partials then the final; the assistant's final text.
      const user = log.of('transcription', (e) => e.role === 'user');
      expect(user.at(-1)).toMatchObject({ text: 'what is the weather', isFinal: true });
      expect(
        user.slice(0, -1).every((e) => !e.isFinal && 'what is the weather'.startsWith(e.text.trim())),
      ).toBe(true);
      expect(user.length).toBeGreaterThan(1);
      expect(finalAssistant.text).toBe('It is sunny today.');
      if (target.assistantPartials) {
        expect(log.of('transcription', (e) => e.role === 'assistant' && !e.isFinal).length).toBeGreaterThan(
          0,
        );
      }
      expect(log.of('responseStart').length).toBeGreaterThan(0);
      expect(log.of('speechStart').length).toBeGreaterThan(0);
    });

    it('round-trips a tool call and the response continues', async () => {
      const { session } = await open();
      fake.queueTurn({
        userTranscript: 'weather in Paris',
        toolCall: { name: 'get_weather', arguments: { city: 'Paris' } },
        afterToolResult: { text: 'Sunny in Paris.' },
      });
      speak(provider, session);
      const call = await log.next('toolCall');
      expect(call).toMatchObject({ name: 'get_weather', arguments: { city: 'Paris' } });
      await provider.submitToolResult(session, call.callId, '{"temp":21}');
      await target.expectToolResult(fake, call.callId, '{"temp":21}');
      const answer = await log.next('transcription', (e) => e.role === 'assistant' && e.isFinal);
      expect(answer.text).toBe('Sunny in Paris.');
      expect(log.of('audio').length).toBeGreaterThan(0);
    });

    it('on barge-in clears playback, drops the rest of the answer and reports the played position', async () => {
      const { session } = await open();
      fake.queueTurn({
        userTranscript: 'tell me a story',
        reply: { text: 'Once upon a time there was a fox.', audioMs: 400, chunks: 8, pauseAfterChunks: 2 },
      });
      speak(provider, session);
      const second = await log.next('audio', () => true, { count: 2 });
      speak(provider, session, 60, { thenSilence: false }); // the user talks over the answer...
      const interrupted = await log.next('interrupted');
      expect(interrupted.clearPlayback).toBe(true);
      await provider.interrupt(session, { itemId: interrupted.itemId ?? second.itemId, playedMs: 50 });
      await target.expectInterruptHandled(fake, {
        itemId: interrupted.itemId ?? second.itemId,
        playedMs: 50,
      });
      fake.releaseReply();
      await log.next('responseEnd', (e) => e.status === 'cancelled');
      provider.sendAudio(session, silence(40, session.config.inputSampleRate)); // ...and stops
      // Nothing of the interrupted answer is played after the interruption.
      const after = log.events.slice(log.events.findIndex((e) => e.type === 'interrupted'));
      expect(after.filter((e) => e.type === 'audio' && e.event.itemId === second.itemId)).toEqual([]);
      expect(session.state).toBe('active');
    });

    it('reconfigures a live session', async () => {
      const { session } = await open();
      await provider.reconfigure(session, { systemPrompt: 'You are a billing specialist.' });
      await target.expectReconfigured(fake, 'You are a billing specialist.');
      expect(session.state).toBe('active');
      expect(session.config.systemPrompt).toBe('You are a billing specialist.');
      fake.queueTurn({ userTranscript: 'my bill', reply: { text: 'Let me check.' } });
      speak(provider, session);
      expect((await log.next('transcription', (e) => e.role === 'assistant' && e.isFinal)).text).toBe(
        'Let me check.',
      );
    });

    it('surfaces a provider error as a typed error and ends the session', async () => {
      const { session, conn } = await open();
      target.failSession(fake, conn);
      const ended = await log.next('sessionEnded');
      expect(ended.reason).toBe('provider-error');
      expect(ended.error).toBeInstanceOf(ProviderError);
      expect((ended.error as ProviderError).provider).toBe(provider.name);
      expect(log.of('error', (e) => e.fatal).length).toBe(1);
      expect(session.state).toBe('ended');
      expect(() => provider.sendAudio(session, silence(20, 16000))).not.toThrow();
      await expect(provider.sendText(session, 'hello')).rejects.toMatchObject({ code: 'session_ended' });
    });

    it('surfaces a dropped socket as connection-lost and ends the session', async () => {
      const { session } = await open();
      fake.dropConnections();
      const ended = await log.next('sessionEnded');
      expect(ended.reason).toBe('connection-lost');
      expect(ended.error).toMatchObject({
        code: 'connection_lost',
        provider: provider.name,
        retryable: true,
      });
      expect(session.state).toBe('ended');
    });

    it('disconnects cleanly, once', async () => {
      const { session, conn } = await open();
      await provider.disconnect(session);
      await provider.disconnect(session);
      expect(log.of('sessionEnded')).toEqual([expect.objectContaining({ reason: 'client-disconnect' })]);
      await fake.waitForConnection(0);
      await expect.poll(() => conn.closed).toBe(true);
      expect((provider as any).sessions).toEqual([]);
    });

    it('ignores unknown and malformed messages without ending the session', async () => {
      const { session, conn } = await open();
      const unknownType = target.sendUnexpected(fake, conn);
      fake.queueTurn({ userTranscript: 'still there?', reply: { text: 'Yes.' } });
      speak(provider, session);
      expect((await log.next('transcription', (e) => e.role === 'assistant' && e.isFinal)).text).toBe('Yes.');
      expect(session.state).toBe('active');
      expect(JSON.stringify(logger.lines)).toContain(unknownType);
      expect(logger.lines.some((l) => l.level === 'warn')).toBe(true);
      expect(log.of('error')).toEqual([]);
    });
  });
}
