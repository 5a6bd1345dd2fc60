/**
 * The new part of an email reply, without the quoted conversation below it, the client's
 * attribution line ("On Mon, Ana wrote:", "Le lundi ... a écrit :", "Am ... schrieb ..."), the
 * Outlook header block or separator, or the signature after "-- ". The AI sees what the
 * person just wrote, not the thread again.
 */

const ATTRIBUTION = [
  /^On\b[\s\S]{0,300}?\bwrote:\s*$/im,
  /^Le\b[\s\S]{0,300}?a écrit\s*:\s*$/im,
  /^Am\b[\s\S]{0,300}?schrieb[\s\S]{0,80}?:\s*$/im,
  /^El\b[\s\S]{0,300}?escribió:\s*$/im,
  /^-{2,}\s*Original Message\s*-{2,}\s*$/im,
  /^-{2,}\s*Forwarded message\s*-{2,}\s*$/im,
  /^_{10,}\s*$/m,
  /^From:\s.+\n(?:.+\n){0,3}?(?:Sent|Date):\s.+$/im,
];

export function stripQuotedReply(text: string): string {
  let body = text.replace(/\r\n/g, '\n');
  let cut = body.length;
  for (const pattern of ATTRIBUTION) {
    const m = pattern.exec(body);
    if (m && m.index < cut) cut = m.index;
  }
  body = body.slice(0, cut);
  // A quoted block that remains (no attribution line): drop the trailing '>' lines.
  const lines = body.split('\n');
  while (lines.length && (/^\s*>/.test(lines.at(-1)!) || !lines.at(-1)!.trim())) lines.pop();
  body = lines.join('\n');
  const signature = body.search(/^-- ?$/m);
  if (signature > 0) body = body.slice(0, signature);
  const stripped = body.trim();
  // Never return nothing for a message that had text: a reply that is all quote keeps it.
  return stripped || text.trim();
}
