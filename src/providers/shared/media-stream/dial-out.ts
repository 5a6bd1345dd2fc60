/**
 * Dialing out through a carrier: a pending call (its own one-time stream URL) is registered,
 * the carrier's REST API places the call with markup or a URL that connects the answered call
 * to that stream, and the dial resolves when the stream starts. A status callback saying busy
 * or no answer rejects it at once; past the timeout the call is hung up and the dial rejected.
 */
import { TimeoutError } from '../../../core/errors.js';
import { CallFailedError, type CarrierCallControl } from './call-control.js';
import type { CallRoute, CarrierCallInfo, PendingCalls } from './pending-calls.js';

export interface DialHost {
  readonly name: string;
  readonly basePath: string;
  readonly pending: PendingCalls;
  readonly control: CarrierCallControl;
  /** `http(s)://host` the carrier reaches us at. */
  publicOrigin(): string;
  /** `ws(s)://host<base>/stream`. */
  streamBase(): string;
  /** Background REST request (the hang-up of a dial that timed out). */
  track(request: Promise<unknown>, what: string): void;
}

/** Place the call; resolves with the id of the session its stream started. */
export async function dialOut(
  host: DialHost,
  call: Omit<CarrierCallInfo, 'callId' | 'direction'> & { from: string; to: string },
  route: CallRoute,
  timeoutMs: number,
): Promise<string> {
  const info: CarrierCallInfo = { ...call, callId: '', direction: 'outbound' };
  const pending = host.pending.add(info, route, host.streamBase(), timeoutMs);
  const answered = new Promise<string>((resolve, reject) => {
    pending.dial = { resolve, reject };
  });
  answered.catch(() => {}); // observed below; a rejection before the await must not be unhandled
  const origin = host.publicOrigin();
  try {
    info.callId = await host.control.dial({
      to: call.to,
      from: call.from,
      streamUrl: pending.streamUrl,
      answerUrl: `${origin}${host.basePath}/answer?dial=${pending.id}`,
      statusUrl: `${origin}${host.basePath}/status`,
      parameters: info.parameters,
    });
  } catch (error) {
    host.pending.forget(pending);
    throw error;
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new TimeoutError(`${host.name} call to ${call.to}`, timeoutMs)),
      timeoutMs,
    );
    timer.unref();
  });
  try {
    return await Promise.race([answered, timeout]);
  } catch (error) {
    host.pending.forget(pending);
    if (error instanceof TimeoutError) host.track(host.control.hangup(info.callId), 'hangup');
    throw error instanceof Error ? error : new CallFailedError(host.name, 'failed');
  } finally {
    clearTimeout(timer);
  }
}
