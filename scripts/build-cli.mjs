// Bundles the compiled entry (dist/cli.js) with what it imports statically — commander and a few small
// modules — into one CommonJS file, dist/cli.cjs, the package's `bin`. Node starts a single CommonJS
// file ~20 ms sooner than the same code as a graph of ES modules (the `keyrot --version`/`--help`
// target is 1.3x `node -e 0`). Every dynamic import() (the commands, the error reporting) stays a real
// import of the ES module beside it, so commands load lazily and share one copy of each module.
//
// `rotate-now`, the command people run by hand, is also bundled on its own (dist/commands/
// rotate-now.bundle.js, an ES module with zod and keyrot's modules inside, other packages left to
// node_modules): its ~150 small ES modules cost ~100 ms to load one by one. The bundle sits beside the
// module it replaces, so URLs relative to import.meta.url resolve as before, and it imports the one
// KeyrotError class from dist/errors/ so that cli.cjs recognises the errors it throws.
import { chmod } from 'node:fs/promises';
import { build } from 'esbuild';

const entry = new URL('../dist/cli.js', import.meta.url).pathname;
const outfile = new URL('../dist/cli.cjs', import.meta.url).pathname;
const BUNDLED_COMMANDS = { './commands/rotate-now.js': './commands/rotate-now.bundle.js' };

for (const [source, bundle] of Object.entries(BUNDLED_COMMANDS)) {
  await build({
    entryPoints: [new URL(`../dist/${source}`, import.meta.url).pathname],
    outfile: new URL(`../dist/${bundle}`, import.meta.url).pathname,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
    plugins: [
      {
        name: 'shared-errors-and-packages-stay-external',
        setup(b) {
          b.onResolve({ filter: /keyrot-error\.js$/ }, () => ({
            path: '../errors/keyrot-error.js',
            external: true,
          }));
          // Packages load from node_modules (the SDK, the keychain binding, winston…); zod is bundled.
          b.onResolve({ filter: /^[^./]/ }, (args) =>
            /^zod(\/|$)/.test(args.path) ? undefined : { path: args.path, external: true },
          );
        },
      },
    ],
  });
}

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
          args.kind === 'dynamic-import'
            ? { path: BUNDLED_COMMANDS[args.path] ?? args.path, external: true }
            : undefined,
        );
      },
    },
  ],
});
await chmod(outfile, 0o755);
