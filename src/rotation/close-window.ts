// Closing an old key's grace window without looking at the profile's current key: what the daemon does
// for the profiles it does not watch (a `rotate-now --profile X` opened the window, nothing else visits X).
// Same locks and same step as a rotation's own close (steps/grace-window.ts), so a `rotate-now` running
// meanwhile and this never both close one window. See docs/rotation-protocol.md, "The grace window".
import { mergedProfileValues } from '../credentials/read.js';
import type { JournalEntryLike, OldKeyWindow, RotationDeps } from './ports.js';
import { scopeToProfile, takeLock } from './rotate-profile.js';
import { newState } from './state.js';
import { settleWindow } from './steps/grace-window.js';

/** A grace window of the journal and the profile whose key is its new key. */
export interface ProfileWindow {
  profile: string;
  /** The key the profile holds: the window's new key. */
  keyId: string;
}

/**
 * The journal's grace windows (phase `retiring`) whose new key no profile of `watched` holds, each with
 * a profile that holds it (the one that started the rotation when it still does). A window a watched
 * profile holds is left to that profile's check.
 */
export async function windowsOutside(
  deps: RotationDeps,
  watched: readonly string[],
): Promise<ProfileWindow[]> {
  const entries = (await deps.journal.survey()).entries.filter((e) => e.phase === 'retiring' && e.newKeyId);
  if (entries.length === 0) return [];
  const shared = await deps.files.read();
  const names = [...new Set([...shared.credentials.keys(), ...shared.config.keys()])];
  const keyOf = (profile: string) => mergedProfileValues(shared, profile)?.aws_access_key_id;
  const found: ProfileWindow[] = [];
  for (const entry of entries) {
    const keyId = entry.newKeyId!;
    const holders = names.filter((name) => keyOf(name) === keyId);
    if (holders.some((name) => watched.includes(name))) continue;
    // No profile holds it any more: the one that started it still names the region to ask.
    const profile = holders.length === 0 || holders.includes(entry.profile) ? entry.profile : holders[0]!;
    found.push({ profile, keyId });
  }
  return found;
}

/**
 * Closes the grace window whose new key is `window.keyId` when its deadline has come (see settleWindow:
 * the old key's last use is read, the person told of a use after the rotation, `old_key_wait_while_used`
 * honoured), under the rotation's key and user locks; never creates a key. Returns the window's state
 * after this run, or null when the journal no longer has it (another run closed it).
 */
export async function closeWindowOf(
  window: ProfileWindow,
  wired: RotationDeps,
): Promise<OldKeyWindow | null> {
  const deps = await scopeToProfile(wired, window.profile);
  const found = await retiringEntry(deps, window.keyId);
  if (!found) return null;
  const until = found.retireAt!;
  if (deps.clock.now().getTime() < Date.parse(until)) {
    return { keyId: found.oldKeyId, until, state: 'open' };
  }
  const state = newState({ profile: window.profile, force: false, deleteOther: false, dryRun: false }, deps);
  const releaseKey = await takeLock(deps, 'key', found.oldKeyId);
  try {
    // Read again under the lock: a rotation that held it may have closed the window meanwhile.
    const entry = await retiringEntry(deps, window.keyId);
    if (!entry) return null;
    const releaseUser = await takeLock(deps, 'user', entry.userArn);
    try {
      await settleWindow(state, deps, entry, { early: false });
      return state.oldKeyWindow ?? null;
    } finally {
      await releaseUser();
    }
  } finally {
    await releaseKey();
  }
}

async function retiringEntry(deps: RotationDeps, newKeyId: string): Promise<JournalEntryLike | null> {
  const entry = await deps.journal.find(newKeyId);
  return entry?.phase === 'retiring' && entry.newKeyId === newKeyId && entry.retireAt ? entry : null;
}
