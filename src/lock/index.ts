// The inter-process lock shared by file edits, rotations and the daemon.
export {
  acquireLock,
  type LockFs,
  type LockOptions,
  type LockOwner,
  processIsAlive,
  type ReleaseLock,
} from './lock.js';
