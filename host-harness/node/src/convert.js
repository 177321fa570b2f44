// The JSON convention of `psa-harness call --json` (psa_host::json), converted to and from the
// JavaScript values jco's bindings take and return, guided by the contract's type schema
// (`generated/contract.json`).
//
// | WIT | JSON (this convention) | jco |
// |---|---|---|
// | record | object, fields `snake_case`; input: a missing `option` is none, a missing `list` is empty, unknown fields are errors | object, fields `lowerCamelCase` |
// | enum | the case name | the case name |
// | variant | `{"<case>": payload}` (`null` without payload) | `{ tag, val }` |
// | option<T> | `null` or the value | `undefined` or the value |
// | list, tuple | array | array |
// | result (nested) | `{"ok": T}` / `{"err": E}` | `{ tag: 'ok' | 'err', val }` |
// | flags | array of flag names | object of booleans, `lowerCamelCase` keys |
// | u64 / s64 | number | bigint |

/** `page-size` → `page_size`. */
export const snake = (name) => name.replaceAll('-', '_');

/** `page-size` → `pageSize` (jco's field and method names). */
export const camel = (name) =>
  name.toLowerCase().replace(/-([a-z0-9])/g, (_, c) => c.toUpperCase());

const INT_RANGES = {
  u8: [0, 255], u16: [0, 65535], u32: [0, 4294967295],
  s8: [-128, 127], s16: [-32768, 32767], s32: [-2147483648, 2147483647],
};

/** Thrown when a JSON value does not fit its type; the message names the path. */
export class ConversionError extends Error {}

function fail(path, message) {
  throw new ConversionError(`${path || 'value'}: ${message}`);
}

function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** Follows aliases and named references to a structural type. */
export function resolve(schema, ty) {
  while (ty && ty.k === 'ref') {
    const def = schema.types[ty.name];
    if (!def) throw new Error(`the contract has no type \`${ty.name}\``);
    ty = def.k === 'alias' ? def.of : def;
  }
  return ty;
}

/**
 * A JSON value (this convention) as the jco value of type `ty`.
 * @param {object} schema `generated/contract.json`
 * @param {object} ty a type of the schema
 * @param {unknown} value
 * @param {string} path for messages, e.g. `request.alert`
 */
export function jsonToJs(schema, ty, value, path = '') {
  ty = resolve(schema, ty);
  switch (ty.k) {
    case 'bool':
      if (typeof value !== 'boolean') fail(path, `expected a boolean, got ${describe(value)}`);
      return value;
    case 'string':
      if (typeof value !== 'string') fail(path, `expected a string, got ${describe(value)}`);
      return value;
    case 'char':
      if (typeof value !== 'string' || [...value].length !== 1) fail(path, 'expected one character');
      return value;
    case 'u8': case 'u16': case 'u32': case 's8': case 's16': case 's32': {
      const [lo, hi] = INT_RANGES[ty.k];
      if (!Number.isInteger(value) || value < lo || value > hi) fail(path, `expected an integer in ${lo}..=${hi} (${ty.k}), got ${JSON.stringify(value)}`);
      return value;
    }
    case 'u64': case 's64':
      if (!Number.isInteger(value) || (ty.k === 'u64' && value < 0)) fail(path, `expected an integer (${ty.k})`);
      return BigInt(value);
    case 'f32': case 'f64':
      if (typeof value !== 'number') fail(path, `expected a number, got ${describe(value)}`);
      return value;
    case 'option':
      if (value === null || value === undefined) return undefined;
      if (resolve(schema, ty.of).k === 'option') fail(path, 'nested options are not supported');
      return jsonToJs(schema, ty.of, value, path);
    case 'list':
      if (!Array.isArray(value)) fail(path, `expected an array, got ${describe(value)}`);
      return value.map((v, i) => jsonToJs(schema, ty.of, v, `${path}[${i}]`));
    case 'tuple':
      if (!Array.isArray(value) || value.length !== ty.of.length) fail(path, `expected an array of ${ty.of.length}`);
      return value.map((v, i) => jsonToJs(schema, ty.of[i], v, `${path}[${i}]`));
    case 'record': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(path, `expected an object, got ${describe(value)}`);
      const known = new Set(ty.fields.map(([n]) => snake(n)));
      for (const key of Object.keys(value)) {
        if (!known.has(key)) fail(path, `unknown field \`${key}\` (expected ${[...known].map((k) => `\`${k}\``).join(', ')})`);
      }
      const out = {};
      for (const [name, fty] of ty.fields) {
        const key = snake(name);
        const sub = path ? `${path}.${key}` : key;
        const r = resolve(schema, fty);
        if (!(key in value)) {
          if (r.k === 'option') { out[camel(name)] = undefined; continue; }
          if (r.k === 'list') { out[camel(name)] = []; continue; }
          fail(sub, 'missing field');
        }
        out[camel(name)] = jsonToJs(schema, fty, value[key], sub);
      }
      return out;
    }
    case 'enum':
      if (typeof value !== 'string' || !ty.names.includes(value)) fail(path, `expected one of ${ty.names.map((n) => `"${n}"`).join(', ')}, got ${JSON.stringify(value)}`);
      return value;
    case 'flags': {
      if (!Array.isArray(value)) fail(path, 'expected an array of flag names');
      const out = Object.fromEntries(ty.names.map((n) => [camel(n), false]));
      for (const f of value) {
        if (!ty.names.includes(f)) fail(path, `unknown flag ${JSON.stringify(f)}`);
        out[camel(f)] = true;
      }
      return out;
    }
    case 'variant': {
      if (value === null || typeof value !== 'object' || Array.isArray(value) || Object.keys(value).length !== 1) {
        fail(path, `expected an object with one key, one of ${ty.cases.map(([c]) => `"${c}"`).join(', ')}`);
      }
      const [tag] = Object.keys(value);
      const c = ty.cases.find(([name]) => name === tag);
      if (!c) fail(path, `unknown case ${JSON.stringify(tag)} (expected ${ty.cases.map(([n]) => `"${n}"`).join(', ')})`);
      if (c[1] === null) return { tag };
      return { tag, val: jsonToJs(schema, c[1], value[tag], `${path}.${tag}`) };
    }
    case 'result': {
      if (value === null || typeof value !== 'object' || Object.keys(value).length !== 1 || !('ok' in value || 'err' in value)) {
        fail(path, 'expected {"ok": …} or {"err": …}');
      }
      const tag = 'ok' in value ? 'ok' : 'err';
      const inner = ty[tag];
      return { tag, val: inner ? jsonToJs(schema, inner, value[tag], `${path}.${tag}`) : undefined };
    }
    default:
      fail(path, `type ${ty.k} cannot be given as JSON`);
  }
}

/** A jco value of type `ty` in this JSON convention. */
export function jsToJson(schema, ty, value) {
  ty = resolve(schema, ty);
  switch (ty.k) {
    case 'u64': case 's64':
      return Number(value);
    case 'option':
      return value === undefined || value === null ? null : jsToJson(schema, ty.of, value);
    case 'list':
      return Array.from(value, (v) => jsToJson(schema, ty.of, v));
    case 'tuple':
      return value.map((v, i) => jsToJson(schema, ty.of[i], v));
    case 'record':
      return Object.fromEntries(ty.fields.map(([name, fty]) => [snake(name), jsToJson(schema, fty, value[camel(name)])]));
    case 'flags':
      return ty.names.filter((n) => value[camel(n)]);
    case 'variant': {
      const c = ty.cases.find(([name]) => name === value.tag);
      if (!c) throw new ConversionError(`unknown variant case ${JSON.stringify(value.tag)}`);
      return { [value.tag]: c[1] === null ? null : jsToJson(schema, c[1], value.val) };
    }
    case 'result': {
      const inner = ty[value.tag];
      return { [value.tag]: inner ? jsToJson(schema, inner, value.val) : null };
    }
    default:
      return value;
  }
}

/**
 * The parameters (after the session itself) of an operation from JSON arguments, as
 * `psa_host::json` takes them: one JSON value per parameter, trailing `option` parameters may
 * be left out.
 * @returns {unknown[]} jco values
 */
export function paramsFromJson(schema, op, fn, args) {
  const params = fn.params;
  if (args.length > params.length) {
    throw new ConversionError(`expected at most ${params.length} arguments, got ${args.length}`);
  }
  return params.map(([name, ty], i) => {
    if (i >= args.length) {
      if (resolve(schema, ty).k === 'option') return undefined;
      throw new ConversionError(`missing argument \`${snake(name)}\``);
    }
    return jsonToJs(schema, ty, args[i], snake(name));
  });
}
