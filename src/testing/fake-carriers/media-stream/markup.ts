/**
 * Reading the markup our webhooks answer with, the way the fakes (and tests) need it: a tiny
 * XML reader (elements, attributes, text; what TwiML, TeXML and Plivo XML use) and the stream
 * a document connects to.
 */
export interface XmlNode {
  name: string;
  attributes: Record<string, string>;
  children: XmlNode[];
  text: string;
}

/** Parse a small XML document (no DTDs, no CDATA: carrier markup has none). */
export function parseXml(xml: string): XmlNode {
  const src = xml.replace(/<\?xml[^?]*\?>/, '').trim();
  const root: XmlNode = { name: '#root', attributes: {}, children: [], text: '' };
  const stack: XmlNode[] = [root];
  const tag = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|([^<]+)/g;
  for (let m = tag.exec(src); m; m = tag.exec(src)) {
    const parent = stack[stack.length - 1]!;
    if (m[5] !== undefined) {
      if (m[5].trim()) parent.text += unescapeXml(m[5]);
      continue;
    }
    if (m[1]) {
      if (stack.length < 2 || parent.name !== m[2]) throw new Error(`unbalanced XML at </${m[2]}>`);
      stack.pop();
      continue;
    }
    const node: XmlNode = { name: m[2]!, attributes: attributesOf(m[3] ?? ''), children: [], text: '' };
    parent.children.push(node);
    if (!m[4]) stack.push(node);
  }
  if (stack.length !== 1 || root.children.length !== 1)
    throw new Error('XML document is not one balanced element');
  return root.children[0]!;
}

export function findXml(node: XmlNode, name: string): XmlNode | undefined {
  if (node.name === name) return node;
  for (const child of node.children) {
    const found = findXml(child, name);
    if (found) return found;
  }
  return undefined;
}

function attributesOf(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const attr = /([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
  for (let m = attr.exec(text); m; m = attr.exec(text)) out[m[1]!] = unescapeXml(m[2] ?? m[3] ?? '');
  return out;
}

function unescapeXml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n)))
    .replace(/&amp;/g, '&');
}

/** The stream a TwiML/TeXML `<Connect><Stream>` (or Plivo `<Stream>`) document opens. */
export function streamOfXml(xml: string): {
  url: string;
  attributes: Record<string, string>;
  parameters: Record<string, string>;
} {
  const doc = parseXml(xml);
  const stream = findXml(doc, 'Stream');
  if (!stream) throw new Error(`no <Stream> in the markup: ${xml}`);
  const url = stream.attributes.url ?? stream.text.trim();
  const parameters: Record<string, string> = {};
  for (const p of stream.children.filter((c) => c.name === 'Parameter')) {
    parameters[p.attributes.name ?? ''] = p.attributes.value ?? '';
  }
  return { url, attributes: stream.attributes, parameters };
}
