import fc from 'fast-check';

// A small pool of names so generated files repeat sections and keys (merges, last-wins, overrides).
const names = ['default', 'a', 'dev', 'x.y', 'p-1', 'u@h', 'Dev', 'profile', '1'];
const keys = [
  'aws_access_key_id',
  'aws_secret_access_key',
  'aws_session_token',
  'region',
  'AWS_ACCESS_KEY_ID',
  's3',
  'max',
  'role_arn',
];
const values = [
  'AKIAIOSFODNN7EXAMPLE',
  'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  'us-east-1',
  'a=b',
  'abc#x',
  'abc;x',
  '"quoted"',
  "'single'",
  'two words',
  '==',
  '[x]',
  'ünï',
  '',
];
const spaces = ['', ' ', '  ', '\t', ' \t', '\u00a0', '\u3000'];
const comments = ['; c', '# c', ';', '#', '; [fake] = 1', '# k = v'];

const ws = fc.constantFrom(...spaces);
const name = fc.constantFrom(...names);

const header = fc.oneof(
  fc.constant('[default]'),
  fc.tuple(ws, name, ws).map(([a, n, b]) => `${a}[profile ${n}]${b}`),
  name.map((n) => `[${n}]`),
  name.map((n) => `[ ${n} ]`),
  name.map((n) => `[profile "${n}"]`),
  name.map((n) => `[profile '${n}']`),
  name.map((n) => `[profile '${n}"]`),
  name.map((n) => `[profile\t${n}]`),
  name.map((n) => `[profile  ${n}]`),
  name.map((n) => `[profile.${n}]`),
  name.map((n) => `[sso-session ${n}]`),
  name.map((n) => `[services ${n}]`),
  name.map((n) => `[other ${n}]`),
  name.map((n) => `[${n}] ; comment`),
  name.map((n) => `[${n}]#nope`),
  name.map((n) => `[${n}`),
  fc.constant('[]'),
  fc.constant('[profile default]'),
);

const pair = fc
  .tuple(
    ws,
    fc.constantFrom(...keys),
    ws,
    ws,
    fc.constantFrom(...values),
    ws,
    fc.option(fc.constantFrom(...comments)),
  )
  .map(([a, k, b, c, v, d, comment]) => `${a}${k}${b}=${c}${v}${d}${comment === null ? '' : ` ${comment}`}`);

const other = fc.oneof(
  fc.constantFrom('', ' ', '\t', 'garbage', '=x', ' = y', 'k', '\r', 'a\rb = c'),
  fc.tuple(ws, fc.constantFrom(...comments)).map(([a, c]) => `${a}${c}`),
);

const subSection = fc
  .tuple(fc.constantFrom('s3', 'ec2', 'aws_access_key_id'), fc.array(fc.tuple(ws, pair), { maxLength: 3 }))
  .map(([opener, lines]) => [
    `${opener} =`,
    ...lines.map(([indent, line]) => `${indent === '' ? ' ' : indent}${line.trimStart()}`),
  ]);

const block = fc
  .tuple(
    header,
    fc.array(
      fc.oneof(
        { weight: 5, arbitrary: pair.map((l) => [l]) },
        { weight: 2, arbitrary: other.map((l) => [l]) },
        { weight: 1, arbitrary: subSection },
      ),
      { maxLength: 6 },
    ),
  )
  .map(([h, lines]) => [h, ...lines.flat()]);

/** A random AWS shared file: sections (repeated, prefixed, odd), pairs, sub-sections, comments; CRLF/LF/BOM. */
export const sharedFileText = fc
  .tuple(
    fc.array(other, { maxLength: 2 }),
    fc.array(block, { minLength: 0, maxLength: 6 }),
    fc.constantFrom('\n', '\r\n', 'mixed'),
    fc.boolean(),
    fc.boolean(),
  )
  .map(([preamble, blocks, newline, bom, finalNewline]) => {
    const lines = [...preamble, ...blocks.flat()];
    let text = '';
    lines.forEach((line, index) => {
      const eol = newline === 'mixed' ? (index % 2 === 0 ? '\r\n' : '\n') : newline;
      text += index === lines.length - 1 && !finalNewline ? line : line + eol;
    });
    return (bom ? '\uFEFF' : '') + text;
  });
