// A small namespace-aware XML reader for response bodies that xmllint has already accepted as
// well-formed: elements, attributes, text (entities and character references decoded, line ends
// normalised as an XML parser does), CDATA. Comments and processing instructions are skipped.

const NS_XML = 'http://www.w3.org/XML/1998/namespace';

function decodeText(raw) {
  return raw.replace(/\r\n?/g, '\n').replace(/&(#x[0-9a-fA-F]+|#\d+|lt|gt|amp|quot|apos);/g, (_, e) => {
    if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    return { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }[e];
  });
}

const NAME = '[^\\s/>=]+';
const ATTR_RE = new RegExp(`(${NAME})\\s*=\\s*("([^"]*)"|'([^']*)')`, 'g');

// Parses a document; returns the root element:
// { qname, prefix, local, ns, attrs: [{ qname, prefix, local, ns, value }], nsDecls: {prefix: uri}, children, text }
// `text` is the concatenated character data directly inside the element; `children` holds elements only.
export function parseXml(src) {
  let i = 0;
  const stack = [];
  let root = null;
  const scopes = [{ xml: NS_XML }];
  const resolve = (prefix, scope, isAttr) => {
    if (isAttr && prefix === '') return '';
    const uri = scope[prefix === '' ? '' : prefix];
    if (uri === undefined && prefix !== '') throw new Error(`undeclared prefix ${prefix}`);
    return uri || '';
  };
  while (i < src.length) {
    if (src.startsWith('<!--', i)) {
      const e = src.indexOf('-->', i);
      i = e + 3;
    } else if (src.startsWith('<?', i)) {
      const e = src.indexOf('?>', i);
      i = e + 2;
    } else if (src.startsWith('<![CDATA[', i)) {
      const e = src.indexOf(']]>', i);
      if (stack.length) stack[stack.length - 1].text += src.slice(i + 9, e).replace(/\r\n?/g, '\n');
      i = e + 3;
    } else if (src.startsWith('<!', i)) {
      const e = src.indexOf('>', i);
      i = e + 1;
    } else if (src.startsWith('</', i)) {
      const e = src.indexOf('>', i);
      const name = src.slice(i + 2, e).trim();
      const el = stack.pop();
      scopes.pop();
      if (!el || el.qname !== name) throw new Error(`mismatched end tag ${name}`);
      i = e + 1;
    } else if (src[i] === '<') {
      let e = i + 1;
      let quote = null;
      for (; e < src.length; e++) { // find the '>' that ends the tag, outside attribute values
        const c = src[e];
        if (quote) {
          if (c === quote) quote = null;
        } else if (c === '"' || c === "'") quote = c;
        else if (c === '>') break;
      }
      let inner = src.slice(i + 1, e);
      const selfClosing = inner.endsWith('/');
      if (selfClosing) inner = inner.slice(0, -1);
      const nm = /^\S+/.exec(inner)[0];
      const rawAttrs = [];
      ATTR_RE.lastIndex = nm.length;
      let m;
      while ((m = ATTR_RE.exec(inner))) rawAttrs.push([m[1], decodeText(m[3] !== undefined ? m[3] : m[4]).replace(/[\t\n]/g, ' ')]);
      const scope = { ...scopes[scopes.length - 1] };
      const nsDecls = {};
      for (const [k, v] of rawAttrs) {
        if (k === 'xmlns') {
          scope[''] = v;
          nsDecls[''] = v;
        } else if (k.startsWith('xmlns:')) {
          scope[k.slice(6)] = v;
          nsDecls[k.slice(6)] = v;
        }
      }
      const split = (q) => {
        const c = q.indexOf(':');
        return c < 0 ? ['', q] : [q.slice(0, c), q.slice(c + 1)];
      };
      const [prefix, local] = split(nm);
      const el = { qname: nm, prefix, local, ns: resolve(prefix, scope, false), attrs: [], nsDecls, children: [], text: '' };
      for (const [k, v] of rawAttrs) {
        if (k === 'xmlns' || k.startsWith('xmlns:')) continue;
        const [ap, al] = split(k);
        el.attrs.push({ qname: k, prefix: ap, local: al, ns: resolve(ap, scope, true), value: v });
      }
      if (stack.length) stack[stack.length - 1].children.push(el);
      else if (root) throw new Error('more than one root element');
      else root = el;
      if (!selfClosing) {
        stack.push(el);
        scopes.push(scope);
      }
      i = e + 1;
    } else {
      const e = src.indexOf('<', i);
      const end = e < 0 ? src.length : e;
      const t = src.slice(i, end);
      if (stack.length) stack[stack.length - 1].text += decodeText(t);
      else if (t.trim()) throw new Error('text outside the root element');
      i = end;
    }
  }
  if (stack.length) throw new Error('unclosed element');
  if (!root) throw new Error('no root element');
  return root;
}

export const NS_I = 'http://www.w3.org/2001/XMLSchema-instance';

// Whether an element carries i:nil="true" (the XMLSchema-instance nil attribute).
export function isNil(el) {
  return el.attrs.some((a) => a.ns === NS_I && a.local === 'nil' && a.value === 'true');
}

// A comparable plain form: { name: '{ns}local', nil?, text?, children? }. An element with child elements
// keeps them (and its text must be white space only); a leaf keeps its text; a nil leaf keeps nil: true.
export function plain(el) {
  const out = { name: `{${el.ns}}${el.local}` };
  if (isNil(el)) {
    out.nil = true;
    if (el.children.length || el.text) out.unexpectedContent = true;
    return out;
  }
  if (el.children.length) {
    if (el.text.trim()) out.mixedText = el.text;
    out.children = el.children.map(plain);
  } else {
    out.text = el.text;
  }
  return out;
}

// Finds the direct children of an element by local name.
export function kids(el, local) {
  return el.children.filter((c) => c.local === local);
}
