// Bundles the compiled entry (dist/cli.js) with what it imports statically — commander and a few small
// modules — into one CommonJS file, dist/cli.cjs, the package's `bin`. Node starts a single CommonJS
// file ~20 ms sooner than the same code as a graph of ES modules (the `keyrot --version`/`--help`
// target is 1.3x `node -e 0`). Every dynamic import() (the commands, the error reporting) stays a real
// import of the ES module beside it, so commands load lazily and share one copy of each module.
//
// `rotate-now` and `status`, the commands people run by hand, are built into one CommonJS bundle with
// every package inside — the AWS SDK too — except native addons (dist/commands/rotation-commands.
// bundle.cjs). cli.ts runs it through src/code-cache, which keeps V8's compiled code between runs:
// one file to compile instead of ~400 modules to resolve and compile, and a cache hit skips even that.
// The bundle sits beside the modules it replaces, so URLs relative to it resolve as before; it takes the
// one KeyrotError class from dist/errors/ (cli.ts hands it in) so that cli.ts recognises what it throws.
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { build } from 'esbuild';

const entry = new URL('../dist/cli.js', import.meta.url).pathname;
const outfile = new URL('../dist/cli.cjs', import.meta.url).pathname;
const dist = (path) => new URL(`../dist/${path}`, import.meta.url).pathname;

const rotationBundle = dist('commands/rotation-commands.bundle.cjs');
await build({
  entryPoints: [dist('commands/rotation-commands.js')],
  outfile: rotationBundle,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // Smaller text to read and hash on every run; names are kept for readable stacks in the log.
  minify: true,
  // Packages' ES modules first: the AWS SDK's then tree-shake to the commands src/aws/sdk.ts names.
  mainFields: ['module', 'main'],
  keepNames: true,
  logLevel: 'warning',
  // import.meta does not exist in CommonJS: give it the bundle's own URL.
  define: { 'import.meta.url': '__keyrotBundleUrl' },
  banner: { js: "var __keyrotBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  plugins: [
    {
      name: 'shared-errors-and-native-addons-stay-external',
      setup(b) {
        b.onResolve({ filter: /keyrot-error\.js$/ }, () => ({
          path: '../errors/keyrot-error.js',
          external: true,
        }));
        // A .node binary cannot be bundled; @napi-rs/keyring picks its binary at run time.
        b.onResolve({ filter: /^@napi-rs\// }, (args) => ({ path: args.path, external: true }));
      },
    },
  ],
});

await withoutDynamicImports(rotationBundle);

/**
 * Node 20 loses a script's import() handler when V8 restores the script from the code cache ("A dynamic
 * import callback was not specified"), so the cached bundle must not contain import(). The only ones
 * left after bundling load Node built-ins (in SDK code for EC2 and Lambda): require() gives the same
 * exports. Anything else fails the build rather than a person's rotation.
 */
async function withoutDynamicImports(file) {
  const text = await readFile(file, 'utf8');
  const rewritten = text.replace(
    /\bimport\((["'])node:([a-z_/]+)\1\)/g,
    'Promise.resolve(require("node:$2"))',
  );
  const left = rewritten.match(/\bimport\([^)]{0,60}/g);
  if (left) throw new Error(`${file} still contains import(): ${left.join(', ')}`);
  await writeFile(file, rewritten);
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
          args.kind === 'dynamic-import' ? { path: args.path, external: true } : undefined,
        );
      },
    },
  ],
});
await chmod(outfile, 0o755);
