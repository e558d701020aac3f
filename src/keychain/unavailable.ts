import { KeyrotError } from '../errors/keyrot-error.js';
import { redactText } from '../errors/redact.js';

/** The ways to get a keychain back, named in every KEYCHAIN_UNAVAILABLE hint. */
const FILE_OPT_IN =
  'or, on a headless machine, opt in to the file backend with `keychain = file` in config.ini';

const LINUX_HINT =
  'Log in to a desktop session, or start and unlock gnome-keyring in this session ' +
  '(`gnome-keyring-daemon --unlock --components=secrets`, then `--start`); ' +
  FILE_OPT_IN +
  '.';

// Texts @napi-rs/keyring produces on macOS (Keychain Services) and Windows (Credential Manager) when the
// keychain is locked, needs a prompt, or cannot be reached.
const UNREACHABLE =
  /locked|prompt|platform storage|Platform failure|NoStorageAccess|keychain|credential manager/i;

/** Why the Linux Secret Service cannot serve keyrot right now. */
export type SecretServiceTrouble = 'no-reply' | 'no-bus' | 'no-unlocked-keyring';

/** The KEYCHAIN_UNAVAILABLE error (exit 5, with how to fix it) for a Secret Service that cannot serve keyrot. */
export function secretServiceUnavailable(trouble: SecretServiceTrouble, cause: unknown): KeyrotError {
  if (trouble === 'no-reply') {
    return new KeyrotError(
      'KEYCHAIN_UNAVAILABLE',
      'the OS keychain did not answer in time: the Secret Service (gnome-keyring) is there but its calls kept timing out',
      {
        hint: 'Check that gnome-keyring-daemon is not hung (restart it or log in again), then run the command again.',
        cause,
      },
    );
  }
  const message =
    trouble === 'no-bus'
      ? 'the OS keychain is not reachable: there is no D-Bus session bus, so no Secret Service (gnome-keyring) can answer'
      : 'the OS keychain is not reachable: the Secret Service has no unlocked keyring (gnome-keyring is not running or is locked)';
  return new KeyrotError('KEYCHAIN_UNAVAILABLE', message, { hint: LINUX_HINT, cause });
}

/**
 * The OS keychain did not answer a call within `timeoutMs`. On macOS that is a dialog waiting for the
 * person (KEYCHAIN_PROMPT, exit 5): each keyrot item trusts the node that created it, and asks again
 * after node changed (a Homebrew upgrade). Elsewhere: KEYCHAIN_UNAVAILABLE (exit 5).
 */
export function keychainNoAnswer(platform: NodeJS.Platform, timeoutMs: number): KeyrotError {
  const seconds = Math.round(timeoutMs / 1000);
  if (platform === 'darwin') {
    return new KeyrotError(
      'KEYCHAIN_PROMPT',
      `the macOS keychain did not answer within ${seconds} s: it is most likely showing a dialog asking whether node may use keyrot's keychain items (macOS asks again for each item after node changed, e.g. after a Homebrew upgrade)`,
      {
        hint: 'Answer the keychain dialog (Always Allow; it may ask once per item), then run `keyrot rotate-now` again. No dialog to be seen: unlock your login keychain in Keychain Access.',
      },
    );
  }
  return new KeyrotError('KEYCHAIN_UNAVAILABLE', `the OS keychain did not answer within ${seconds} s`, {
    hint: 'Check that you are logged in to your desktop session, then run the command again.',
  });
}

/** KEYCHAIN_FAILED for a keychain failure that is not about reachability; the text is redacted. */
export function keychainFailed(error: unknown): KeyrotError {
  const text = error instanceof Error ? error.message : String(error);
  return new KeyrotError('KEYCHAIN_FAILED', `the OS keychain failed: ${redactText(text)}`, { cause: error });
}

/**
 * Maps a failure of @napi-rs/keyring (the macOS and Windows keychains) to a KeyrotError:
 * KEYCHAIN_UNAVAILABLE (exit 5, with how to fix it) when the keychain cannot be reached or is locked,
 * KEYCHAIN_FAILED otherwise.
 */
export function keychainFailure(error: unknown): KeyrotError {
  if (error instanceof KeyrotError) return error;
  const text = error instanceof Error ? error.message : String(error);
  if (UNREACHABLE.test(text)) {
    return new KeyrotError('KEYCHAIN_UNAVAILABLE', `the OS keychain is not reachable: ${redactText(text)}`, {
      hint: `Log in to your desktop session and unlock your login keychain; ${FILE_OPT_IN}.`,
      cause: error,
    });
  }
  return keychainFailed(error);
}
