import { type ProfileKind, profileKind } from '../credentials/profile-kind.js';
import { mergedProfileValues } from '../credentials/read.js';
import { KeyrotError } from '../errors/keyrot-error.js';
import type { SharedProfiles } from './ports.js';

/** What kind of credentials a profile resolves to (the shared classifier's kinds). */
export type { ProfileKind };

/** A profile's merged settings and what keyrot can do with it. */
export interface ClassifiedProfile {
  name: string;
  kind: ProfileKind;
  /** Config file values overlaid by credentials file values, as the SDK merges them. */
  settings: Record<string, string>;
  /** Why keyrot will not rotate it (absent for static keys). */
  refusal?: string;
  /** The reason alone, without the profile name ("it assumes a role…"). */
  reason?: string;
}

/** Why keyrot does not rotate a profile of each kind but a static key's. */
const REASONS: Record<Exclude<ProfileKind, 'static'>, string> = {
  'web-identity': 'it assumes a role with a web identity token; there is no key of yours to rotate',
  role: 'it assumes a role (role_arn); rotate the key of its source_profile instead',
  sso: 'it signs in with IAM Identity Center (SSO), whose credentials are short-lived already',
  session: 'it holds temporary credentials (aws_session_token); they cannot be rotated, only renewed',
  process: 'its credentials come from credential_process; keyrot cannot write them back there',
  none: 'it has no aws_access_key_id and aws_secret_access_key',
};

/** Classifies a profile in the order the SDK's credential chain would pick a source (profileKind). */
export function classifyProfile(name: string, settings: Record<string, string>): ClassifiedProfile {
  const kind = profileKind(settings);
  if (kind === 'static') return { name, kind, settings };
  const reason = REASONS[kind];
  return { name, kind, settings, refusal: `keyrot will not rotate profile "${name}": ${reason}`, reason };
}

/**
 * Why `name` cannot be rotated, judged from the AWS files alone (missing, session, SSO, role…), or
 * undefined for a static key. Needs no keychain or network, so refusals come before either is opened.
 */
export function profileRefusal(
  files: SharedProfiles,
  name: string,
  paths: { credentialsFile: string; configFile: string },
): { error: KeyrotError; profile?: ClassifiedProfile } | { error?: undefined; profile: ClassifiedProfile } {
  const settings = mergedProfileValues(files, name);
  if (!settings) {
    return {
      error: new KeyrotError('PROFILE_NOT_FOUND', `profile "${name}" is in neither AWS file`, {
        hint: `Looked in ${paths.credentialsFile} and ${paths.configFile}.`,
      }),
    };
  }
  const profile = classifyProfile(name, settings);
  if (!profile.refusal) return { profile };
  const code =
    profile.kind === 'session'
      ? 'SESSION_CREDENTIALS'
      : profile.kind === 'none'
        ? 'NO_STATIC_KEY'
        : 'UNSUPPORTED_PROFILE';
  return { error: new KeyrotError(code, profile.refusal), profile };
}
