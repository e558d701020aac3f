// Builds what the package runs, from src/ with esbuild, after tsc has compiled src/ into dist/ modules
// (what the tests' child processes import; the package does not ship them, see "files"):
//
// - dist/cli.cjs, the package's `bin`: src/bin.ts, one tiny CommonJS file that answers
//   `keyrot credentials --profile P` from the daemon's agent and loads the rest of the CLI for anything
//   else: dist/bundle/cli-main.cjs (src/cli.ts, small), and dist/bundle/commander.cjs, which that loads
//   once no fast path took the command. `--version` needs nothing else; `--help` and the other requests
//   for help only dist/bundle/help.json, the help commander printed for them at build time
//   (src/recorded-help.ts).
// - dist/bundle/keyrot.cjs: every command (src/commands/index.ts) and what it uses, the AWS SDK included,
//   in one CommonJS file: Node starts one CommonJS file far sooner than the hundreds of modules it replaces
//   (ES modules with code splitting measured ~40 ms slower for a rotation). Each command's modules are
//   initialised only when that command runs. Node 22.8+ keeps the bundle's compiled code (src/cli.ts).
// - dist/bundle/rotate-now.cjs: `keyrot rotate-now`, which src/cli.ts loads in place of the bundle above:
//   the rotation's modules only (src/commands/rotate-now-fast.ts).
// - dist/bundle/aws-sdk.cjs: the parts of the AWS SDK keyrot calls, which the bundles load on first use.
// - dist/bundle/credentials.cjs: `keyrot credentials --profile P` (credential_process) when the agent
//   does not serve, which src/cli.ts runs before commander parses anything: the keychain read alone
//   (src/commands/credentials-fast.ts).
// - dist/bundle/daemon.cjs: `keyrot daemon`'s parent process, which src/cli.ts also runs before commander:
//   its own wiring only (src/commands/daemon-fast.ts), since it idles for hours and forks every check;
//   its agent loads credentials.cjs on its first request.
// - dist/bundle/status.cjs: `keyrot status --offline`, which src/cli.ts also runs before commander:
//   local files only (src/commands/status-fast.ts), so it starts about as fast as node itself; and
//   dist/bundle/status-online.cjs, `keyrot status` online (src/commands/status-online-fast.ts).
// - dist/bundle/check-worker.cjs: what the daemon forks for a check (src/commands/daemon.ts).
//
// The bundle sits two levels below the package root, as its sources do, so URLs relative to it
// (`new URL('../../assets/', import.meta.url)`) resolve as they do from src/. Packages that read files
// of their own at run time (native addons, helper binaries, a forked script) stay in node_modules.
//
// `node scripts/build.mjs --if-stale` (npm run demo) builds only when dist/ is missing or older than one
// of its inputs, so the demo right after `npm ci` (whose `prepare` built dist/) starts at once.
import { execFile, spawnSync } from 'node:child_process';
import { chmod, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = path.join(root, 'src');
const dist = path.join(root, 'dist');
const bin = path.join(dist, 'cli.cjs');
const bundle = path.join(dist, 'bundle', 'keyrot.cjs');

if (process.argv.includes('--if-stale') && (await builtAfterItsInputs())) process.exit(0);

/**
 * Whether dist/cli.cjs, the build's last output, is newer than every input: src/ (its directories too,
 * which change when a file is added, renamed or removed), the manifest, the TypeScript settings, this
 * script, and the installed packages (npm writes node_modules/.package-lock.json on each install).
 */
async function builtAfterItsInputs() {
  const mtime = (file) =>
    stat(file).then(
      (s) => s.mtimeMs,
      () => Number.POSITIVE_INFINITY,
    );
  const sources = await readdir(src, { recursive: true });
  const inputs = [
    src,
    ...sources.map((file) => path.join(src, file)),
    path.join(root, 'package.json'),
    path.join(root, 'tsconfig.json'),
    path.join(root, 'tsconfig.build.json'),
    fileURLToPath(import.meta.url),
    path.join(root, 'node_modules', '.package-lock.json'),
  ];
  const built = await stat(bin).then(
    (s) => s.mtimeMs,
    () => 0,
  );
  const newest = Math.max(...(await Promise.all(inputs.map(mtime))));
  return built > newest;
}

await rm(dist, { recursive: true, force: true });
const tsc = spawnSync(
  process.execPath,
  [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // Packages' ES modules first: the AWS SDK's then tree-shake to the commands src/aws/sdk.ts names.
  mainFields: ['module', 'main'],
  // Whitespace and syntax only: names stay readable in stacks and the log. keepNames is left off: its
  // __name() call per function and class cost a rotation ~10% of its CPU time.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
};

/**
 * An esbuild plugin that makes the Node module `name` (e.g. node:fs/promises) required on its first use
 * instead of at the top of the modules that import it (those whose path `imports` accepts). They get a
 * stand-in: an object with a getter per name the module exports (as this build's node lists them), each
 * of which requires it, so that esbuild's interop, which copies those names, requires nothing yet; a
 * name not listed is looked up in the module itself.
 */
async function requiredOnFirstUse(name, imports = () => true) {
  const names = Object.keys(await import(name)).filter((key) => key !== 'default');
  const stand = `let loaded;
const real = () => (loaded ??= require(${JSON.stringify(name)}));
const lazy = {};
for (const key of ${JSON.stringify(names)}) Object.defineProperty(lazy, key, { enumerable: true, get: () => real()[key] });
// esbuild's interop asks whether it is an ES module: a Node module never is.
module.exports = new Proxy(lazy, {
  get: (target, key) => (key in target || key === '__esModule' ? target[key] : real()[key]),
});`;
  const namespace = `keyrot-on-first-use-${name}`;
  return {
    name: `${name}-on-first-use`,
    setup(b) {
      // The stand-in's own require is the real module's.
      b.onResolve({ filter: new RegExp(`^${name.replaceAll('/', '\\/')}$`) }, (a) =>
        a.namespace !== namespace && imports(a.importer) ? { path: a.path, namespace } : undefined,
      );
      b.onLoad({ filter: /.*/, namespace }, () => ({ contents: stand, loader: 'js' }));
    },
  };
}

const bundleUrl = "var __keyrotBundleUrl = require('node:url').pathToFileURL(__filename).href;";
/**
 * For a bundle that src/platform/eager-compile.ts loads with V8 compiling all of it: its top level
 * becomes a function, `__keyrotRun`, which that module calls once V8 compiles lazily again, so that
 * the Node modules it requires load from Node's own compiled code (why there). Parenthesised, so that
 * V8 compiles that function at once where nothing is cached (Node 20) instead of parsing it twice.
 */
const deferredTopLevel = (banner = '') => ({
  banner: { js: `${banner}\nexports.__keyrotRun = (function () {` },
  footer: { js: 'return module.exports;\n});' },
});

const bundleOptions = {
  ...common,
  external: ['@napi-rs/keyring', 'fs-native-extensions', 'node-notifier', 'systray2', 'node-cron'],
  // import() becomes require() (every external here has a CommonJS build). A command's modules are then
  // initialised in place, and the SDK's `import("node:http")` does not build node:http's ES module
  // facade, which on Node 24 loads Node's bundled fetch (undici) for nothing: ~15 ms per rotation.
  supported: { 'dynamic-import': false },
  // import.meta does not exist in CommonJS: give it the bundle's own URL.
  define: { 'import.meta.url': '__keyrotBundleUrl' },
  banner: { js: bundleUrl },
  plugins: [
    {
      // The AWS SDK is its own bundle (below), which src/aws/clients.ts's import() loads.
      name: 'the-sdk-is-its-own-bundle',
      setup(b) {
        b.onResolve({ filter: /^\.\/sdk\.js$/ }, () => ({ path: './aws-sdk.cjs', external: true }));
      },
    },
    {
      // `keyrot status` opens the keychain only when it must (src/commands/status.ts): its reads there
      // are a bundle of their own, so the usual run neither loads nor compiles the keychain's code.
      name: 'the-status-keychain-reads-are-their-own-bundle',
      setup(b) {
        b.onResolve({ filter: /^\.\/status-keychain\.js$/ }, () => ({
          path: './status-keychain.cjs',
          external: true,
        }));
      },
    },
    {
      // The daemon's agent loads the keychain read on its first request from the credentials command's
      // bundle (src/commands/daemon-agent.ts): the daemon parent's bundle holds none of it.
      name: 'the-keychain-read-is-the-credentials-bundle',
      setup(b) {
        b.onResolve({ filter: /^\.\/credentials-fast\.js$/ }, () => ({
          path: './credentials.cjs',
          external: true,
        }));
      },
    },
  ],
};
await build({ ...bundleOptions, entryPoints: [path.join(src, 'commands', 'index.ts')], outfile: bundle });
// The parts of the AWS SDK keyrot calls (src/aws/sdk.ts), loaded once a command first calls AWS. As an
// entry of its own its ES modules are tree-shaken to what those parts use; inside the bundle above they
// would be wrapped to start lazily, and esbuild then keeps all they import (every IAM command, paginator
// and waiter). Parts keyrot never calls are left out, each replaced by a stand-in that throws: the
// SDK's default chain of credential providers (env, ini, SSO, IMDS… with their own STS and SSO clients),
// since every client gets explicit credentials (src/aws/clients.ts); and event streams, which no IAM or
// STS operation has (~8% of the bundle, all of it compiled from the cache on each load).
const sdkStandIns = {
  '@aws-sdk/credential-provider-node':
    "export const defaultProvider = () => async () => { throw new Error('keyrot passes every AWS client its credentials'); };",
  '@smithy/core/event-streams':
    "const none = () => { throw new Error('keyrot calls no AWS operation with an event stream'); };\n" +
    'export const eventStreamSerdeProvider = none;\nexport class EventStreamSerde { constructor() { none(); } }',
};
await build({
  ...common,
  entryPoints: [path.join(src, 'aws', 'sdk.ts')],
  outfile: path.join(dist, 'bundle', 'aws-sdk.cjs'),
  supported: { 'dynamic-import': false },
  ...deferredTopLevel(),
  plugins: [
    // Its shared config files' reader alone uses it, which keyrot's clients never call (src/aws/sdk-settings.ts).
    await requiredOnFirstUse('node:fs/promises'),
    {
      name: 'sdk-stand-ins',
      setup(b) {
        b.onResolve(
          { filter: /^@aws-sdk\/credential-provider-node$|^@smithy\/core\/event-streams$/ },
          (a) => ({
            path: a.path,
            namespace: 'keyrot-stand-in',
          }),
        );
        b.onLoad({ filter: /.*/, namespace: 'keyrot-stand-in' }, (a) => ({
          contents: sdkStandIns[a.path],
          loader: 'js',
        }));
      },
    },
  ],
});
// The bundles of single commands, each loaded by src/cli.ts in place of the bundle of every command, so a
// command loads and compiles only its own modules: [entry in src/commands, file in dist/bundle, whether
// the bin loads it with V8 compiling all of it (src/platform/eager-compile.ts), plugins of its own].
const commandBundles = [
  // `keyrot rotate-now`: the rotation's modules only.
  ['rotate-now-fast.ts', 'rotate-now.cjs', true],
  // `keyrot credentials --profile P`, which every AWS CLI call of a protected profile waits for.
  ['credentials-fast.ts', 'credentials.cjs', false],
  // The daemon parent idles for hours: only its own wiring, for a smaller resident set.
  ['daemon-fast.ts', 'daemon.cjs', false],
  // `keyrot status --offline`: local files only, no SDK, keychain or commander.
  ['status-fast.ts', 'status.cjs', false],
  // `keyrot status` online: its own modules only, no commander; node:fs/promises (which loads readline
  // and the REPL's history: ~1.5 ms of CPU per run on Node 24) only once a file is read through it,
  // which status does not.
  ['status-online-fast.ts', 'status-online.cjs', true, [await requiredOnFirstUse('node:fs/promises')]],
  // What `keyrot status` reads from the keychain, when it opens it.
  ['status-keychain.ts', 'status-keychain.cjs', false],
];
await Promise.all(
  commandBundles.map(([entry, out, eager, plugins = []]) =>
    build({
      ...bundleOptions,
      ...(eager ? deferredTopLevel(bundleUrl) : {}),
      plugins: [...bundleOptions.plugins, ...plugins],
      entryPoints: [path.join(src, 'commands', entry)],
      outfile: path.join(dist, 'bundle', out),
    }),
  ),
);
// commander, which the bin loads only once no fast path took the command (src/cli.ts): in a file of its
// own, the fast paths do not compile it (~1 ms on Node 24).
// commander requires node:child_process at its top for executable subcommands, which keyrot has none
// of: that require (~2.5 ms on Node 24, with net and dgram) is made on first use instead.
await build({
  ...common,
  stdin: { contents: "module.exports = require('commander');", resolveDir: root, loader: 'js' },
  outfile: path.join(dist, 'bundle', 'commander.cjs'),
  plugins: [
    await requiredOnFirstUse('node:child_process', (importer) =>
      importer.includes(`${path.sep}commander${path.sep}`),
    ),
  ],
});
await writeFile(
  path.join(dist, 'bundle', 'check-worker.cjs'),
  "// The daemon's check worker process (written by scripts/build.mjs).\nrequire('./keyrot.cjs').startCheckWorker();\n",
);

// The rest of the CLI (src/cli.ts), which the bin loads for every command but the one it answers. It
// sits in dist/bundle, a level below its source's place: import.meta.url is the bin's URL, beside it.
const bundleOf = (file) => () => ({ path: `./${file}`, external: true });
await build({
  ...common,
  entryPoints: [path.join(src, 'cli.ts')],
  outfile: path.join(dist, 'bundle', 'cli-main.cjs'),
  // The commands are the bundles beside it, loaded with require() once a command is to run.
  supported: { 'dynamic-import': false },
  define: { 'import.meta.url': '__keyrotBinUrl' },
  banner: {
    js: "const __keyrotBinUrl = require('node:url').pathToFileURL(require('node:path').join(__dirname, '..', 'cli.cjs')).href;",
  },
  plugins: [
    {
      name: 'commands-are-the-bundles',
      setup(b) {
        b.onResolve({ filter: /^\.\/commands\/index\.js$/ }, bundleOf('keyrot.cjs'));
        b.onResolve({ filter: /^\.\/commands\/rotate-now-fast\.js$/ }, bundleOf('rotate-now.cjs'));
        b.onResolve({ filter: /^\.\/commands\/credentials-fast\.js$/ }, bundleOf('credentials.cjs'));
        b.onResolve({ filter: /^\.\/commands\/daemon-fast\.js$/ }, bundleOf('daemon.cjs'));
        b.onResolve({ filter: /^\.\/commands\/status-fast\.js$/ }, bundleOf('status.cjs'));
        b.onResolve({ filter: /^\.\/commands\/status-online-fast\.js$/ }, bundleOf('status-online.cjs'));
        b.onResolve({ filter: /^commander$/ }, bundleOf('commander.cjs'));
      },
    },
  ],
});
// The help commander prints for `keyrot --help` and the other requests for help (src/recorded-help.ts),
// recorded as the built CLI prints it: each run in a process of its own (commander keeps state between
// parses). Help is 80 columns wide wherever it goes (src/cli.ts). The bin serves them without commander.
const { helpKey, helpRequests } = await import(pathToFileURL(path.join(dist, 'recorded-help.js')).href);
const cliMain = path.join(dist, 'bundle', 'cli-main.cjs');
const requireBuilt = createRequire(import.meta.url);
const program = requireBuilt(cliMain).buildProgram(
  requireBuilt(path.join(dist, 'bundle', 'commander.cjs')),
  async () => undefined,
);
const execFileAsync = promisify(execFile);
const recorded = [];
const requests = helpRequests(program);
const recordHelp = async (args) => {
  const run = `require(${JSON.stringify(cliMain)}).main(['node', 'keyrot', ...${JSON.stringify(args)}]).then((code) => { process.exitCode = code; })`;
  // Words commander answers otherwise (a usage error: exit code 2, on stderr) are not recorded.
  const printed = await execFileAsync(process.execPath, ['-e', run]).catch(() => undefined);
  if (printed?.stderr === '' && printed.stdout.startsWith('Usage: keyrot'))
    recorded.push([helpKey(args), printed.stdout]);
};
for (let next = 0; next < requests.length; next += 4)
  await Promise.all(requests.slice(next, next + 4).map(recordHelp));
// Each text once (the same help answers `status --help`, `status -h` and `help status`), in the order asked.
const order = new Map(requests.map((args, i) => [helpKey(args), i]));
recorded.sort(([a], [b]) => order.get(a) - order.get(b));
const texts = [...new Set(recorded.map(([, text]) => text))];
const help = {
  requests: Object.fromEntries(recorded.map(([key, text]) => [key, texts.indexOf(text)])),
  texts,
};
await writeFile(path.join(dist, 'bundle', 'help.json'), `${JSON.stringify(help)}\n`);

// The bin, built last (--if-stale compares its time with the inputs'): src/bin.ts alone, with the rest
// of the CLI above loaded by require() only when it is needed.
await build({
  ...common,
  entryPoints: [path.join(src, 'bin.ts')],
  outfile: bin,
  supported: { 'dynamic-import': false },
  // Where it looks for the recorded help (src/bin.ts).
  define: { 'import.meta.dirname': '__dirname' },
  plugins: [
    {
      name: 'the-cli-is-its-bundle',
      setup(b) {
        b.onResolve({ filter: /^\.\/cli\.js$/ }, () => ({ path: './bundle/cli-main.cjs', external: true }));
      },
    },
  ],
});
await chmod(bin, 0o755);
