// Every command, each loaded only when it runs: the entry of the bundle the build makes of keyrot's
// commands (dist/bundle/keyrot.cjs, scripts/build.mjs), which the bin (src/cli.ts) loads once it knows
// which command to run (`rotate-now` has a bundle of its own, src/commands/rotate-now-fast.ts). A
// command's error is printed here, where the KeyrotError class it is checked against is the one the
// command threw.
export { reportError } from './report-error.js';
export { runCommand } from './run-command.js';

/** Each command's module, loaded on demand (the AWS SDK only by the commands that call AWS). */
export const commands = {
  backup: () => import('./backup.js'),
  credentials: () => import('./credentials.js'),
  daemon: () => import('./daemon.js'),
  demo: () => import('./demo.js'),
  doctor: () => import('./doctor.js'),
  emulator: () => import('./emulator.js'),
  emulatorSeed: () => import('./emulator-seed.js'),
  protect: () => import('./protect.js'),
  rotateNow: () => import('./rotate-now.js'),
  service: () => import('./service.js'),
  setup: () => import('./setup.js'),
  status: () => import('./status.js'),
  tray: () => import('./tray.js'),
};

/** Runs the daemon's check worker in this process (dist/bundle/check-worker.cjs, which the daemon forks). */
export const startCheckWorker = () => import('./check-worker-main.js');
