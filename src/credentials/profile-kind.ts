// What kind of credentials a profile of the AWS files holds: one cheap classifier (no keychain, no
// network, nothing beyond the parsed files) shared by `status`, online and `--offline`, and the rotation
// engine's refusals (rotation/profile-kind.ts).
import { isProtectedProfile } from './credential-process.js';
import { mergedProfileValues, type SharedFilesReading } from './read.js';

/** What kind of credentials a profile resolves to. */
export type ProfileKind = 'static' | 'session' | 'sso' | 'role' | 'process' | 'web-identity' | 'none';

/** A profile's kind as `status` shows it: `protected` is a static key kept in the keychain (`keyrot protect`). */
export type ShownProfileKind = ProfileKind | 'protected';

/** The kind of a profile's merged settings, in the order the SDK's credential chain would pick a source. */
export function profileKind(settings: Record<string, string | undefined>): ProfileKind {
  const has = (key: string) => Boolean(settings[key]);
  if (has('role_arn')) return has('web_identity_token_file') ? 'web-identity' : 'role';
  if (has('sso_session') || has('sso_start_url')) return 'sso';
  if (has('aws_access_key_id') && has('aws_session_token')) return 'session';
  if (has('aws_access_key_id') && has('aws_secret_access_key')) return 'static';
  if (has('credential_process')) return 'process';
  return 'none';
}

/**
 * The kind of `profile` in the files as the AWS tools read them (not with a protected key filled in):
 * `protected` when it gets its key through keyrot's credential_process, `none` when it is in neither file.
 */
export function shownProfileKind(
  files: Pick<SharedFilesReading, 'credentials' | 'config'>,
  profile: string,
): ShownProfileKind {
  if (isProtectedProfile(files, profile)) return 'protected';
  return profileKind(mergedProfileValues(files, profile) ?? {});
}
