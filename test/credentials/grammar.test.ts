import { describe, expect, it } from 'vitest';
import { isJsWhitespace, unwritableValueReason } from '../../src/credentials/grammar.js';

describe('grammar helpers', () => {
  it('isJsWhitespace matches JavaScript \\s (and so trim) for every UTF-16 code unit', () => {
    const mismatches: number[] = [];
    for (let code = 0; code <= 0xffff; code += 1) {
      if (isJsWhitespace(code) !== /\s/.test(String.fromCharCode(code))) mismatches.push(code);
    }
    expect(mismatches).toEqual([]);
  });

  it('refuses values the SDK would not read back unchanged, without quoting them', () => {
    expect(unwritableValueReason('AKIAIOSFODNN7EXAMPLE')).toBeNull();
    expect(unwritableValueReason('a=b#c')).toBeNull();
    for (const bad of ['', ' x', 'x ', 'a\nb', 'a ;b', '#x', 'a\t#b']) {
      expect(unwritableValueReason(bad)).toMatch(/./);
      expect(unwritableValueReason(bad)).not.toContain(bad.trim() || '\u0000');
    }
  });
});
