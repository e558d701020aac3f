import { loadSettings } from '../config/load-settings.js';
import { keyrotPaths } from '../config/paths.js';
import type { Settings } from '../config/settings.js';
import { isProtectedProfile } from '../credentials/credential-process.js';
import { readSharedFiles } from '../credentials/index.js';
import { awsCliMismatch, awsCliMismatchWarning, resolveAwsFilePaths } from '../credentials/paths.js';
import { profileReaderWarning, readFilesReaderDifferences } from '../credentials/reader-differences.js';
import { rotatedState } from '../daemon/record-check.js';
import { rotatedReport } from '../daemon/rotation-checker.js';
import { errorText } from '../errors/describe-error.js';
import { ExitCode, type ExitCodeValue, isKeyrotError, type KeyrotError } from '../errors/keyrot-error.js';
import { maskKeyId } from '../errors/redact.js';
import type { ResultRecorderPort, RotationResult } from '../rotation/ports.js';
import { profileRefusal } from '../rotation/profile-kind.js';
import { rotateProfile } from '../rotation/rotate-profile.js';
import { emptyProfileState, emptyState, readStateFile, writeStateFile } from '../state/state-file.js';
import { type Clock, systemClock } from '../time/clock.js';
import { traceMark } from '../time/trace.js';
import type { CommandContext } from './context.js';
import { createRotationDeps } from './rotation-deps.js';
import { failureDocument, maskedResult, summaryLine } from './rotation-output.js';

/** Options of `keyrot rotate-now`. */
export interface RotateNowInput {
  profile?: string[];
  all?: boolean;
  force?: boolean;
  deleteOther?: boolean;
  allowHardlink?: boolean;
  dryRun?: boolean;
  json?: boolean;
}

/** `keyrot rotate-now`: rotates the named (or watched) profiles that are due, or all named with --force. */
export async function rotateNowCommand(
  input: RotateNowInput,
  ctx: CommandContext,
  deps: { platform?: NodeJS.Platform } = {},
): Promise<ExitCodeValue> {
  traceMark('rotate-now starts (its modules are loaded)');
  const env = ctx.io.env;
  const settings = await loadSettings({ path: ctx.globals.config, env });
  const profiles = input.profile?.length
    ? [...new Set(input.profile)]
    : input.all
      ? settings.watch
      : [env.AWS_PROFILE || 'default'];
  const documents: Record<string, unknown>[] = [];
  let exitCode: ExitCodeValue = ExitCode.ok;
  const reportFailure = (profile: string, error: KeyrotError, warning?: string): void => {
    documents.push({ ...failureDocument(profile, error), ...(warning ? { warnings: [warning] } : {}) });
    if (exitCode === ExitCode.ok) exitCode = error.exitCode;
    if (input.json) return;
    // A single profile: let cli.ts print the error the usual way.
    if (profiles.length === 1) throw error;
    ctx.io.stderr.write(errorText(error, { about: `profile ${profile}` }));
  };

  // Profiles the AWS files alone rule out (missing, session, SSO, role…) are refused before the
  // keychain or the network is touched: the answer then does not depend on either being reachable.
  const overrides = { credentialsFile: ctx.globals.credentialsFile, configFile: ctx.globals.awsConfigFile };
  const paths = resolveAwsFilePaths(env, overrides);
  // Windows: with HOME set, the files keyrot rewrites may not be the ones the AWS CLI reads.
  const mismatch = awsCliMismatch(env, overrides, deps.platform ?? process.platform);
  if (mismatch) {
    const warning = awsCliMismatchWarning(mismatch);
    ctx.io.stderr.write(`keyrot: warning: ${warning.text}\n  fix: ${warning.fix}\n`);
  }
  const files = await readSharedFiles(paths);
  // The key each profile holds now: a profile found on another key when its turn comes (it shared the key
  // with a profile rotated before it, or another keyrot rotated it) is already rotated, not rotated twice.
  const startKeys = new Map<string, string | undefined>();
  const rotatable = profiles.filter((profile) => {
    const { error, profile: classified } = profileRefusal(files, profile, paths);
    // A protected profile's key is in the keychain: the rotation's files port reads it from there.
    if (error && isProtectedProfile(files, profile)) return true;
    if (error) reportFailure(profile, error);
    else startKeys.set(profile, classified.settings.aws_access_key_id);
    return !error;
  });

  // Places where the AWS CLI reads the files otherwise than keyrot: one warning for each profile they touch.
  const readerDifferences = await readFilesReaderDifferences(paths).catch(() => []);

  if (rotatable.length > 0) {
    const deps = await createRotationDeps(ctx, settings);
    deps.recorder = stateFileRecorder(keyrotPaths(env).stateDir, settings, systemClock, (profile) =>
      isProtectedProfile(files, profile),
    );
    try {
      for (const profile of rotatable) {
        ctx.io.stderr.write(`keyrot: ${input.dryRun ? 'dry run for' : 'rotating'} profile ${profile}\n`);
        const readers = profileReaderWarning(readerDifferences, profile);
        if (readers) ctx.io.stderr.write(`keyrot: warning: ${readers}\n`);
        try {
          const result = await rotateProfile(
            {
              profile,
              force: Boolean(input.force),
              deleteOther: Boolean(input.deleteOther),
              allowHardlink: Boolean(input.allowHardlink),
              dryRun: Boolean(input.dryRun),
              startKeyId: startKeys.get(profile),
            },
            deps,
          );
          documents.push(
            maskedResult(readers ? { ...result, warnings: [...(result.warnings ?? []), readers] } : result),
          );
          if (result.hook && !result.hook.ok) {
            ctx.io.stderr.write(
              `keyrot: the after_rotate command of profile ${profile} failed; the rotation itself is complete\n`,
            );
          }
          if (!input.json) ctx.io.stdout.write(`${summaryLine(result)}\n`);
        } catch (error) {
          if (!isKeyrotError(error)) throw error;
          deps.logger.warn('rotation stopped', { profile, code: error.code, message: error.message });
          reportFailure(profile, error, readers);
        }
      }
    } finally {
      await deps.close();
    }
  }
  if (input.json) ctx.io.stdout.write(`${JSON.stringify({ profiles: documents }, null, 2)}\n`);
  return exitCode;
}

/**
 * Records each finished rotation in the daemon's state file so `status --offline` and the tray see it,
 * as the daemon records its own (daemon/record-check.ts). The new key is due max_age_days from now
 * (result.dueAt is the old key's due date).
 */
export function stateFileRecorder(
  stateDir: string,
  settings: Pick<Settings, 'profile'>,
  clock: Pick<Clock, 'now'> = systemClock,
  /** Whether a profile's key lives in the OS keychain (`keyrot protect`), as the tray shows it. */
  isProtected?: (profile: string) => boolean,
): ResultRecorderPort {
  return {
    async record(result: RotationResult) {
      if (result.outcome !== 'rotated' && !result.oldKeyWindow) return;
      const now = clock.now();
      const state = (await readStateFile(stateDir).catch(() => null)) ?? emptyState();
      const previous = state.profiles[result.profile] ?? emptyProfileState();
      const isProtectedNow = isProtected?.(result.profile);
      const protection = isProtectedNow === undefined ? {} : { protected: isProtectedNow };
      if (result.outcome === 'rotated') {
        const report = { ...rotatedReport(result, settings.profile(result.profile), now), ...protection };
        state.profiles[result.profile] = rotatedState(previous, report, now, 'rotate-now');
      } else {
        // Not rotated, but an old key's grace window was looked at: keep the state file's view of it true.
        const window = result.oldKeyWindow!;
        state.profiles[result.profile] = {
          ...previous,
          ...protection,
          oldKeyActive:
            window.state === 'closed'
              ? null
              : { keyId: maskKeyId(window.keyId), until: window.until, waiting: window.state === 'waiting' },
        };
      }
      await writeStateFile(stateDir, state);
    },
  };
}
