// doctor's checks of protected profiles (`keyrot protect`): the keychain holds each one's key, no protect
// or unprotect was left unfinished, and the node and keyrot its credential_process runs still exist.
import { existsSync } from 'node:fs';
import { isProtectedProfile } from '../credentials/credential-process.js';
import type { SharedFilesReading } from '../credentials/read.js';
import { maskKeyId } from '../errors/redact.js';
import { ProtectedKeys } from '../keychain/protected-key.js';
import type { SecretStore } from '../keychain/secret-store.js';
import type { CheckResult } from './doctor-result.js';

/** One line per protected profile of `reading`, read from the keychain's raw `store`. */
export async function checkProtectedProfiles(
  reading: SharedFilesReading,
  store: SecretStore,
  configFile: string,
): Promise<CheckResult[]> {
  const keys = new ProtectedKeys(store);
  const results: CheckResult[] = [];
  for (const [profile, values] of reading.config) {
    if (!isProtectedProfile(reading, profile)) continue;
    const entry = await keys.get(profile, configFile).catch(() => null);
    const missing = (values.credential_process?.match(/"([^"]+)"/g) ?? [])
      .slice(0, 2)
      .map((quoted) => quoted.slice(1, -1))
      .filter((path) => !existsSync(path));
    if (!entry) {
      results.push({
        level: 'fail',
        text: `protected profile ${profile}: the keychain holds no key for it, so the AWS tools get none`,
        fix: `put the key back from a backup (\`keyrot backup list\`) and run \`keyrot protect --profile ${profile}\``,
      });
    } else if (entry.phase !== 'protected') {
      const command = entry.phase === 'protecting' ? 'protect' : 'unprotect';
      results.push({
        level: 'warn',
        text: `protected profile ${profile}: a \`keyrot ${command}\` did not finish (it works meanwhile)`,
        fix: `run \`keyrot ${command} --profile ${profile}\` again`,
      });
    } else if (missing.length > 0) {
      results.push({
        level: 'fail',
        text: `protected profile ${profile}: its credential_process runs ${missing.join(' and ')}, which no longer exists`,
        fix: `run \`keyrot unprotect --profile ${profile}\` and \`keyrot protect --profile ${profile}\` with the keyrot you use now`,
      });
    } else {
      results.push({
        level: 'ok',
        text: `profile ${profile} is protected: key ${maskKeyId(entry.accessKeyId)} is in the OS keychain only`,
      });
    }
  }
  return results;
}
