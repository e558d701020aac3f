import { KeyrotError } from '../errors/keyrot-error.js';
import { errnoCode, type FsPort, realFs } from '../fs/fs-port.js';
import { type ProfileValues, parseSharedFile } from './document.js';
import type { FileKind } from './grammar.js';
import type { AwsFilePaths } from './paths.js';

/** Dependencies of the credentials engine; all optional, defaulting to the real thing. */
export interface CredentialsDeps {
  /** The file system (default: node:fs/promises). */
  fs?: FsPort;
  /** Called with a message when keyrot fixed something the person should know about (a loose file mode). */
  warn?: (message: string) => void;
}

/** Both AWS shared files as the SDK reads them, plus what was missing. */
export interface SharedFilesReading {
  /** Credentials file profiles, keyed as the SDK keys them. */
  credentials: Map<string, ProfileValues>;
  /** Config file profiles (`[profile x]` → `x`; sso-session/services sections keep their prefix). */
  config: Map<string, ProfileValues>;
  /** Which files did not exist (they read as empty, as in the SDK). */
  missing: { credentials: boolean; config: boolean };
}

/** Reads one shared file's bytes; null when it does not exist. Other failures are FILE_UNREADABLE. */
export async function readSharedFileBytes(fs: FsPort, file: string): Promise<Buffer | null> {
  try {
    return await fs.readFile(file);
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT') return null;
    const why =
      code === 'EISDIR'
        ? 'it is a directory'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : code === 'ELOOP'
            ? 'too many symbolic links'
            : `error ${code ?? 'unknown'}`;
    throw new KeyrotError('FILE_UNREADABLE', `Cannot read ${file}: ${why}.`, { file, cause: error });
  }
}

async function readOne(fs: FsPort, file: string, kind: FileKind): Promise<Map<string, ProfileValues> | null> {
  const bytes = await readSharedFileBytes(fs, file);
  if (bytes === null) return null;
  // Decoded as the SDK decodes (utf8, BOM kept as U+FEFF, invalid bytes as U+FFFD).
  return parseSharedFile(bytes.toString('utf8'), kind, { file }).profiles();
}

/**
 * Reads the credentials and config files with the SDK's grammar. A missing file reads as empty (as in the
 * SDK); a file that exists but cannot be read (directory, permissions) is FILE_UNREADABLE, not silence.
 */
export async function readSharedFiles(
  paths: AwsFilePaths,
  deps: CredentialsDeps = {},
): Promise<SharedFilesReading> {
  const fs = deps.fs ?? realFs;
  const [credentials, config] = await Promise.all([
    readOne(fs, paths.credentialsFile, 'credentials'),
    readOne(fs, paths.configFile, 'config'),
  ]);
  return {
    credentials: credentials ?? new Map(),
    config: config ?? new Map(),
    missing: { credentials: credentials === null, config: config === null },
  };
}

/** One profile as the SDK merges it: config values overlaid by credentials values; undefined if in neither. */
export function mergedProfileValues(
  reading: Pick<SharedFilesReading, 'credentials' | 'config'>,
  profile: string,
): ProfileValues | undefined {
  const config = reading.config.get(profile);
  const credentials = reading.credentials.get(profile);
  if (!config && !credentials) return undefined;
  return { ...config, ...credentials };
}
