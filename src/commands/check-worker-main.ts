// The entry of the daemon's check worker process (commands/daemon.ts has the daemon fork it): the
// worker itself is daemon/check-worker-process.ts; this wires it to the real rotation parts.
import { serveCheckWorker } from '../daemon/check-worker-process.js';
import { processContext } from './context.js';

serveCheckWorker((globals, settings) => async (wiring) => {
  // Loaded at the first check only: a pass that checks nothing never loads the AWS SDK.
  const { createRotationDeps } = await import('./rotation-deps.js');
  const ctx = processContext({ verbose: false, ...globals });
  // A check runs unattended: it never prompts, whatever its stdio is connected to.
  return createRotationDeps({ ...ctx, io: { ...ctx.io, isTTY: false } }, settings, wiring);
});
