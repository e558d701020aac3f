import fc from 'fast-check';

// Files aimed at where the AWS CLI (configparser) and the SDK part ways: header forms, `:` delimiters, key
// case, inline comments, indented continuation lines, [DEFAULT], sub-sections, and now and then a BOM, an
// invalid byte, a stray line or a repeated section/key (which make the AWS CLI fail), so that most files
// still parse and their values get compared.
const names = ['default', 'a', 'dev', 'x.y', 'p-1', 'u@h', 'Dev', 'DEFAULT'];
const keys = [
  'aws_access_key_id',
  'aws_secret_access_key',
  'region',
  'AWS_ACCESS_KEY_ID',
  'Region',
  'output',
  's3',
];
const values = [
  'AKIAIOSFODNN7EXAMPLE',
  'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  'us-east-1',
  'a=b',
  'a:b',
  'x # note',
  'x ; note',
  'x;y',
  '#x',
  ';x',
  '',
  'ünï',
  '"q"',
  'a\u00a0b',
  'two words',
  '[x]',
];

const name = fc.constantFrom(...names);
const header = fc.oneof(
  { weight: 6, arbitrary: name.map((n) => `[${n}]`) },
  { weight: 6, arbitrary: name.map((n) => `[profile ${n}]`) },
  {
    weight: 4,
    arbitrary: fc
      .tuple(
        name,
        fc.constantFrom(
          '[profile  N]',
          '[profile\tN]',
          '[profile "N"]',
          "[profile 'N']",
          '[profile "N b"]',
          '[profile "N]',
          '[profilex N]',
          '[ N ]',
          '[N] # c',
          '[N] ; c',
          '[N] junk',
          '  [N]',
          '[N]]',
          '[sso-session N]',
          '[sso-session  N]',
          '[sso-session "N"]',
          '[sso-sessions N]',
          '[services N]',
          '[services\tN]',
          '[profile N] junk',
        ),
      )
      .map(([n, form]) => form.replace('N', n)),
  },
);

const delimiter = fc.constantFrom(' = ', '=', ' =', '= ', ' : ', ':', '  =  ', '\t=\t');
const pairParts = fc.tuple(fc.constantFrom(...keys), delimiter, fc.constantFrom(...values));
const indent = fc.constantFrom(' ', '  ', '\t', '\u00a0');

// A section's lines after its header: unique keys (case-blind, as the AWS CLI compares them), mixed with
// blank lines, comments and indented lines the AWS CLI joins to the value above.
const body = fc
  .tuple(
    fc.uniqueArray(pairParts, { maxLength: 4, selector: ([k]) => k.toLowerCase() }),
    fc.array(
      fc.oneof(
        fc.constantFrom('', '# comment', '  ; comment', '#', '\t'),
        fc.tuple(indent, pairParts).map(([i, [k, d, v]]) => `${i}${k}${d}${v}`),
        fc
          .tuple(indent, fc.constantFrom('word', 'max = 10', 'max = 10', '# c', '[z]'))
          .map(([i, t]) => `${i}${t}`),
      ),
      { maxLength: 3 },
    ),
    fc.array(fc.nat(), { minLength: 3, maxLength: 3 }),
  )
  .map(([pairs, extras, at]) => {
    const lines = pairs.map(([k, d, v]) => `${k}${d}${v}`);
    // Sub-section: `s3 =` followed by indented pairs.
    if (lines.some((l) => /^s3\s*[=:]\s*$/.test(l))) {
      const opener = lines.findIndex((l) => /^s3\s*[=:]\s*$/.test(l));
      lines.splice(opener + 1, 0, '  max_concurrent_requests = 10', '  addressing_style = path');
    }
    // Extras go after the first key, where an indented line continues a value rather than stand alone.
    extras.forEach((extra, i) => {
      if (lines.length > 0) lines.splice(1 + ((at[i] as number) % lines.length), 0, extra);
    });
    return lines;
  });

const sections = fc
  .uniqueArray(fc.tuple(header, body), { maxLength: 4, selector: ([h]) => h })
  .map((blocks) => blocks.flatMap(([h, lines]) => [h, ...lines]));

/** A generated AWS file as bytes, leaning towards what both readers can read. */
export const awsCliFileBytes = fc
  .tuple(
    sections,
    fc.constantFrom('', '', '', '', '', '# preamble', '; preamble', 'stray'),
    fc.constantFrom('\n', '\n', '\r\n', '\r'),
    fc.boolean(),
    // Rare file-wide faults: a BOM, an invalid byte, a line repeated further down, a line without `=`.
    fc.oneof(
      { weight: 10, arbitrary: fc.constant(null) },
      { weight: 1, arbitrary: fc.constantFrom('bom', 'invalid-byte', 'repeat', 'garbage') },
    ),
    fc.nat(),
    fc.nat(),
  )
  .map(([lines, preamble, eol, finalNewline, fault, from, to]) => {
    const all = preamble === '' ? [...lines] : [preamble, ...lines];
    if (fault === 'repeat' && all.length > 0)
      all.splice(to % (all.length + 1), 0, all[from % all.length] as string);
    if (fault === 'garbage') all.splice(to % (all.length + 1), 0, 'garbage');
    let text = all.join(eol);
    if (finalNewline && text !== '') text += eol;
    if (fault === 'bom') text = `\uFEFF${text}`;
    const bytes = Buffer.from(text, 'utf8');
    if (fault === 'invalid-byte') return Buffer.concat([bytes, Buffer.from([0x23, 0x20, 0xff, 0x0a])]);
    return bytes;
  });
