// Wires the rotation's ports to the real modules: the AWS SDK (lazily), the credentials engine, the
// keychain journal and backups, the lock, the logger. Used by `rotate-now`, `status`, `demo` and the daemon.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { preloadAwsSdk } from '../aws/clients.js';
import { keyrotPaths } from '../config/paths.js';
import type { Settings } from '../config/settings.js';
import { BackupStore } from '../keychain/backups.js';
import { RotationJournal } from '../keychain/journal.js';
import { type Keychain, openKeychain } from '../keychain/open-keychain.js';
import { ProtectedKeys } from '../keychain/protected-key.js';
import { acquireLock, namedLockPath } from '../lock/index.js';
import { createLogger, type Logger, nullLogger } from '../log/index.js';
import { createNotifier, type Notifier } from '../notify/notifier.js';
import { shellHook } from '../rotation/hook.js';
import type { ProgressPort, RotationDeps } from '../rotation/ports.js';
import { journalEmptyRecordFor } from '../state/journal-empty.js';
import { type Clock, systemClock } from '../time/clock.js';
import type { Asker } from './ask.js';
import { awsPortsFor } from './aws-ports.js';
import type { CommandContext } from './context.js';
import { credentialFilesPort } from './credential-files-port.js';

/** How long a rotation waits for another rotation of the same key or user before giving up (exit 4). */
export const ROTATION_LOCK_WAIT_MS = 180_000;

/** Extra wiring choices of createRotationDeps. */
export interface RotationWiring {
  /** Where step progress goes (default: stderr lines). */
  progress?: ProgressPort;
  /** An already opened keychain (the demo passes an in-memory one). */
  keychain?: Keychain;
  /** The logger, which stays the caller's to close (default: keyrot.log in the log dir, warnings on stderr). */
  logger?: Logger;
  /** Desktop notifications (default: the real ones, unless `notify = false`). */
  notifier?: Notifier;
  /** The clock (default: the system's; tests move it to an old key's deadline). */
  clock?: Clock;
}

/** Real rotation dependencies plus what the caller must release when done. */
export interface WiredRotationDeps extends RotationDeps {
  /** The opened keychain (for messages such as where backups are). */
  keychain: Keychain;
  logger: Logger;
  /** Releases sockets and flushes the log. */
  close(): Promise<void>;
}

/** Progress as indented lines on a stream. */
export function streamProgress(stream: NodeJS.WritableStream): ProgressPort {
  return { step: (name, detail) => stream.write(`  ${name.padEnd(10)} ${detail}\n`) };
}

/**
 * The MFA questions on the terminal (questions on stderr, answers from stdin), through one reader so an
 * answer typed ahead is not lost; none without a terminal. `close` ends the conversation.
 */
function terminalMfaQuestions(
  ctx: CommandContext,
): Pick<RotationDeps, 'promptMfaCode' | 'chooseMfaDevice'> & { close(): void } {
  if (!ctx.io.isTTY) return { close: () => {} };
  let asker: Asker | undefined;
  const ask = async (question: string) => {
    // node:readline is loaded only when a question is asked: most rotations ask none.
    asker ??= (await import('./ask.js')).openAsker(ctx);
    return (await asker.line(question)) ?? '';
  };
  return {
    promptMfaCode: (profile, serial) => ask(`MFA code for profile ${profile} (${serial}): `),
    async chooseMfaDevice(profile, serials) {
      const list = serials.map((serial, i) => `  ${i + 1}) ${serial}\n`).join('');
      ctx.io.stderr.write(
        `Profile ${profile} names no MFA device (mfa_serial); the user has ${serials.length}:\n${list}`,
      );
      const answer = await ask(`Which one (1-${serials.length})? `);
      return serials[Number(answer) - 1] ?? answer;
    },
    close: () => asker?.close(),
  };
}

/** Wires the real ports for `ctx` and `settings` (used by commands and the daemon). */
export async function createRotationDeps(
  ctx: CommandContext,
  settings: Settings,
  wiring: RotationWiring = {},
): Promise<WiredRotationDeps> {
  const env = ctx.io.env;
  const paths = keyrotPaths(env);
  let protectedKeys: ProtectedKeys | undefined;
  const files = credentialFilesPort(env, ctx.globals, () => protectedKeys);
  // A logger handed in (the daemon's, the demo's) belongs to the caller; close() closes only its own.
  const ownLogger = wiring.logger
    ? undefined
    : createLogger({
        logDir: paths.logDir,
        verbose: ctx.globals.verbose,
        stderr: ctx.io.stderr,
        stderrLevel: 'warn',
        level: settings.logLevel,
      });
  const logger = ownLogger ?? wiring.logger ?? nullLogger;
  const lockDir = join(paths.stateDir, 'locks');
  const opening = wiring.keychain
    ? Promise.resolve(wiring.keychain)
    : openKeychain({ env, backend: settings.keychain, stateDir: paths.stateDir });
  // The SDK loads in one synchronous stretch (~15 ms, TLS included): once the keychain's connection is
  // under way (setImmediate runs after the calls that start it), so the Secret Service works meanwhile.
  setImmediate(() => void preloadAwsSdk().catch(() => undefined));
  const keychain = await opening;
  // Protected profiles live in the OS keychain only (`keyrot protect` refuses the file backend).
  if (keychain.backend === 'os') protectedKeys = new ProtectedKeys(keychain.values.store);
  const clients = new Map<string, Awaited<ReturnType<typeof awsPortsFor>>>();
  const defaults = await awsPortsFor(ctx, files, env.AWS_PROFILE || 'default');
  const questions = terminalMfaQuestions(ctx);
  const deps: WiredRotationDeps = {
    ...defaults,
    awsFor: async (profile) => {
      let ports = clients.get(profile);
      if (!ports) {
        ports = await awsPortsFor(ctx, files, profile);
        clients.set(profile, ports);
      }
      return ports;
    },
    files,
    // The record of an empty journal lets `status` skip the keychain: kept for every real keychain
    // (one handed in for the demo, in memory, has no identity and no record).
    journal: new RotationJournal(keychain.values, {
      emptyRecord: journalEmptyRecordFor(paths.stateDir, keychain.identity),
    }),
    backups: new BackupStore(keychain.values, { keep: settings.backupsKeep }),
    clock: wiring.clock ?? systemClock,
    logger,
    notifier: wiring.notifier ?? createNotifier({ enabled: settings.notify, logger }),
    progress: wiring.progress ?? streamProgress(ctx.io.stderr),
    policy: (profile) => settings.profile(profile),
    lock: async (kind, name, waiting) => {
      await mkdir(lockDir, { recursive: true, mode: 0o700 });
      return acquireLock(namedLockPath(lockDir, kind, name), {
        wait: true,
        timeoutMs: Number(env.KEYROT_LOCK_WAIT_MS) || ROTATION_LOCK_WAIT_MS,
        onWait: ({ waitedMs, holder }) =>
          waiting(waitedMs, holder ? `${holder.purpose}, pid ${holder.pid}` : 'another keyrot process'),
      });
    },
    promptMfaCode: questions.promptMfaCode,
    chooseMfaDevice: questions.chooseMfaDevice,
    hook: shellHook({ env, timeoutMs: Number(env.KEYROT_HOOK_TIMEOUT_MS) || undefined }),
    propagationTimeoutMs: Number(env.KEYROT_PROPAGATION_TIMEOUT_MS) || 60_000,
    // Rotating a root key is refused unless the person opts in explicitly.
    allowRoot: env.KEYROT_ALLOW_ROOT === '1',
    keychain,
    async close() {
      for (const ports of [defaults, ...clients.values()]) {
        ports.sts.destroy();
        ports.iam.destroy();
      }
      questions.close();
      await ownLogger?.close();
      // Only a keychain opened here: one handed in (the demo's) belongs to the caller.
      if (!wiring.keychain) await keychain.close?.();
    },
  };
  return deps;
}
