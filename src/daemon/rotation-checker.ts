// The real CheckProfile: the rotation engine, loaded (with the AWS SDK) only when a check runs.
// Every check goes through rotateProfile, which takes the same key and user locks as `rotate-now`,
// resumes an interrupted rotation from the journal, rotates when due, retires old keys whose grace
// period ended, and otherwise reports the key's age. Its dependencies are built afresh for each pass,
// so the credentials file (our parser, no SDK cache) and the endpoints are re-read every time. The
// profiles it does not watch get only their old keys' grace windows closed (rotation/close-window.ts).
import type { ProfileSettings, Settings } from '../config/settings.js';
import { isProtectedProfile } from '../credentials/credential-process.js';
import { readSharedFiles } from '../credentials/index.js';
import { maskKeyId } from '../errors/redact.js';
import type { Logger } from '../log/logger.js';
import type { ProgressPort, RotationDeps, RotationResult } from '../rotation/ports.js';
import { addDays } from '../time/days.js';
import type { CheckReport, CloseOtherWindows, OtherWindowResult, RotatedReport } from './ports.js';

/** The real rotation dependencies of one pass, built with this logger and progress (commands/ wires them). */
export type WireRotation = (wiring: {
  logger: Logger;
  progress: ProgressPort;
}) => Promise<RotationDeps & { close(): Promise<void> }>;

/** A CheckProfile plus the cleanup to run after each pass. */
export interface RotationChecker {
  check(profile: string): Promise<CheckReport>;
  /** The grace windows of the profiles the daemon does not watch, closed when due (CloseOtherWindows). */
  closeOtherWindows: CloseOtherWindows;
  /** Closes the AWS clients and the keychain of the pass. */
  afterPass(): Promise<void>;
}

/** Checks profiles through the real rotation engine. */
export function rotationChecker(wire: WireRotation, settings: Settings, logger: Logger): RotationChecker {
  let wired: ReturnType<WireRotation> | null = null;
  const passDeps = () =>
    (wired ??= wire({
      logger,
      progress: { step: (step, detail) => logger.debug(`${step}: ${detail}`) },
    }).then((deps) => {
      // Nobody is at a terminal to type an MFA code: such a rotation becomes a notification.
      deps.promptMfaCode = undefined;
      return deps;
    }));
  return {
    async check(profile) {
      const { rotateProfile } = await import('../rotation/rotate-profile.js');
      const deps = await passDeps();
      const result = await rotateProfile({ profile, force: false, deleteOther: false, dryRun: false }, deps);
      const report = reportOf(result, settings.profile(profile), deps.clock.now());
      // The files as the AWS tools read them (not the port's view, which fills in the keychain's key).
      const files = await readSharedFiles(deps.files.paths);
      return { ...report, protected: isProtectedProfile(files, profile) };
    },
    async closeOtherWindows(watched) {
      const { closeWindowOf, windowsOutside } = await import('../rotation/close-window.js');
      const deps = await passDeps();
      const results: OtherWindowResult[] = [];
      for (const window of await windowsOutside(deps, watched)) {
        try {
          const found = await closeWindowOf(window, deps);
          const files = await readSharedFiles(deps.files.paths);
          results.push({
            profile: window.profile,
            result: {
              ok: true,
              window: found && { ...found, keyId: maskKeyId(found.keyId) },
              protected: isProtectedProfile(files, window.profile),
            },
          });
        } catch (error) {
          results.push({ profile: window.profile, result: { ok: false, error } });
        }
      }
      return results;
    },
    async afterPass() {
      const pending = wired;
      wired = null;
      const deps = await pending?.catch(() => null);
      await deps?.close();
    },
  };
}

/** Turns a rotation result into what the daemon records (masked key ids only). */
export function reportOf(result: RotationResult, policy: ProfileSettings, now: Date): CheckReport {
  return { ...reportWithoutWindow(result, policy, now), ...windowOf(result) };
}

/** The old key's grace window of a result, masked, as the daemon's report carries it. */
function windowOf(result: RotationResult): Pick<CheckReport, 'oldKeyWindow'> {
  const window = result.oldKeyWindow;
  return window ? { oldKeyWindow: { ...window, keyId: maskKeyId(window.keyId) } } : {};
}

function reportWithoutWindow(result: RotationResult, policy: ProfileSettings, now: Date): CheckReport {
  if (result.outcome === 'rotated') return rotatedReport(result, policy, now);
  if (result.outcome === 'already-rotated') {
    // Another keyrot (rotate-now, the tray) replaced the key moments ago: the new key is fresh.
    const dueAt = addDays(now, policy.maxAgeDays);
    return {
      kind: 'checked',
      keyId: maskKeyId(result.newKeyId ?? ''),
      ageDays: 0,
      dueAt,
      warnFrom: addDays(dueAt, -policy.warnDays),
    };
  }
  const dueAt = new Date(result.dueAt);
  return {
    kind: 'checked',
    keyId: maskKeyId(result.oldKeyId),
    ageDays: result.ageDays,
    dueAt,
    warnFrom: addDays(dueAt, -policy.warnDays),
  };
}

/** A rotated key as the state file records it: masked ids, 0 days old, due max_age_days from `now`. */
export function rotatedReport(result: RotationResult, policy: ProfileSettings, now: Date): RotatedReport {
  return {
    kind: 'rotated',
    oldKeyId: maskKeyId(result.oldKeyId),
    newKeyId: maskKeyId(result.newKeyId ?? ''),
    oldKeyAction:
      result.oldKeyAction === 'deleted' || result.oldKeyAction === 'deactivated'
        ? result.oldKeyAction
        : 'kept',
    ageDays: 0,
    dueAt: addDays(now, policy.maxAgeDays),
    resumed: result.resumed,
    ...windowOf(result),
  };
}
