// Markdown for messages: paragraphs, line breaks, **bold**, *italic*, `code`, fenced code
// blocks, lists, quotes, headings and [links](https://...). It builds DOM nodes with
// textContent only: a message can never inject HTML (a <script> or an onerror attribute is
// shown as the text it is), and links are http(s) only, opened without an opener.

const FENCE = /^```\s*([\w+-]*)\s*$/;
const HEADING = /^(#{1,6})\s+(.*)$/;
const BULLET = /^\s*[-*+]\s+(.*)$/;
const NUMBERED = /^\s*\d{1,9}[.)]\s+(.*)$/;
const QUOTE = /^>\s?(.*)$/;
const INLINE =
  /(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)|\*\*(\S(?:[\s\S]*?\S)?)\*\*|__(\S(?:[\s\S]*?\S)?)__|\*(\S(?:[^*]*?\S)?)\*|(?<![\w])_(\S(?:[^_]*?\S)?)_(?![\w])|\[([^\]\n]{1,500})\]\((https?:\/\/[^\s)]{1,2000})\)|(https?:\/\/[^\s<>()]{2,2000}[^\s<>().,;:!?'"])/;

/** The markdown text as a fragment of safe DOM nodes. */
export function renderMarkdown(text) {
  const out = document.createDocumentFragment();
  const lines = String(text).replace(/\r\n?/g, '\n').split('\n');
  for (let i = 0; i < lines.length; ) {
    const line = lines[i];
    const fence = FENCE.exec(line);
    if (fence) {
      const code = [];
      for (i++; i < lines.length && !/^```\s*$/.test(lines[i]); i++) code.push(lines[i]);
      i++; // the closing fence (or the end, for a reply still streaming)
      const pre = document.createElement('pre');
      const el = document.createElement('code');
      if (fence[1]) el.dataset.lang = fence[1];
      el.textContent = code.join('\n');
      pre.append(el);
      out.append(pre);
      continue;
    }
    if (!line.trim()) {
      i++;
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      const el = document.createElement('p');
      el.className = `md-h md-h${heading[1].length}`;
      el.append(inline(heading[2]));
      out.append(el);
      i++;
      continue;
    }
    const list = BULLET.test(line) ? BULLET : NUMBERED.test(line) ? NUMBERED : undefined;
    if (list) {
      const el = document.createElement(list === BULLET ? 'ul' : 'ol');
      for (; i < lines.length && list.test(lines[i]); i++) {
        const item = document.createElement('li');
        item.append(inline(list.exec(lines[i])[1]));
        el.append(item);
      }
      out.append(el);
      continue;
    }
    if (QUOTE.test(line)) {
      const quoted = [];
      for (; i < lines.length && QUOTE.test(lines[i]); i++) quoted.push(QUOTE.exec(lines[i])[1]);
      const el = document.createElement('blockquote');
      el.append(joinLines(quoted));
      out.append(el);
      continue;
    }
    const para = [];
    for (; i < lines.length && lines[i].trim() && !isBlockStart(lines[i]); i++) para.push(lines[i]);
    const p = document.createElement('p');
    p.append(joinLines(para));
    out.append(p);
  }
  return out;
}

function isBlockStart(line) {
  return (
    FENCE.test(line) || HEADING.test(line) || BULLET.test(line) || NUMBERED.test(line) || QUOTE.test(line)
  );
}

/** Lines of one paragraph, joined by line breaks. */
function joinLines(lines) {
  const frag = document.createDocumentFragment();
  lines.forEach((line, n) => {
    if (n) frag.append(document.createElement('br'));
    frag.append(inline(line));
  });
  return frag;
}

/** Inline spans: code, bold, italic, links; everything else is text. */
function inline(text) {
  const frag = document.createDocumentFragment();
  let rest = text;
  for (let guard = 0; rest && guard < 10_000; guard++) {
    const m = INLINE.exec(rest);
    if (!m) break;
    if (m.index) frag.append(rest.slice(0, m.index));
    const [all, , code, bold, bold2, em, em2, label, href, bare] = m;
    if (code !== undefined) {
      const el = document.createElement('code');
      el.textContent = code;
      frag.append(el);
    } else if (bold !== undefined || bold2 !== undefined) {
      const el = document.createElement('strong');
      el.append(inline(bold ?? bold2));
      frag.append(el);
    } else if (em !== undefined || em2 !== undefined) {
      const el = document.createElement('em');
      el.append(inline(em ?? em2));
      frag.append(el);
    } else {
      frag.append(link(label ?? bare, href ?? bare));
    }
    rest = rest.slice(m.index + all.length);
  }
  if (rest) frag.append(rest);
  return frag;
}

function link(label, href) {
  const a = document.createElement('a');
  a.href = href;
  a.target = '_blank';
  a.rel = 'noopener noreferrer nofollow';
  a.textContent = label;
  return a;
}
