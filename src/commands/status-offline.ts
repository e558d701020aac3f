// `keyrot status --offline`: each profile's kind and masked key from the AWS files, its age, due date and
// last result as the daemon last recorded them (the state file), and the pause marker; local files only,
// never IAM nor the keychain. Its own module, away from the online command's SDK and keychain, so the
// bin runs it from a small bundle (src/commands/status-fast.ts → dist/bundle/status.cjs).
import { loadSettings } from '../config/load-settings.js';
import { keyrotPaths } from '../config/paths.js';
import { isProtectedProfile } from '../credentials/credential-process.js';
import { resolveAwsFilePaths } from '../credentials/paths.js';
import { shownProfileKind } from '../credentials/profile-kind.js';
import { mergedProfileValues, readSharedFiles } from '../credentials/read.js';
import { ExitCode, type ExitCodeValue } from '../errors/keyrot-error.js';
import { maskKeyId } from '../errors/redact.js';
import { pauseFilePath, readPauseUntil } from '../state/pause-file.js';
import { readStateFile } from '../state/state-file.js';
import { systemClock } from '../time/clock.js';
import { traceMark } from '../time/trace.js';
import type { CommandContext } from './context.js';
import {
  printStatus,
  profilesShown,
  type StatusInput,
  type StatusRow,
  staleEnvKeyWarning,
} from './status-report.js';

/** `keyrot status --offline`: what the local files say about each profile (see the top of this file). */
export async function statusOfflineCommand(input: StatusInput, ctx: CommandContext): Promise<ExitCodeValue> {
  traceMark('status starts (its modules are loaded)');
  const env = ctx.io.env;
  // Only checked: a settings file the daemon would refuse is an error here too.
  await loadSettings({ path: ctx.globals.config, env });
  const stateDir = keyrotPaths(env).stateDir;
  const warnings: string[] = [];
  const shared = await readSharedFiles(
    resolveAwsFilePaths(env, {
      credentialsFile: ctx.globals.credentialsFile,
      configFile: ctx.globals.awsConfigFile,
    }),
  );
  const isProtected = (profile: string) => isProtectedProfile(shared, profile);
  const profiles = profilesShown(input, shared.credentials, [...shared.config.keys()].filter(isProtected));
  // A state file that cannot be read or is not as expected counts as none (the warning below says so).
  const state = await readStateFile(stateDir).catch(() => null);
  // The marker itself, not the state file: the daemon records a pause only at its next tick.
  const pausedUntil = await readPauseUntil(stateDir, systemClock.now());
  const rows: StatusRow[] = profiles.map((profile) => {
    const recorded = state?.profiles[profile];
    const values = mergedProfileValues(shared, profile) ?? {};
    return {
      profile,
      kind: shownProfileKind(shared, profile),
      keyId: values.aws_access_key_id ? maskKeyId(values.aws_access_key_id) : null,
      ageDays: recorded?.ageDays ?? null,
      dueAt: recorded?.dueAt ?? null,
      due: recorded?.dueAt ? Date.parse(recorded.dueAt) <= Date.now() : null,
      keys: null,
      lastResult: recorded?.lastResult ?? null,
      oldKeyActive: recorded?.oldKeyActive ?? null,
      note: recorded ? null : 'no state recorded yet (the daemon has not checked this profile)',
    };
  });
  const envWarning = staleEnvKeyWarning(env, shared.credentials);
  if (envWarning) warnings.push(envWarning);
  if (!state) warnings.push(`no state recorded yet: the daemon has not run (looked in ${stateDir})`);
  printStatus(
    { offline: true, pausedUntil, pauseFile: pauseFilePath(stateDir), rows, pending: null, warnings },
    Boolean(input.json),
    ctx.io,
  );
  return ExitCode.ok;
}
