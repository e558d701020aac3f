// The layer check of `npm run lint` (dependency-cruiser with .dependency-cruiser.cjs) run on small
// made-up trees: each forbidden import is reported under its rule, and the imports the map allows are not.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/cleanup.js';
import { runCommand } from '../support/run-cli.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEPCRUISE = join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');

/** Writes `files` (path under the tree → the paths it imports) as TypeScript modules. */
async function tree(files: Record<string, string[]>): Promise<string> {
  const dir = await tempDir('layers');
  await writeFile(
    join(dir, 'tsconfig.build.json'),
    JSON.stringify({ compilerOptions: { module: 'NodeNext' } }),
  );
  for (const [file, imports] of Object.entries(files)) {
    await mkdir(dirname(join(dir, file)), { recursive: true });
    const lines = imports.map((target, i) => {
      const from = dirname(file).split('/').length - 1;
      const spec = `${'../'.repeat(from)}${target.replace(/^src\//, '').replace(/\.ts$/, '.js')}`;
      return `import type { T as T${i} } from '${spec.startsWith('.') ? spec : `./${spec}`}';`;
    });
    await writeFile(join(dir, file), `${lines.join('\n')}\nexport type T = string;\n`);
  }
  return dir;
}

/** What `npm run lint`'s check reports for the tree: "rule: importing file", sorted. */
async function violations(dir: string): Promise<string[]> {
  const result = await runCommand(process.execPath, [DEPCRUISE, 'src', '--config', CONFIG], { cwd: dir });
  const found = [...result.stdout.matchAll(/^\s*error ([\w-]+): (\S+) →/gm)].map((m) => `${m[1]}: ${m[2]}`);
  // The exit code is the number of errors: it is what fails `npm run lint`.
  expect(result.code, result.stdout + result.stderr).toBe(found.length);
  return found.sort();
}

describe('the layer map check', () => {
  it('passes imports that point down the map', async () => {
    const dir = await tree({
      'src/cli.ts': ['src/commands/a.ts', 'src/errors/e.ts'],
      'src/commands/a.ts': ['src/daemon/d.ts', 'src/tray/t.ts', 'src/service/s.ts', 'src/emulator/m.ts'],
      'src/daemon/d.ts': ['src/rotation/r.ts', 'src/state/st.ts'],
      'src/tray/t.ts': ['src/state/st.ts', 'src/config/c.ts'],
      'src/service/s.ts': ['src/log/l.ts'],
      'src/rotation/r.ts': ['src/credentials/cr.ts', 'src/keychain/k.ts', 'src/aws/a.ts', 'src/lock/lo.ts'],
      'src/credentials/cr.ts': ['src/fs/f.ts', 'src/lock/lo.ts'],
      'src/keychain/k.ts': ['src/notify/n.ts', 'src/time/ti.ts'],
      'src/state/st.ts': ['src/fs/f.ts'],
      'src/emulator/m.ts': ['src/fs/f.ts', 'src/time/ti.ts', 'src/errors/e.ts'],
      'src/fs/f.ts': ['src/errors/e.ts'],
      'src/aws/a.ts': [],
      'src/config/c.ts': [],
      'src/lock/lo.ts': [],
      'src/log/l.ts': [],
      'src/notify/n.ts': [],
      'src/time/ti.ts': [],
      'src/errors/e.ts': [],
    });
    expect(await violations(dir)).toEqual([]);
  });

  it('fails on an import up the map, sideways between tray/daemon/service, out of the emulator, and on a cycle', async () => {
    const dir = await tree({
      // Up: the rotation engine reaching for the commands' context (what issue 13 found).
      'src/rotation/r.ts': ['src/commands/context.ts'],
      'src/commands/context.ts': [],
      // Up from the middle and from the bottom.
      'src/keychain/k.ts': ['src/rotation/r.ts'],
      'src/time/ti.ts': ['src/log/l.ts'],
      'src/log/l.ts': [],
      // Sideways: the tray into the daemon.
      'src/tray/t.ts': ['src/daemon/d.ts'],
      'src/daemon/d.ts': [],
      // The emulator importing keyrot's config, and a layer other than commands importing the emulator.
      'src/emulator/m.ts': ['src/config/c.ts'],
      'src/config/c.ts': [],
      'src/service/s.ts': ['src/emulator/m.ts'],
      // A cycle inside one folder.
      'src/state/a.ts': ['src/state/b.ts'],
      'src/state/b.ts': ['src/state/a.ts'],
    });
    expect(await violations(dir)).toEqual([
      'bottom-imports-only-bottom: src/time/ti.ts',
      'commands-only-from-cli: src/rotation/r.ts',
      'daemon-only-from-above: src/tray/t.ts',
      'emulator-imports-only-bottom: src/emulator/m.ts',
      'emulator-only-from-commands: src/service/s.ts',
      'middle-imports-only-middle-and-bottom: src/keychain/k.ts',
      'no-cycles: src/state/a.ts',
      'rotation-only-from-above: src/keychain/k.ts',
    ]);
  });
});
