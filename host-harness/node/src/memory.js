// The memory cap: a maximum written into the declaration of every linear memory a core module
// of the component defines, before it is compiled. V8 then refuses `memory.grow` past it (the
// instruction returns -1, as the wasm spec requires for a declared maximum), which is the same
// effect wasmtime's `StoreLimits` has in the Rust host: the guest's allocator sees the failure
// (a Rust connector aborts, which is a trap). V8's `resourceLimits` on the worker do not cover
// linear memory at all (it lives outside the JS heap); this does. See README.md, "What the
// limits guarantee".

const PAGE = 65536;

function readU32(bytes, pos) {
  let result = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[pos++];
    if (b === undefined) throw new Error('truncated LEB128');
    result += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if ((b & 0x80) === 0) return [result, pos];
    if (shift > 35) throw new Error('LEB128 too long');
  }
}

function writeU32(value) {
  const out = [];
  do {
    let b = value % 128;
    value = Math.floor(value / 128);
    if (value !== 0) b |= 0x80;
    out.push(b);
  } while (value !== 0);
  return out;
}

/**
 * `bytes` (a core wasm module) with every memory it defines capped at `maxBytes` (rounded
 * down to whole 64 KiB pages). A memory that already declares a smaller maximum keeps it.
 * Imported memories are left alone (they are defined, and capped, in another module).
 * @param {Uint8Array} bytes
 * @param {number} maxBytes
 * @returns {{ bytes: Uint8Array, memories: { minPages: number, maxPages: number }[] }}
 */
export function capMemories(bytes, maxBytes) {
  const maxPages = Math.floor(maxBytes / PAGE);
  if (bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new Error('not a core wasm module');
  }
  const parts = [bytes.subarray(0, 8)];
  const memories = [];
  let pos = 8;
  while (pos < bytes.length) {
    const id = bytes[pos];
    const [size, bodyStart] = readU32(bytes, pos + 1);
    const bodyEnd = bodyStart + size;
    if (id !== 5) {
      parts.push(bytes.subarray(pos, bodyEnd));
      pos = bodyEnd;
      continue;
    }
    let p = bodyStart;
    let count;
    [count, p] = readU32(bytes, p);
    const body = [...writeU32(count)];
    for (let i = 0; i < count; i++) {
      const flags = bytes[p++];
      if (flags & ~0x01) {
        throw new Error(`memory ${i} has limits flags 0x${flags.toString(16)} (shared or 64-bit memories are not supported)`);
      }
      let min;
      [min, p] = readU32(bytes, p);
      let max = Infinity;
      if (flags & 0x01) [max, p] = readU32(bytes, p);
      const capped = Math.min(max, maxPages);
      if (min > capped) {
        throw new RangeError(`the component's memory starts at ${min * PAGE} bytes, more than the memory cap of ${maxBytes} bytes`);
      }
      memories.push({ minPages: min, maxPages: capped });
      body.push(0x01, ...writeU32(min), ...writeU32(capped));
    }
    if (p !== bodyEnd) throw new Error('unexpected bytes at the end of the memory section');
    parts.push(Uint8Array.from([5, ...writeU32(body.length), ...body]));
    pos = bodyEnd;
  }
  const out = new Uint8Array(parts.reduce((n, b) => n + b.length, 0));
  let o = 0;
  for (const b of parts) {
    out.set(b, o);
    o += b.length;
  }
  return { bytes: out, memories };
}
