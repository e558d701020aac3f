import { type ChildProcess, spawn as nodeSpawn } from 'node:child_process';
import type { HookPort, HookRun } from './ports.js';

// performance is Node's global, loaded when a hook first runs: importing node:perf_hooks costs every
// rotation ~0.7 ms, and most have no after_rotate.

/** How long after_rotate may run before its process group is killed (KEYROT_HOOK_TIMEOUT_MS overrides). */
export const HOOK_TIMEOUT_MS = 120_000;
/** Time between SIGTERM and SIGKILL to a hook's process group that outlived its timeout. */
export const HOOK_KILL_GRACE_MS = 5_000;
// Output kept for the debug log; a hook that prints more has the rest dropped.
const OUTPUT_LIMIT = 64_000;
// After the hook exits, what it wrote just before is read for this long; its background jobs may keep
// the pipes open far longer, and keyrot does not wait for them.
const DRAIN_MS = 200;

/** Options of shellHook; tests inject the platform and spawn. */
export interface ShellHookOptions {
  /** The environment the hook inherits (ambient AWS credentials are removed from it). */
  env: NodeJS.ProcessEnv;
  timeoutMs?: number;
  graceMs?: number;
  platform?: NodeJS.Platform;
  spawn?: typeof nodeSpawn;
}

/**
 * Runs after_rotate through the platform's shell (`/bin/sh -c` on POSIX, `cmd.exe /d /s /c` on Windows);
 * the key reaches it only through its environment, never argv. On POSIX the hook leads its own process
 * group, so a timeout ends everything it started (SIGTERM, then SIGKILL after a grace); on Windows
 * `taskkill /T` ends the tree. keyrot finishes when the hook exits, not when its pipes close, so a
 * background job it leaves behind (`sleep 15 &`) does not hold the rotation.
 */
export function shellHook(options: ShellHookOptions): HookPort {
  const platform = options.platform ?? process.platform;
  const spawn = options.spawn ?? nodeSpawn;
  const timeoutMs = options.timeoutMs ?? HOOK_TIMEOUT_MS;
  const graceMs = options.graceMs ?? HOOK_KILL_GRACE_MS;
  // Drop any ambient AWS credentials so the hook sees exactly the new key.
  const base = Object.fromEntries(
    Object.entries(options.env).filter(
      ([k]) => !/^AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN)$/.test(k),
    ),
  );
  return {
    run(command, env) {
      const started = performance.now();
      const elapsed = () => Math.round(performance.now() - started);
      return new Promise<HookRun>((resolve) => {
        let child: ChildProcess;
        try {
          child = spawn(command, {
            shell: true,
            env: { ...base, ...env },
            stdio: ['ignore', 'pipe', 'pipe'],
            // POSIX: a new process group led by the shell, so it can be killed as a whole.
            detached: platform !== 'win32',
            windowsHide: true,
          });
        } catch (error) {
          resolve({ exitCode: -1, output: String(error), durationMs: elapsed(), timedOut: false });
          return;
        }
        let output = '';
        let timedOut = false;
        const take = (chunk: Buffer) => {
          if (output.length < OUTPUT_LIMIT) output += chunk.toString('utf8');
        };
        child.stdout?.on('data', take);
        child.stderr?.on('data', take);
        let killed: Promise<void> = Promise.resolve();
        const timer = setTimeout(() => {
          timedOut = true;
          killed = killTree(child, platform, spawn, graceMs);
        }, timeoutMs);
        let settled = false;
        const finish = (exitCode: number) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          const done = () => {
            child.stdout?.destroy();
            child.stderr?.destroy();
            // After a timeout, only once the whole group is gone: nothing keeps the secret running.
            void killed.then(() => resolve({ exitCode, output, durationMs: elapsed(), timedOut }));
          };
          // Read what the hook wrote before it exited, but not what its leftovers may write later.
          let pending = [child.stdout, child.stderr].filter((s) => s && !s.readableEnded).length;
          if (pending === 0) return done();
          const drain = setTimeout(done, DRAIN_MS);
          const ended = () => {
            if (--pending === 0) {
              clearTimeout(drain);
              done();
            }
          };
          child.stdout?.once('end', ended);
          child.stderr?.once('end', ended);
        };
        child.on('error', (error) => {
          output += error.message;
          finish(-1);
        });
        child.on('exit', (code) => finish(code ?? -1));
      });
    },
  };
}

/**
 * Ends the hook and everything it started: SIGTERM to its process group, SIGKILL to whatever is left after
 * the grace (POSIX); `taskkill /T /F` on Windows. Resolves when nothing of the group is left, or right
 * after the SIGKILL.
 */
function killTree(
  child: ChildProcess,
  platform: NodeJS.Platform,
  spawn: typeof nodeSpawn,
  graceMs: number,
): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return Promise.resolve();
  if (platform === 'win32') {
    return new Promise((resolve) => {
      const taskkill = spawn('taskkill', ['/pid', String(pid), '/T', '/F'], {
        stdio: 'ignore',
        windowsHide: true,
      });
      taskkill.on('error', () => {
        child.kill();
        resolve();
      });
      taskkill.on('exit', () => resolve());
    });
  }
  const signalGroup = (signal: NodeJS.Signals | 0): boolean => {
    try {
      process.kill(-pid, signal);
      return true;
    } catch {
      return false; // ESRCH: nothing of the group is left
    }
  };
  if (!signalGroup('SIGTERM')) return Promise.resolve();
  return new Promise((resolve) => {
    const poll = setInterval(() => {
      if (!signalGroup(0)) stop();
    }, 50);
    // A process that ignores SIGTERM (or a shell that left children behind) gets SIGKILL after the grace.
    const kill = setTimeout(() => {
      signalGroup('SIGKILL');
      stop();
    }, graceMs);
    function stop() {
      clearInterval(poll);
      clearTimeout(kill);
      resolve();
    }
  });
}
