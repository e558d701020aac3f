// docs/architecture.md stays true: its "What each folder owns" section names every file in src/, and
// only files that exist. A bullet names files before its colon, relative to the `### \`src/…/\`` heading
// above it: "- `a.ts`, `steps/b.ts`: what they do".
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Every file under src/, as `src/…` paths. */
async function srcFiles(): Promise<string[]> {
  const entries = await readdir(join(ROOT, 'src'), { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)).split('\\').join('/'))
    .sort();
}

/** The files the folder section of the document names, as `src/…` paths. */
function documentedFiles(markdown: string): string[] {
  const section = markdown.split(/^## /m).find((part) => part.startsWith('What each folder owns'));
  if (!section) throw new Error('docs/architecture.md has no "What each folder owns" section');
  const files: string[] = [];
  let folder: string | null = null;
  for (const line of section.split('\n')) {
    const heading = /^### `(src\/(?:[\w.-]+\/)*)`\s*$/.exec(line);
    if (heading) {
      folder = heading[1]!;
      continue;
    }
    const bullet = /^- (`[^:]+`):/.exec(line);
    if (!bullet) continue;
    if (folder === null) throw new Error(`a file bullet before any folder heading: ${line}`);
    for (const [, name] of bullet[1]!.matchAll(/`([^`]+)`/g)) files.push(`${folder}${name}`);
  }
  return files.sort();
}

describe('docs/architecture.md', () => {
  it('names every file in src/ once, and no file that does not exist', async () => {
    const documented = documentedFiles(await readFile(join(ROOT, 'docs/architecture.md'), 'utf8'));
    expect(documented.filter((file, i) => documented.indexOf(file) !== i)).toEqual([]);
    const actual = await srcFiles();
    expect({
      missingFromDoc: actual.filter((file) => !documented.includes(file)),
      notInSrc: documented.filter((file) => !actual.includes(file)),
    }).toEqual({ missingFromDoc: [], notInSrc: [] });
  });

  it("reads names only before a bullet's colon, relative to its folder heading", () => {
    const markdown = [
      '## What each folder owns',
      '### `src/`',
      '- `cli.ts`: parses `--help` (see `commands/x.ts`)',
      '### `src/rotation/`',
      '- `a.ts`, `steps/b.ts`: two',
      'text with `c.ts` is not a bullet',
      '## Next section',
      '- `d.ts`: outside',
    ].join('\n');
    expect(documentedFiles(markdown)).toEqual(['src/cli.ts', 'src/rotation/a.ts', 'src/rotation/steps/b.ts']);
  });
});
