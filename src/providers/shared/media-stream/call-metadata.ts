/**
 * Who a call's session is and what it carries: the participant (the other party's number
 * unless the route names one) and the metadata hooks, identity resolvers and apps read.
 */
import { normalizePhoneNumber } from '../../../core/contact-identity.js';
import type { CallRoute, CarrierCallInfo } from './pending-calls.js';

export function callIdentity(
  carrier: string,
  info: CarrierCallInfo,
  route: CallRoute,
  stream: { streamId?: string; parameters: Record<string, string> },
): { participantId: string; metadata: Record<string, unknown> } {
  const other = info.direction === 'inbound' ? info.from : info.to;
  const phone = other ? (normalizePhoneNumber(other) ?? other) : undefined;
  const metadata: Record<string, unknown> = {
    carrier,
    callId: info.callId,
    streamId: stream.streamId,
    direction: info.direction,
    // `from` is the caller only on inbound calls (on ours it is our own number).
    from: info.direction === 'inbound' ? info.from : undefined,
    to: info.to,
    caller: info.from,
    callee: info.to,
    // The identity hint the contact resolver links to the participant (the other party).
    phone,
    address: phone,
    parameters: stream.parameters,
    ...route.metadata,
  };
  for (const key of Object.keys(metadata)) if (metadata[key] === undefined) delete metadata[key];
  return { participantId: route.participantId ?? phone ?? `caller-${info.callId}`, metadata };
}
