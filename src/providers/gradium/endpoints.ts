/** Where Gradium lives. The bare host is the SDKs' default; eu/us pin data residency and latency. */
export type GradiumRegion = 'eu' | 'us';

export interface GradiumLocation {
  region?: GradiumRegion;
  /** A full WebSocket URL for this service (tests, gateways); wins over `region`. */
  endpoint?: string;
}

function host(region?: GradiumRegion): string {
  return region ? `${region}.api.gradium.ai` : 'api.gradium.ai';
}

export function gradiumSttUrl(loc: GradiumLocation): string {
  return loc.endpoint ?? `wss://${host(loc.region)}/api/speech/asr`;
}

export function gradiumTtsUrl(loc: GradiumLocation): string {
  return loc.endpoint ?? `wss://${host(loc.region)}/api/speech/tts`;
}

/**
 * The REST base (`https://…/api`) for voice management. Derived from a custom TTS endpoint
 * when there is one, so a gateway or fake serving both needs only one URL.
 */
export function gradiumRestBase(loc: GradiumLocation & { restBaseUrl?: string }): string {
  if (loc.restBaseUrl) return loc.restBaseUrl.replace(/\/$/, '');
  if (loc.endpoint) {
    const url = new URL(loc.endpoint);
    url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
    return url.toString().replace(/\/speech\/(tts|asr)\/?$/, '');
  }
  return `https://${host(loc.region)}/api`;
}
