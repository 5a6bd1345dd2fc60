/**
 * The few lines of XML the carriers' markup needs (TwiML, TeXML, Plivo XML): elements with
 * escaped attributes and children, rendered without whitespace. Vendors parse it strictly,
 * so attribute values and text are always escaped.
 */
export interface XmlElement {
  name: string;
  attributes?: Record<string, string | number | boolean | undefined>;
  children?: (XmlElement | string)[];
}

export function escapeXml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

export function renderXml(element: XmlElement): string {
  let out = `<${element.name}`;
  for (const [key, value] of Object.entries(element.attributes ?? {})) {
    if (value !== undefined) out += ` ${key}="${escapeXml(String(value))}"`;
  }
  const children = element.children ?? [];
  if (children.length === 0) return `${out}/>`;
  out += '>';
  for (const child of children) out += typeof child === 'string' ? escapeXml(child) : renderXml(child);
  return `${out}</${element.name}>`;
}

/** A complete document (`<?xml ...?><Response>...</Response>`) as a webhook answer. */
export function xmlDocument(root: XmlElement): string {
  return `<?xml version="1.0" encoding="UTF-8"?>${renderXml(root)}`;
}
