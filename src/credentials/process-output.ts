// What `keyrot credentials` prints: the credential_process document (Version 1), written once here for
// both ways it gets the key (the daemon's agent, or the keychain read directly).
import { type TextSink, writeFully } from '../platform/direct-stdout.js';

/** A static key as credential_process hands it to the AWS tools. */
export interface ProcessCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** `key` as one line of credential_process JSON (Version 1), newline included. */
export function credentialProcessLine(key: ProcessCredentials): string {
  const document = { Version: 1, AccessKeyId: key.accessKeyId, SecretAccessKey: key.secretAccessKey };
  return `${JSON.stringify(document)}\n`;
}

/** Writes `key` as credentialProcessLine to `stdout`; resolves once it is written. */
export function writeCredentialProcess(stdout: TextSink, key: ProcessCredentials): Promise<void> {
  return writeFully(stdout, credentialProcessLine(key));
}
