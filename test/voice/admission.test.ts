import { afterEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { VoiceAdmission } from '../../src/voice/admission.js';
import { type VoiceAuthenticate, WebSocketVoiceBackend } from '../../src/voice/backends/index.js';
import { type Refused, refusedUpgrade, saturateLoop } from '../helpers/admission.js';
import { eventually } from '../helpers/eventually.js';
import { memoryLogger, startVoiceClient, type VoiceTestClient } from './backends/voice-ws-client.js';

const authenticate: VoiceAuthenticate = (_req, token) =>
  token?.startsWith('user:') ? { userId: token.slice(5) } : null;

describe('VoiceAdmission', () => {
  const closers: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  async function serve(admission: VoiceAdmission) {
    const backend = new WebSocketVoiceBackend({ authenticate, logger: memoryLogger(), admission });
    const port = await backend.listen(0);
    const clients: VoiceTestClient[] = [];
    closers.push(async () => {
      for (const c of clients) c.socket.terminate();
      await backend.close();
      admission.close();
    });
    const url = (user?: string) => `ws://127.0.0.1:${port}/voice${user ? `?token=user:${user}` : ''}`;
    const call = async (user: string) => {
      const { client } = await startVoiceClient(url(user), { roomId: 'room' });
      clients.push(client);
      return client;
    };
    return { backend, url, call };
  }

  it('refuses the call past maxSessions with 503, Retry-After and at_capacity, and admits again once one hangs up', async () => {
    const logger = memoryLogger();
    const admission = new VoiceAdmission({ maxSessions: 2 }, logger);
    const { url, call } = await serve(admission);
    const first = await call('ann');
    await call('bob');
    expect(admission.calls).toBe(2);

    const refused = await refusedUpgrade(url('cy'));
    expect(refused.status).toBe(503);
    expect(refused.retryAfter).toBe('5');
    expect(refused.body.error?.code).toBe('at_capacity');
    // A stranger is told nothing of the server's load: the token is checked first.
    expect((await refusedUpgrade(url())).status).toBe(401);

    const line = logger.lines.find((l) => l.msg === 'voice call refused');
    expect(line?.level).toBe('warn');
    expect(line?.obj).toMatchObject({
      transport: 'websocket',
      code: 'at_capacity',
      calls: 2,
      maxSessions: 2,
    });
    expect(JSON.stringify(logger.lines)).not.toContain('user:cy');

    // The calls already up are untouched: the first still gets answers.
    await first.sendJson({ type: 'ping' });
    await first.next('pong');

    first.socket.terminate();
    await eventually(() => expect(admission.calls).toBe(1));
    await call('cy');
  });

  it('logs a flood of refusals once, with their count, instead of once each', async () => {
    const logger = memoryLogger();
    const admission = new VoiceAdmission({ maxSessions: 1 }, logger);
    admission.countCalls(() => 1);
    for (let i = 0; i < 50; i++) expect(admission.refusal('websocket')?.code).toBe('at_capacity');
    const lines = logger.lines.filter((l) => l.msg === 'voice call refused');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.obj).toMatchObject({ refused: 1 });
  });

  it('refuses new calls while the event loop is busier than maxLoad, and admits them once it calms down', async () => {
    const admission = new VoiceAdmission({ maxLoad: 0.5 }, memoryLogger());
    const { url, call } = await serve(admission);
    await call('ann');
    const stop = saturateLoop();
    closers.push(stop);
    // The load is read over whole seconds: within about two, the busy one is the last.
    let refused: Refused | undefined;
    await eventually(async () => {
      refused = await refusedUpgrade(url('bob'));
    }, 5_000);
    expect(refused?.status).toBe(503);
    expect(refused?.body.error?.code).toBe('overloaded');
    stop();
    await eventually(async () => {
      await call('bob');
    }, 5_000);
  });

  it('counts every transport that counts its calls, and forgets one that stops', () => {
    const admission = new VoiceAdmission({ maxSessions: 5 }, memoryLogger());
    const stopA = admission.countCalls(() => 2);
    admission.countCalls(() => 3);
    expect(admission.calls).toBe(5);
    expect(admission.refusal('sip')?.code).toBe('at_capacity');
    stopA();
    expect(admission.calls).toBe(3);
    expect(admission.refusal('sip')).toBeUndefined();
  });

  it('takes no limit by default and rejects nonsense limits', () => {
    const open = new VoiceAdmission({}, memoryLogger());
    expect(open.limited).toBe(false);
    open.countCalls(() => 1_000_000);
    expect(open.refusal('websocket')).toBeUndefined();
    expect(() => new VoiceAdmission({ maxSessions: 0 }, memoryLogger())).toThrow(ValidationError);
    expect(() => new VoiceAdmission({ maxSessions: 1.5 }, memoryLogger())).toThrow(ValidationError);
    expect(() => new VoiceAdmission({ maxLoad: 0 }, memoryLogger())).toThrow(ValidationError);
    expect(() => new VoiceAdmission({ maxLoad: 1.2 }, memoryLogger())).toThrow(ValidationError);
  });
});
