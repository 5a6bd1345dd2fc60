import type { EventContent, InboundMessage } from '../models/index.js';

export type IdentityResult =
  | { status: 'identified'; participantId: string; displayName?: string }
  | { status: 'ambiguous'; candidates: string[] }
  | { status: 'unknown' };

export interface IdentityContext {
  roomId: string;
  channelId: string;
}

/** Maps an inbound sender (address, sender id, metadata) to a participant. */
export type IdentityResolver =
  | ((message: InboundMessage, ctx: IdentityContext) => Promise<IdentityResult> | IdentityResult)
  | { resolve(message: InboundMessage, ctx: IdentityContext): Promise<IdentityResult> | IdentityResult };

/** Payload of the ON_IDENTITY_AMBIGUOUS / ON_IDENTITY_UNKNOWN hooks. */
export interface IdentityHookPayload {
  message: InboundMessage;
  result: IdentityResult;
  /** True when the resolver did not answer within identityTimeoutMs. */
  timedOut: boolean;
}

export type IdentityDecision =
  | { kind: 'resolved'; participantId: string; displayName?: string }
  | { kind: 'challenge'; content: EventContent; reason: string }
  | { kind: 'reject'; reason: string }
  | { kind: 'pending' };

/** What an identity hook answers. Returning nothing leaves the sender unidentified. */
export const IdentityHookResult = {
  resolved: (participantId: string, displayName?: string): IdentityDecision => ({
    kind: 'resolved',
    participantId,
    displayName,
  }),
  /** Hold the message (stored blocked) and send `content` back to the sender's channel only. */
  challenge: (content: EventContent | string, reason = 'identity_challenge'): IdentityDecision => ({
    kind: 'challenge',
    content: typeof content === 'string' ? { type: 'text', body: content } : content,
    reason,
  }),
  reject: (reason = 'identity_rejected'): IdentityDecision => ({ kind: 'reject', reason }),
  pending: (): IdentityDecision => ({ kind: 'pending' }),
};

export async function callResolver(
  resolver: IdentityResolver,
  message: InboundMessage,
  ctx: IdentityContext,
  timeoutMs: number,
): Promise<{ result: IdentityResult; timedOut: boolean }> {
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const call = typeof resolver === 'function' ? resolver(message, ctx) : resolver.resolve(message, ctx);
    const winner = await Promise.race([Promise.resolve(call), expiry]);
    return winner === 'timeout'
      ? { result: { status: 'unknown' }, timedOut: true }
      : { result: winner, timedOut: false };
  } finally {
    clearTimeout(timer);
  }
}
