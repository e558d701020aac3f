// The kernel's lock on an open file: an open-file-description lock (fcntl F_OFD_SETLK) on Linux, flock on
// macOS, LockFileEx on Windows, through fs-native-extensions' prebuilt binaries. The kernel drops it when
// the file is closed, so also when its process exits or is killed, and it is per open file, so two opens
// in one process exclude each other too. Loaded on first use: commands that take no lock never load it.
import { createRequire } from 'node:module';
import { KeyrotError } from '../errors/keyrot-error.js';

/** The part of fs-native-extensions keyrot uses (the package ships no types). */
interface NativeFileLocks {
  /** Takes an exclusive lock on [offset, offset + length) of `fd` (0, 0: the whole file); false when held. */
  tryLock(fd: number, offset: number, length: number): boolean;
}

let native: NativeFileLocks | undefined;

function nativeLocks(): NativeFileLocks {
  if (native) return native;
  try {
    native = createRequire(import.meta.url)('fs-native-extensions') as NativeFileLocks;
    return native;
  } catch (error) {
    throw new KeyrotError(
      'INTERNAL',
      `keyrot's file lock cannot be loaded on ${process.platform}-${process.arch} (fs-native-extensions).`,
      {
        cause: error,
        hint: 'keyrot runs on Linux (glibc), macOS and Windows, on x64 and arm64; reinstall keyrot with npm if this is one of them',
      },
    );
  }
}

// Windows locks are mandatory: a lock over the bytes that name the holder would stop others reading them,
// so there the lock covers one byte far past them. macOS's flock only locks whole files (0, 0).
const RANGE: [offset: number, length: number] = process.platform === 'win32' ? [2 ** 32, 1] : [0, 0];

/** Takes the kernel's exclusive lock on the open file `fd` without waiting; false when another open file holds it. */
export function tryLockFile(fd: number): boolean {
  return nativeLocks().tryLock(fd, ...RANGE);
}
