// Preloaded into one keyrot run (`node --import ./trace-preload.mjs dist/cli.cjs …`) by the benches: it
// records where the process's time goes and writes it, at exit, as JSON to KEYROT_TRACE_FILE. Times are
// ms since the process started (performance.now()):
// - node's own start (performance.nodeTiming: bootstrap done = what `node -e 0` pays);
// - keyrot's spans (src/time/trace.ts: each keychain call and each D-Bus round trip, a command's start,
//   a bundle loaded after it, e.g. the AWS SDK's);
// - each HTTP request, from Node's own http diagnostics channels (request sent → response finished);
// - each fsync (FileHandle.sync/datasync, fs.fsync/fsyncSync, wrapped here).
import { subscribe } from 'node:diagnostics_channel';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';

const events = [];
const span = (kind, name, start, end = performance.now()) => events.push({ kind, name, start, end });

subscribe('keyrot:trace', ({ name, start, end }) => {
  const kind = name.startsWith('D-Bus ')
    ? 'dbus'
    : name.startsWith('keychain ')
      ? 'keychain'
      : name.startsWith('load ')
        ? 'load'
        : name.startsWith('agent ')
          ? 'agent'
          : 'mark';
  span(kind, name, start, end);
});

const requests = new Map();
subscribe('http.client.request.start', ({ request }) => requests.set(request, performance.now()));
subscribe('http.client.response.finish', ({ request, response }) => {
  const start = requests.get(request);
  if (start === undefined) return;
  requests.delete(request);
  span('http', `HTTP ${request.method} ${request.host}${request.path} → ${response.statusCode}`, start);
});

// fsync: every way keyrot's code (bundled or not) reaches it goes through node:fs.
const handle = await fs.promises.open(fs.realpathSync('/dev/null'));
const FileHandle = Object.getPrototypeOf(handle);
await handle.close();
for (const method of ['sync', 'datasync']) {
  const original = FileHandle[method];
  FileHandle[method] = async function (...args) {
    const start = performance.now();
    try {
      return await original.apply(this, args);
    } finally {
      span('fsync', `fsync (FileHandle.${method})`, start);
    }
  };
}
const fsyncSync = fs.fsyncSync;
fs.fsyncSync = (...args) => {
  const start = performance.now();
  try {
    return fsyncSync(...args);
  } finally {
    span('fsync', 'fsync (fsyncSync)', start);
  }
};
const fsync = fs.fsync;
fs.fsync = (fd, callback) => {
  const start = performance.now();
  return fsync(fd, (...args) => {
    span('fsync', 'fsync (fs.fsync)', start);
    callback(...args);
  });
};

const preloaded = performance.now();
process.on('exit', () => {
  const timing = performance.nodeTiming;
  const file = process.env.KEYROT_TRACE_FILE;
  if (!file) return;
  fs.writeFileSync(
    file,
    JSON.stringify({
      bootstrapComplete: timing.bootstrapComplete,
      preloaded,
      exit: performance.now(),
      events,
    }),
  );
});
