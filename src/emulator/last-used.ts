// A key's last use as IAM reports it: stamped on every signed request, and visible to
// GetAccessKeyLastUsed only after a delay (IAM's can be hours; the emulator's is a setting, 0 by default).
import type { AccessKeyRecord, KeyLastUsed } from './state.js';

/** Uses not yet visible that a key keeps; past this the newest is overwritten (its time only moves later). */
const MAX_PENDING_USES = 100;

/** Records a use of `key` at `use.date`; with a delay it waits in the key's pending uses. */
export function recordKeyUse(key: AccessKeyRecord, use: KeyLastUsed, delayMs: number): void {
  if (delayMs <= 0 && !key.pendingUses?.length) {
    key.lastUsed = use;
    return;
  }
  const pending = key.pendingUses ?? [];
  if (pending.length >= MAX_PENDING_USES) pending[pending.length - 1] = use;
  else pending.push(use);
  key.pendingUses = pending;
}

/** The last use of `key` visible at `now`: pending uses at least `delayMs` old become the reported one. */
export function visibleLastUse(key: AccessKeyRecord, now: Date, delayMs: number): KeyLastUsed | undefined {
  const pending = key.pendingUses;
  if (pending?.length) {
    const cutoff = now.getTime() - Math.max(0, delayMs);
    while (pending.length > 0 && Date.parse(pending[0]!.date) <= cutoff) key.lastUsed = pending.shift();
    if (pending.length === 0) delete key.pendingUses;
  }
  return key.lastUsed;
}
