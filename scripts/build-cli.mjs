// Bundles the compiled entry (dist/cli.js) with what it imports statically — commander and a few small
// modules — into one CommonJS file, dist/cli.cjs, the package's `bin`. Node starts a single CommonJS
// file ~20 ms sooner than the same code as a graph of ES modules (the `keyrot --version`/`--help`
// target is 1.3x `node -e 0`). Every dynamic import() (the commands, the error reporting) stays a real
// import of the ES module beside it, so commands load lazily and share one copy of each module.
import { chmod } from 'node:fs/promises';
import { build } from 'esbuild';

const entry = new URL('../dist/cli.js', import.meta.url).pathname;
const outfile = new URL('../dist/cli.cjs', import.meta.url).pathname;

await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  logLevel: 'warning',
  // import.meta does not exist in CommonJS: give it this file's URL (cli.ts reads ../package.json).
  define: { 'import.meta.url': '__keyrotEntryUrl' },
  banner: { js: "const __keyrotEntryUrl = require('node:url').pathToFileURL(__filename).href;" },
  plugins: [
    {
      name: 'dynamic-imports-stay-external',
      setup(b) {
        b.onResolve({ filter: /.*/ }, (args) =>
          args.kind === 'dynamic-import' ? { path: args.path, external: true } : undefined,
        );
      },
    },
  ],
});
await chmod(outfile, 0o755);
