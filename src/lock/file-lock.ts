// The kernel's lock on an open file: an open-file-description lock (fcntl F_OFD_SETLK) on Linux, flock on
// macOS, LockFileEx on Windows, through fs-native-extensions' prebuilt binaries. The kernel drops it when
// the file is closed, so also when its process exits or is killed, and it is per open file, so two opens
// in one process exclude each other too. Loaded on first use: commands that take no lock never load it.
import { createRequire } from 'node:module';
import { KeyrotError } from '../errors/keyrot-error.js';

/** The part of fs-native-extensions keyrot uses (the package ships no types). */
export interface NativeFileLocks {
  /** Takes an exclusive lock on [offset, offset + length) of `fd` (0, 0: the whole file); false when held. */
  tryLock(fd: number, offset: number, length: number): boolean;
}

/** The prebuilt binary's own lock call: throws an error with code EAGAIN when another open file holds the lock. */
interface NativeBinding {
  tryLock(fd: number, offset: number, length: number, exclusive: boolean): void;
}

let native: NativeFileLocks | undefined;

/**
 * The package's prebuilt binary for this platform, loaded directly: the package's own loader
 * (require-addon) finds the same file by reading package manifests, ~6 ms of a rotation. Undefined when
 * the binary is not where the package ships it; the package then loads it its own way.
 */
export function prebuiltLocks(load: NodeJS.Require): NativeFileLocks | undefined {
  let binding: NativeBinding;
  try {
    binding = load(
      `fs-native-extensions/prebuilds/${process.platform}-${process.arch}/fs-native-extensions.node`,
    ) as NativeBinding;
  } catch {
    return undefined;
  }
  return {
    // As the package's tryLock does: an exclusive lock, EAGAIN (held elsewhere) as false.
    tryLock(fd, offset, length) {
      try {
        binding.tryLock(fd, offset, length, true);
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return false;
        throw error;
      }
    },
  };
}

function nativeLocks(): NativeFileLocks {
  if (native) return native;
  try {
    const load = createRequire(import.meta.url);
    native = prebuiltLocks(load) ?? (load('fs-native-extensions') as NativeFileLocks);
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
