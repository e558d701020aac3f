// The edits of `keyrot protect` and `unprotect`: a profile's `credential_process` line in the config
// file that runs `keyrot credentials`, and the static key lines leaving (or coming back to) a file.
import { KeyrotError } from '../errors/keyrot-error.js';
import type { SharedFileDocument } from './document.js';
import { applySetProfileKey, type EditDeps, type SharedFileRef, type StaticKey } from './edit.js';
import { updateSharedFile } from './update.js';

/** The key lines that leave the AWS files when a profile is protected. */
export const STATIC_KEY_LINES = ['aws_access_key_id', 'aws_secret_access_key'] as const;

// What the AWS CLI (shlex) and the SDK (a shell) both read the same way inside double quotes.
const QUOTABLE = /^[^"\\$`\r\n]+$/;
const BARE = /^[A-Za-z0-9_.@+=:,/-]+$/;
// `… credentials --profile NAME` at the end of a credential_process value keyrot wrote.
const OURS = /\scredentials --profile (?:"([^"]+)"|(\S+))$/;

function quoted(what: string, value: string): string {
  if (!QUOTABLE.test(value)) {
    throw new KeyrotError(
      'USAGE',
      `the ${what} contains a character a credential_process line cannot quote`,
      {
        hint: 'Use a path and a profile name without ", \\, $ or `.',
      },
    );
  }
  return `"${value}"`;
}

/** The credential_process value that runs `keyrot credentials --profile <profile>` with absolute paths. */
export function keyrotCredentialProcess(node: string, keyrot: string, profile: string): string {
  const name = BARE.test(profile) ? profile : quoted('profile name', profile);
  return `${quoted('node path', node)} ${quoted('keyrot path', keyrot)} credentials --profile ${name}`;
}

/** The profile a credential_process value written by keyrot serves, or undefined for any other value. */
export function keyrotProcessProfile(value: string | undefined): string | undefined {
  const match = value === undefined ? null : OURS.exec(value);
  return match ? (match[1] ?? match[2]) : undefined;
}

/** Whether `profile` reads its key through keyrot's credential_process (a protected profile). */
export function isProtectedProfile(
  reading: { credentials: Map<string, Record<string, string>>; config: Map<string, Record<string, string>> },
  profile: string,
): boolean {
  const values = { ...reading.config.get(profile), ...reading.credentials.get(profile) };
  return !values.aws_access_key_id && keyrotProcessProfile(values.credential_process) === profile;
}

/** Sets `credential_process` of each profile (a missing `[profile x]` section is appended): one atomic write. */
export async function setCredentialProcess(
  configFile: string,
  commands: { profile: string; command: string }[],
  deps: EditDeps = {},
): Promise<void> {
  await updateSharedFile(
    configFile,
    'config',
    (doc) =>
      doc.setProfileValues(
        commands.map(({ profile, command }) => ({ profile, key: 'credential_process', value: command })),
        { create: true },
      ),
    { ...deps, create: true },
  );
}

/** Removes the lines setting `keys` from each profile of one file: one atomic write, every other byte kept. */
export async function removeProfileLines(
  file: SharedFileRef,
  profiles: readonly string[],
  keys: readonly string[],
  deps: EditDeps = {},
): Promise<void> {
  await updateSharedFile(
    file.path,
    file.kind,
    (doc: SharedFileDocument) => {
      for (const profile of profiles) doc.removeProfileKeys(profile, keys);
    },
    deps,
  ).catch((error: unknown) => {
    // A file that is not there holds nothing to remove.
    if (error instanceof KeyrotError && error.code === 'FILE_NOT_FOUND') return;
    throw error;
  });
}

/** Puts `key` back into each profile of the credentials file (sections or lines created as needed): one atomic write. */
export async function restoreStaticKeys(
  credentialsFile: string,
  profiles: readonly string[],
  key: StaticKey,
  deps: EditDeps = {},
): Promise<void> {
  await updateSharedFile(
    credentialsFile,
    'credentials',
    (doc) => {
      for (const profile of profiles) {
        const { accessKeyId, secretAccessKey } = key;
        applySetProfileKey(doc, { profile, accessKeyId, secretAccessKey, create: true });
      }
    },
    { ...deps, create: true },
  );
}
