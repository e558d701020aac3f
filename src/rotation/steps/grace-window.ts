// The old key's grace window (old_key_active_hours): after the rewrite the old key stays active for a
// while, for processes that still hold it; the journal entry (phase `retiring`) keeps its deadline, so
// any later run of the key — the daemon's, `rotate-now`'s, the tray's, under the same locks — closes it.
// See docs/rotation-protocol.md, "The grace window".
import { awsErrorName } from '../../aws/errors.js';
import type { AccessKeyLastUsed } from '../../aws/types.js';
import { KeyrotError } from '../../errors/keyrot-error.js';
import { maskKeyId } from '../../errors/redact.js';
import { utcMinute } from '../../time/days.js';
import { withMfa } from '../mfa.js';
import type { JournalEntryLike, OldKeyWindow, RotationDeps } from '../ports.js';
import { addWarning, type RotationState, userNameFromArn } from '../state.js';
import { retireKey } from './retire-old-key.js';

/**
 * A use of the old key counts as "after the rotation" only this long after the rewrite: the rotation's
 * own last calls with the old key come seconds before it, and this machine's clock and AWS's may differ
 * by a few seconds.
 */
export const OWN_USE_MARGIN_MS = 60_000;

/**
 * Step 1 for a `retiring` entry whose files hold its new key. Before the deadline nothing happens (unless
 * `early`: a rotation due now needs the old key's slot). Then the old key's last use is read: a use after
 * the rewrite means something still holds the old key, and the person is told (notification, log, the
 * result's warnings) with the service, region and time. The key is then retired and the entry removed,
 * except that `old_key_wait_while_used` keeps it active while each look finds a newer use, and that an
 * early close refuses (exit 3, nothing changed) a key still in use unless --delete-other or
 * `other_active_key = delete` accepts breaking its holder. Returns the window's state after this run.
 */
export async function settleWindow(
  state: RotationState,
  deps: RotationDeps,
  entry: JournalEntryLike,
  options: { early: boolean },
): Promise<OldKeyWindow['state']> {
  const until = entry.retireAt!;
  const keyId = entry.oldKeyId;
  const report = (windowState: OldKeyWindow['state']) => {
    state.oldKeyWindow = { keyId, until, state: windowState };
    return windowState;
  };
  if (!options.early && deps.clock.now().getTime() < Date.parse(until)) return report('open');
  state.userName = userNameFromArn(entry.userArn);
  const signer = { accessKeyId: entry.newKeyId!, secretAccessKey: entry.newSecret! };
  let used: AccessKeyLastUsed;
  try {
    used = await withMfa(state, deps, signer, (c) => deps.iam.getAccessKeyLastUsed(c, keyId));
  } catch (error) {
    if (awsErrorName(error) !== 'NoSuchEntity') throw error;
    // Someone deleted it already: nothing is left to retire.
    await deps.journal.finish(entry);
    return report('closed');
  }
  const usedAt = used.lastUsedDate;
  const stillUsed =
    usedAt !== undefined && usedAt.getTime() > Date.parse(entry.rewrittenAt!) + OWN_USE_MARGIN_MS;
  if (stillUsed) {
    const where = `${usedAt.toISOString().replace('T', ' ').slice(0, 19)} UTC by ${used.serviceName ?? 'an unknown service'} in ${used.region ?? 'an unknown region'}`;
    const profile = state.request.profile;
    const what = `the old key ${maskKeyId(keyId)} of profile ${profile} was used after the rotation, at ${where}: something still holds it`;
    if (options.early && !(state.request.deleteOther || state.policy.otherActiveKey === 'delete')) {
      throw new KeyrotError(
        'OTHER_KEY_ACTIVE',
        `profile "${profile}": ${what}, and its grace window runs until ${utcMinute(until)}. IAM allows two keys, so a new rotation would have to delete it. Nothing was changed.`,
        {
          hint: `Stop what uses ${maskKeyId(keyId)} and rotate after ${utcMinute(until)}, or run \`keyrot rotate-now --profile ${profile} --force --delete-other\` to retire it now and break that use.`,
        },
      );
    }
    const newer = !entry.useSeenAt || usedAt.getTime() > Date.parse(entry.useSeenAt);
    if (!options.early && state.policy.oldKeyWaitWhileUsed && newer) {
      await deps.journal.recordUseSeen(entry, usedAt.toISOString());
      await tell(state, deps, `${what}; keyrot keeps it active while it is used (old_key_wait_while_used)`);
      return report('waiting');
    }
    if (newer) {
      // Remembered first: a retirement that fails (no MFA code in the daemon) does not repeat the news.
      await deps.journal.recordUseSeen(entry, usedAt.toISOString());
      await tell(state, deps, `${what}; deactivating it now will break that use`);
    }
  }
  await withMfa(state, deps, signer, (c) => retireKey(state, deps, c, keyId));
  await deps.journal.finish(entry);
  const action = state.policy.oldKey === 'delete' ? 'deleted' : 'deactivated';
  deps.logger.info('grace window closed', {
    profile: state.request.profile,
    keyId: maskKeyId(keyId),
    action,
  });
  deps.progress.step(
    'retire',
    `${action} the old key ${maskKeyId(keyId)}; its grace window ended ${utcMinute(until)}`,
  );
  // The key list read before an early close still shows the key as it was.
  state.keys = state.keys
    .filter((k) => action === 'deactivated' || k.accessKeyId !== keyId)
    .map((k) => (k.accessKeyId === keyId ? { ...k, status: 'Inactive' as const } : k));
  return report('closed');
}

/** A warning for the person on every channel: the log (and stderr), the result, a desktop notification. */
async function tell(state: RotationState, deps: RotationDeps, message: string): Promise<void> {
  addWarning(state, deps, message);
  await deps.notifier
    ?.notify({ title: 'keyrot: old key still in use', body: message, urgency: 'critical' })
    .catch(() => undefined);
}
