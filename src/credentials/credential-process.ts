// The edits of `keyrot protect` and `unprotect`: a profile's `credential_process` line in the config
// file that runs `keyrot credentials`, and the static key lines leaving (or coming back to) a file.
import { KeyrotError } from '../errors/keyrot-error.js';
import { realFs } from '../fs/fs-port.js';
import { acquireLock } from '../lock/index.js';
import type { SharedFileDocument } from './document.js';
import { applySetProfileKey, type EditDeps, type SharedFileRef, type StaticKey } from './edit.js';
import { editLockPath, updateSharedFile } from './update.js';

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
  ).catch(ignoreMissingFile);
}

/** Puts `key` back into each profile of one file (sections or lines created as needed): one atomic write. */
export async function restoreStaticKeys(
  file: SharedFileRef,
  profiles: readonly string[],
  key: StaticKey,
  deps: EditDeps = {},
): Promise<void> {
  await updateSharedFile(
    file.path,
    file.kind,
    (doc) => {
      for (const profile of profiles) {
        const { accessKeyId, secretAccessKey } = key;
        applySetProfileKey(doc, { profile, accessKeyId, secretAccessKey, create: true });
      }
    },
    { ...deps, create: true },
  );
}

/**
 * Removes each profile's credential_process line, puts `key` back into the profiles whose key lines were in
 * the config file (`keyInConfig`), and takes out the `[profile P]` header protect appended (`lead`: the text
 * it put before it) when nothing else is left in it: one atomic write, every other byte kept.
 */
export async function removeCredentialProcess(
  configFile: string,
  profiles: readonly { profile: string; keyInConfig?: boolean; addedSection?: { lead: string } }[],
  key: StaticKey,
  deps: EditDeps = {},
): Promise<void> {
  await updateSharedFile(
    configFile,
    'config',
    (doc) => {
      for (const { profile, keyInConfig } of profiles) {
        doc.removeProfileKeys(profile, ['credential_process']);
        const { accessKeyId, secretAccessKey } = key;
        if (keyInConfig) applySetProfileKey(doc, { profile, accessKeyId, secretAccessKey, create: true });
      }
      // Appended together, only the first one after a lead: remove it last, when its lead ends the text again.
      const added = profiles
        .filter((p) => p.addedSection)
        .sort((a, b) => Number(a.addedSection!.lead !== '') - Number(b.addedSection!.lead !== ''));
      for (const { profile, addedSection } of added)
        doc.removeEmptyProfileSection(profile, addedSection!.lead);
    },
    deps,
  ).catch(ignoreMissingFile);
}

// A file that is not there holds nothing to remove.
function ignoreMissingFile(error: unknown): void {
  if (error instanceof KeyrotError && error.code === 'FILE_NOT_FOUND') return;
  throw error;
}

/**
 * Deletes `file` when it is a plain file holding nothing (0 bytes), under the lock keyrot's edits of it
 * take, so no keyrot edit lands in between; anything else, or a file already gone, is left as it is.
 */
export async function removeEmptyFile(file: string): Promise<void> {
  const release = await acquireLock(editLockPath(file), { wait: true, timeoutMs: 10_000 });
  try {
    const found = await realFs.lstat(file).catch(() => null);
    if (found?.isFile() && found.size === 0) await realFs.unlink(file);
  } finally {
    await release();
  }
}
