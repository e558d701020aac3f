// Loading one of keyrot's bundles so that Node's compile cache pays off. The cache keeps what V8
// compiled when it compiled the file, and V8 otherwise compiles a function only when it is first called,
// so the cache would hold little more than the file's top level. With V8's --no-lazy while the file is
// loaded it holds every function: measured on Node 24 (scripts/bench/rotation.bench.mjs), a rotation
// from the cache ~35 ms of CPU faster, the first run (which writes the cache) ~45 ms slower.
import module from 'node:module';

/** Whether Node's compile cache is on in this process (Node 22.8+, turned on by src/cli.ts). */
export function compileCacheIsOn(): boolean {
  const { getCompileCacheDir } = module as { getCompileCacheDir?: () => string | undefined };
  return typeof getCompileCacheDir === 'function' && Boolean(getCompileCacheDir());
}

/** A bundle built to run its top level only when asked (scripts/build.mjs): `__keyrotRun` returns its exports. */
interface DeferredBundle {
  __keyrotRun?: () => unknown;
}

/**
 * Runs `load` (the require or import() of a bundle) with V8 compiling every function of what it loads
 * at once, when the compile cache is on; as it is otherwise (Node 20, or a long-running command that
 * wants V8 to compile only what it calls). A bundle built to defer its top level (scripts/build.mjs)
 * runs it after that, once V8 compiles lazily again: the Node modules it requires then load from the
 * code Node ships compiled, which V8 refuses under --no-lazy (other flags) and compiles anew, every
 * function (the SDK's http, https and tls ~20 ms so on Node 24, ~2.5 ms from Node's code).
 */
export async function loadCompiledEagerly<T>(load: () => Promise<T>): Promise<T> {
  let loaded: T;
  if (!compileCacheIsOn()) loaded = await load();
  else {
    const v8 = await import('node:v8');
    v8.setFlagsFromString('--no-lazy');
    try {
      loaded = await load();
    } finally {
      v8.setFlagsFromString('--lazy');
    }
  }
  const run = (loaded as DeferredBundle).__keyrotRun;
  return typeof run === 'function' ? (run() as T) : loaded;
}
