// D-Bus type signatures as trees, for the writer of the calls keyrot sends (marshal.ts) and the reader
// of the messages it receives (unmarshal.ts). The tree has the shape @homebridge/dbus-native gives a
// variant's signature, so values read here compare equal to that library's in the tests.

/** One complete type of a signature: its type code and, for containers, its element or field types. */
export interface SignatureNode {
  type: string;
  child: SignatureNode[];
}

/** Type codes whose values start on an 8-byte boundary (the writer and the reader align to it). */
export const ALIGNED_TO_8: ReadonlySet<string> = new Set(['x', 't', 'd', '(', '{']);

/** Type codes of the basic types (the only ones a dict entry's key may have). */
const BASIC = new Set(['y', 'b', 'n', 'q', 'i', 'u', 'x', 't', 'd', 'h', 's', 'o', 'g']);
/** The specification's limits: a signature's length, and nested arrays and structs (32 each). */
const MAX_SIGNATURE = 255;
const MAX_NESTING = 32;

const parsed = new Map<string, SignatureNode[]>();

/**
 * The complete types of a D-Bus signature (kept: a process meets only a few); throws on a malformed
 * one, without quoting it.
 */
export function parseSignature(signature: string): SignatureNode[] {
  let types = parsed.get(signature);
  if (!types) {
    types = parseAll(signature);
    // Signatures come from the bus too: only the well-formed ones, a handful, are kept.
    if (parsed.size < 64) parsed.set(signature, types);
  }
  return types;
}

/** The one complete type `signature` holds (a variant's). */
export function parseSingleType(signature: string): SignatureNode {
  const types = parseSignature(signature);
  if (types.length !== 1) throw new Error('a variant signature that is not one complete type');
  return types[0]!;
}

function parseAll(signature: string): SignatureNode[] {
  if (signature.length > MAX_SIGNATURE) throw new Error('a signature longer than 255 characters');
  let at = 0;
  const one = (arrays: number, structs: number): SignatureNode => {
    const code = signature[at++];
    if (code === undefined) throw new Error('a signature that ends inside a type');
    if (BASIC.has(code) || code === 'v') return { type: code, child: [] };
    if (code === 'a') {
      if (arrays >= MAX_NESTING) throw new Error('arrays nested too deep');
      if (signature[at] === '{') {
        at++;
        if (structs >= MAX_NESTING) throw new Error('structs nested too deep');
        const key = one(arrays + 1, structs + 1);
        if (!BASIC.has(key.type)) throw new Error('a dict entry whose key is not a basic type');
        const value = one(arrays + 1, structs + 1);
        if (signature[at++] !== '}') throw new Error('a dict entry that is not a key and a value');
        return { type: 'a', child: [{ type: '{', child: [key, value] }] };
      }
      return { type: 'a', child: [one(arrays + 1, structs)] };
    }
    if (code === '(') {
      if (structs >= MAX_NESTING) throw new Error('structs nested too deep');
      const fields: SignatureNode[] = [];
      while (signature[at] !== ')') fields.push(one(arrays, structs + 1));
      at++;
      if (fields.length === 0) throw new Error('an empty struct');
      return { type: '(', child: fields };
    }
    throw new Error(`a signature with the type code ${JSON.stringify(code)}`);
  };
  const types: SignatureNode[] = [];
  while (at < signature.length) types.push(one(0, 0));
  return types;
}
