import type { WebRTCVoiceBackendOptions } from './webrtc-backend-options.js';
import type { WebRTCPeer } from './webrtc-peer.js';

export interface ReapDeadlines {
  connectMs: number;
  disconnectedMs: number;
  idleMs: number;
}

export function reapDeadlines(o: WebRTCVoiceBackendOptions): ReapDeadlines {
  return {
    connectMs: o.connectTimeoutMs ?? 20_000,
    disconnectedMs: o.disconnectedTimeoutMs ?? 8000,
    idleMs: o.idleTimeoutMs ?? 15_000,
  };
}

/**
 * Why a peer should go, or undefined while it is healthy. Peers vanish without a word (a
 * closed laptop, a dead tab, a network that went away): each way of vanishing has a deadline.
 */
export function reapReason(peer: WebRTCPeer, now: number, d: ReapDeadlines): string | undefined {
  if ((peer.state === 'new' || peer.state === 'connecting') && now - peer.createdAt > d.connectMs)
    return 'connect timeout';
  if (peer.disconnectedAt !== undefined && now - peer.disconnectedAt > d.disconnectedMs)
    return 'ice disconnected';
  if (peer.connected && now - peer.lastInboundAt > d.idleMs) return 'idle timeout';
  // An onClientConnected listener that never bound a session.
  if (peer.connected && !peer.session && now - peer.createdAt > d.connectMs) return 'no session';
  return undefined;
}
