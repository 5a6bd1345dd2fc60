/**
 * Strip credentials from text that leaves the process (notices to room clients, logs). Vendor
 * error messages sometimes quote the key they refused ("Incorrect API key provided: sk-ab...yz")
 * and URLs may carry one (`?key=`); none of that may reach a browser.
 */

const PATTERNS: readonly [RegExp, string][] = [
  // key=value pairs in URLs, headers and prose: api_key=..., token: ..., "secret": "..."
  [
    /\b(api[_-]?key|access[_-]?token|auth[_-]?token|token|key|secret|password|credential|signature|sig)("?\s*[=:]\s*"?)[^\s"&,;]+/gi,
    '$1$2[redacted]',
  ],
  [/\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{6,}/g, '$1 [redacted]'],
  // Well-known key shapes: OpenAI/Anthropic sk-..., xAI xai-..., Google AIza..., JWTs.
  [/\b(sk|xai|gsk|rk|pk)-[A-Za-z0-9_*.-]{6,}/g, '[redacted]'],
  [/\bAIza[0-9A-Za-z_-]{20,}/g, '[redacted]'],
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, '[redacted]'],
];

/** `text` with anything that looks like a credential replaced by `[redacted]`, cut to `max` characters. */
export function redactSecrets(text: string, max = 500): string {
  let out = text;
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out.length > max ? `${out.slice(0, max - 1)}…` : out;
}
