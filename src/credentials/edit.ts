// The two edits keyrot makes to AWS shared files: put a key into one profile, and swap one key id for a
// new key wherever it appears. Both refuse profiles that are not plain static keys, naming file and line.
import { KeyrotError } from '../errors/keyrot-error.js';
import { errnoCode, realFs } from '../fs/fs-port.js';
import { type ProfileEdit, parseSharedFile, type SharedFileDocument } from './document.js';
import type { FileKind } from './grammar.js';
import { type CredentialsDeps, readSharedFileBytes } from './read.js';
import { type UpdateOptions, updateSharedFile } from './update.js';

/** A new static key. */
export interface StaticKey {
  accessKeyId: string;
  secretAccessKey: string;
}

/** What setProfileKey asks for. */
export interface SetProfileKeyRequest extends StaticKey {
  /** The file to edit. */
  file: string;
  /** The profile as the SDK names it (in a config file `x` for `[profile x]`). */
  profile: string;
  /** Which file it is (default 'credentials'). */
  kind?: FileKind;
  /** Create the file, the profile, or the missing key lines when absent (default false). */
  create?: boolean;
}

/** What setProfileKey did. */
export interface EditResult {
  /** The file really written (a symlink's target). */
  file: string;
  profile: string;
  /** Whether any byte changed (false when the profile already held this key). */
  changed: boolean;
}

/** Options shared by the edits: injected fs and warnings, lock behaviour. */
export type EditDeps = CredentialsDeps &
  Pick<UpdateOptions, 'lockWait' | 'lockTimeoutMs' | 'lock' | 'maxAttempts'>;

// Profiles with these keys get their credentials elsewhere; writing a static key into them changes what they are.
const NOT_STATIC = [
  'role_arn',
  'credential_process',
  'sso_session',
  'sso_start_url',
  'web_identity_token_file',
];

/** Refuses a profile that holds temporary credentials (aws_session_token), naming file and line. */
function refuseSession(doc: SharedFileDocument, profile: string): void {
  const token = doc.locateProfile(profile)?.keys.get('aws_session_token');
  if (token) {
    throw new KeyrotError(
      'SESSION_CREDENTIALS',
      `Profile "${profile}" in ${doc.file} holds temporary credentials (aws_session_token, line ${token.line}).`,
      { file: doc.file, line: token.line, hint: 'keyrot rotates long-term access keys only.' },
    );
  }
}

function notFound(doc: SharedFileDocument, profile: string): KeyrotError {
  const blocked = doc.blockedLine();
  if (blocked !== undefined) {
    return new KeyrotError(
      'FILE_INVALID',
      `The AWS SDK rejects ${doc.file}: a section named __proto__ (line ${blocked}).`,
      {
        file: doc.file,
        line: blocked,
        hint: 'Rename or remove that section.',
      },
    );
  }
  return new KeyrotError('PROFILE_NOT_FOUND', `No profile "${profile}" in ${doc.file}.`, {
    file: doc.file,
    hint: 'Check the profile name; in the config file profiles are written [profile NAME].',
  });
}

/** The edit of setProfileKey on a document: checks, then sets both keys (exported for in-memory use). */
export function applySetProfileKey(
  doc: SharedFileDocument,
  request: Omit<SetProfileKeyRequest, 'file'>,
): void {
  const { profile } = request;
  const location = doc.locateProfile(profile);
  if (!location && !request.create) throw notFound(doc, profile);
  if (location) {
    refuseSession(doc, profile);
    if (!location.keys.has('aws_access_key_id')) {
      const other = NOT_STATIC.find((key) => location.keys.has(key));
      if (!request.create || other) {
        const line = other ? (location.keys.get(other)?.line ?? location.headerLine) : location.headerLine;
        throw new KeyrotError(
          other ? 'UNSUPPORTED_PROFILE' : 'NO_STATIC_KEY',
          other
            ? `Profile "${profile}" in ${doc.file} gets its credentials from ${other} (line ${line}), not a static key.`
            : `Profile "${profile}" in ${doc.file} (line ${line}) has no aws_access_key_id.`,
          { file: doc.file, line, hint: 'keyrot only rotates profiles that hold a static access key.' },
        );
      }
    }
    // Inserting lines is reserved for `create`: without it a half-configured profile is refused, not completed.
    const secret = location.keys.has('aws_secret_access_key');
    if (!request.create && location.keys.has('aws_access_key_id') && !secret) {
      throw new KeyrotError(
        'NO_STATIC_KEY',
        `Profile "${profile}" in ${doc.file} (line ${location.headerLine}) has an aws_access_key_id but no aws_secret_access_key.`,
        {
          file: doc.file,
          line: location.headerLine,
          hint: 'Add the secret, or pass create to let keyrot add it.',
        },
      );
    }
  } else if (doc.blockedLine() !== undefined) {
    throw notFound(doc, profile);
  }
  doc.setProfileValues(
    [
      { profile, key: 'aws_access_key_id', value: request.accessKeyId },
      { profile, key: 'aws_secret_access_key', value: request.secretAccessKey },
    ],
    { create: request.create },
  );
}

/**
 * Sets aws_access_key_id and aws_secret_access_key of one profile in one file, changing only those value
 * bytes (the occurrences the SDK resolves), under the file lock, atomically. Refuses with PROFILE_NOT_FOUND,
 * NO_STATIC_KEY, UNSUPPORTED_PROFILE or SESSION_CREDENTIALS (file and line named, never a secret).
 */
export async function setProfileKey(request: SetProfileKeyRequest, deps: EditDeps = {}): Promise<EditResult> {
  const kind = request.kind ?? 'credentials';
  const outcome = await updateSharedFile(request.file, kind, (doc) => applySetProfileKey(doc, request), {
    ...deps,
    create: request.create,
  });
  return { file: outcome.file, profile: request.profile, changed: outcome.changed };
}

/** The profiles of a document whose resolved aws_access_key_id is `keyId` (sso-session/services excluded). */
export function profilesHoldingKey(doc: SharedFileDocument, keyId: string): string[] {
  const holders: string[] = [];
  for (const [name, values] of doc.profiles()) {
    if (doc.kind === 'config' && /^(sso-session|services)\./.test(name)) continue;
    if (values.aws_access_key_id === keyId) holders.push(name);
  }
  return holders;
}

/** The edit of replaceKeyId on a document; returns the profiles changed (exported for in-memory use). */
export function applyReplaceKeyId(doc: SharedFileDocument, oldKeyId: string, next: StaticKey): string[] {
  const holders = profilesHoldingKey(doc, oldKeyId);
  for (const profile of holders) refuseSession(doc, profile);
  const edits: ProfileEdit[] = holders.flatMap((profile) => [
    { profile, key: 'aws_access_key_id', value: next.accessKeyId },
    { profile, key: 'aws_secret_access_key', value: next.secretAccessKey },
  ]);
  if (edits.length > 0) doc.setProfileValues(edits);
  return holders;
}

/** An AWS shared file to edit: its path and which of the two files it is. */
export interface SharedFileRef {
  path: string;
  kind: FileKind;
}

/**
 * The files among `paths` that have a profile holding `keyId`, credentials file first, each as its real
 * path (symlinks resolved: that is the file a rename replaces). Missing files hold nothing.
 */
export async function filesHoldingKey(
  paths: { credentialsFile: string; configFile: string },
  keyId: string,
  deps: Pick<CredentialsDeps, 'fs'> = {},
): Promise<SharedFileRef[]> {
  const fs = deps.fs ?? realFs;
  const holding: SharedFileRef[] = [];
  const files: SharedFileRef[] = [
    { path: paths.credentialsFile, kind: 'credentials' },
    { path: paths.configFile, kind: 'config' },
  ];
  for (const { path, kind } of files) {
    const bytes = await readSharedFileBytes(fs, path);
    if (bytes === null) continue;
    const doc = parseSharedFile(bytes.toString('utf8'), kind, { file: path });
    if (profilesHoldingKey(doc, keyId).length === 0) continue;
    const real = await fs.realpath(path);
    if (!holding.some((f) => f.path === real)) holding.push({ path: real, kind });
  }
  return holding;
}

/**
 * Replaces key `oldKeyId` by `next` in every profile holding it, in each of `files`: one locked,
 * compare-and-swap, atomic write per file. Missing files are skipped. Returns the files and profiles
 * changed (empty when no profile holds the old key).
 */
export async function replaceKeyId(
  files: readonly SharedFileRef[],
  oldKeyId: string,
  next: StaticKey,
  deps: EditDeps = {},
): Promise<{ file: string; profiles: string[] }[]> {
  const fs = deps.fs ?? realFs;
  const results: { file: string; profiles: string[] }[] = [];
  for (const { path: file, kind } of files) {
    try {
      await fs.stat(file);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') continue;
    }
    const changed = new Set<string>();
    const outcome = await updateSharedFile(
      file,
      kind,
      (doc) => {
        for (const profile of applyReplaceKeyId(doc, oldKeyId, next)) changed.add(profile);
      },
      deps,
    );
    if (changed.size > 0 && outcome.changed) results.push({ file: outcome.file, profiles: [...changed] });
  }
  return results;
}
