// A reader for the subset of WIT the psa:connector contract uses (`wit/*.wit`): one package,
// interfaces with `use`, records, variants, enums, flags, type aliases and one resource with
// static and instance methods. It produces the type schema `convert.js` walks to turn the JSON
// convention of `psa-harness call --json` into jco's JavaScript values and back.
//
// Used by `scripts/generate.js`, which writes `generated/contract.json` (committed); the host
// itself never parses WIT at run time.

/**
 * @typedef {{ k: string, of?: Ty | Ty[], ok?: Ty | null, err?: Ty | null, name?: string }} Ty
 */

const PRIMITIVES = new Set([
  'bool', 'u8', 'u16', 'u32', 'u64', 's8', 's16', 's32', 's64', 'f32', 'f64', 'char', 'string',
]);

/** Splits WIT source into tokens, dropping comments and doc comments. */
function tokenize(source) {
  const tokens = [];
  const re = /\s+|\/\/[^\n]*|\/\*[\s\S]*?\*\/|(->|[{}()<>,:;=.\/@*_])|(%?[A-Za-z][A-Za-z0-9-]*)|([0-9]+(?:\.[0-9]+)*(?:-[0-9A-Za-z.-]+)?)/y;
  let pos = 0;
  while (pos < source.length) {
    re.lastIndex = pos;
    const m = re.exec(source);
    if (!m) throw new Error(`WIT: unexpected character at offset ${pos}: ${JSON.stringify(source.slice(pos, pos + 20))}`);
    pos = re.lastIndex;
    const tok = m[1] ?? m[2] ?? m[3];
    if (tok !== undefined) tokens.push(tok.startsWith('%') ? tok.slice(1) : tok);
  }
  return tokens;
}

class Parser {
  constructor(tokens) {
    this.t = tokens;
    this.i = 0;
  }
  peek(n = 0) { return this.t[this.i + n]; }
  next() {
    if (this.i >= this.t.length) throw new Error('WIT: unexpected end of input');
    return this.t[this.i++];
  }
  eat(tok) {
    if (this.peek() === tok) { this.i++; return true; }
    return false;
  }
  expect(tok) {
    const got = this.next();
    if (got !== tok) throw new Error(`WIT: expected \`${tok}\`, got \`${got}\` (token ${this.i})`);
  }
  /** A type expression. */
  type() {
    const name = this.next();
    if (PRIMITIVES.has(name)) return { k: name };
    switch (name) {
      case 'list': { this.expect('<'); const of = this.type(); this.expect('>'); return { k: 'list', of }; }
      case 'option': { this.expect('<'); const of = this.type(); this.expect('>'); return { k: 'option', of }; }
      case 'tuple': {
        this.expect('<');
        const of = [this.type()];
        while (this.eat(',')) of.push(this.type());
        this.expect('>');
        return { k: 'tuple', of };
      }
      case 'result': {
        if (!this.eat('<')) return { k: 'result', ok: null, err: null };
        let ok = null;
        if (!this.eat('_')) ok = this.type();
        let err = null;
        if (this.eat(',')) err = this.type();
        this.expect('>');
        return { k: 'result', ok, err };
      }
      case 'own': case 'borrow': {
        this.expect('<'); const of = this.next(); this.expect('>');
        return { k: name, name: of };
      }
      default:
        return { k: 'ref', name };
    }
  }
  /** `name: type` pairs up to `close`. */
  params(close) {
    const out = [];
    while (!this.eat(close)) {
      const name = this.next();
      this.expect(':');
      out.push([name, this.type()]);
      if (!this.eat(',')) { this.expect(close); break; }
    }
    return out;
  }
  /** `func(params) [-> type]`. */
  func() {
    this.expect('func');
    this.expect('(');
    const params = this.params(')');
    const result = this.eat('->') ? this.type() : null;
    this.expect(';');
    return { params, result };
  }
  /** Skips a balanced `{ ... }` block or up to `;`. */
  skipItem() {
    let depth = 0;
    for (;;) {
      const tok = this.next();
      if (tok === '{') depth++;
      else if (tok === '}') { depth--; if (depth === 0) { this.eat(';'); return; } }
      else if (tok === ';' && depth === 0) return;
    }
  }
}

/**
 * Parses the `.wit` files of one package (their text, in any order).
 * @param {string[]} sources
 * @returns {{ package: string, version: string, types: Record<string, any>, interfaces: Record<string, { functions: Record<string, any> }> }}
 */
export function parsePackage(sources) {
  const out = { package: '', version: '', types: {}, interfaces: {} };
  for (const source of sources) {
    const p = new Parser(tokenize(source));
    while (p.peek() !== undefined) {
      const tok = p.next();
      if (tok === 'package') {
        const ns = p.next(); p.expect(':'); const name = p.next();
        out.package = `${ns}:${name}`;
        if (p.eat('@')) out.version = p.next();
        p.expect(';');
      } else if (tok === 'interface') {
        parseInterface(p, p.next(), out);
      } else if (tok === 'world') {
        p.next();
        p.skipItem();
      } else {
        throw new Error(`WIT: unexpected \`${tok}\` at top level`);
      }
    }
  }
  return out;
}

function parseInterface(p, name, out) {
  const iface = { functions: {} };
  out.interfaces[name] = iface;
  p.expect('{');
  while (!p.eat('}')) {
    const tok = p.next();
    switch (tok) {
      case 'use': p.skipItem(); break;
      case 'record': {
        const tname = p.next(); p.expect('{');
        const fields = [];
        while (!p.eat('}')) {
          const f = p.next(); p.expect(':'); fields.push([f, p.type()]);
          if (!p.eat(',')) { p.expect('}'); break; }
        }
        out.types[tname] = { k: 'record', fields };
        break;
      }
      case 'variant': {
        const tname = p.next(); p.expect('{');
        const cases = [];
        while (!p.eat('}')) {
          const c = p.next();
          let ty = null;
          if (p.eat('(')) { ty = p.type(); p.expect(')'); }
          cases.push([c, ty]);
          if (!p.eat(',')) { p.expect('}'); break; }
        }
        out.types[tname] = { k: 'variant', cases };
        break;
      }
      case 'enum': case 'flags': {
        const tname = p.next(); p.expect('{');
        const names = [];
        while (!p.eat('}')) {
          names.push(p.next());
          if (!p.eat(',')) { p.expect('}'); break; }
        }
        out.types[tname] = { k: tok, names };
        break;
      }
      case 'type': {
        const tname = p.next(); p.expect('='); const ty = p.type(); p.expect(';');
        out.types[tname] = { k: 'alias', of: ty };
        break;
      }
      case 'resource': {
        const rname = p.next();
        out.types[rname] = { k: 'resource' };
        if (p.eat(';')) break;
        p.expect('{');
        while (!p.eat('}')) {
          const mname = p.next(); p.expect(':');
          const isStatic = p.eat('static');
          if (p.peek() === 'constructor') throw new Error('WIT: constructors are not supported');
          const f = p.func();
          iface.functions[`${rname}.${mname}`] = { ...f, static: isStatic, resource: rname, method: mname };
        }
        break;
      }
      default: {
        // `name: func(...)`
        p.expect(':');
        iface.functions[tok] = p.func();
      }
    }
  }
}
