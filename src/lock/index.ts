// The inter-process locks: held by the kernel for as long as their holder's process lives, so a crash,
// a `kill -9` or a reboot never leaves a lock behind (see docs/architecture.md, "lock").
//
// How to use:
// - one step that no other keyrot process may run at the same time (a rotation of one key, an edit of one
//   file): `const release = await acquireLock(path, { wait, timeoutMs, onWait, purpose })`, then
//   `try { ... } finally { await release(); }`. Held by someone else and `wait` false, or still held after
//   `timeoutMs`: KeyrotError LOCKED (exit 4) whose message names the holder (its purpose and pid).
// - a lock named by a key id or a user ARN: `namedLockPath(lockDir, 'key' | 'user', name)` gives its path
//   (hashed: the name never appears on disk).
// - a process's whole life (the daemon, the tray): acquireInstanceLock in ./instance-lock.ts.
export {
  acquireLock,
  describeLockHolder,
  type LockHolder,
  type LockOptions,
  type LockWait,
  type ReleaseLock,
  readLockHolder,
} from './lock.js';
export { namedLockPath } from './named-lock.js';
