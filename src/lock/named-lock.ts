// Locks named by an arbitrary string (an access key id, an IAM user ARN): the name is hashed so that no
// key id or ARN ever appears in a file name, and any string gives a valid, short file name.
import { createHash } from 'node:crypto';
import path from 'node:path';

/**
 * The lock file in `dir` for `name`: `<kind>-<first 24 hex of sha256(kind + NUL + name)>.lock`.
 * `kind` says what the name is ('key', 'user'); it is kept readable so that `ls` shows what is locked.
 */
export function namedLockPath(dir: string, kind: string, name: string): string {
  if (!/^[a-z][a-z0-9-]*$/.test(kind)) throw new Error(`namedLockPath: invalid kind ${JSON.stringify(kind)}`);
  const digest = createHash('sha256').update(`${kind}\0${name}`).digest('hex').slice(0, 24);
  return path.join(dir, `${kind}-${digest}.lock`);
}
