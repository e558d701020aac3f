import { maskKeyId, redactText } from '../errors/redact.js';

// Keys whose values are secrets in ~/.aws/credentials and ~/.aws/config.
const SECRET_KEYS = new Set(['aws_secret_access_key', 'aws_session_token', 'aws_security_token']);
const KEY_ID_KEYS = new Set(['aws_access_key_id']);
// `key = value`, as the SDK splits it: at the first `=`, key and value trimmed (src/credentials/grammar.ts).
const ASSIGNMENT = /^(\s*)([^=\s][^=]*?)(\s*=\s*)(.*?)(\s*)$/;

/** The text of a backed-up AWS file with secret values replaced and key ids masked, for `backup show`. */
export function maskSharedFile(text: string): string {
  return text
    .split(/(\r?\n)/)
    .map((line, i) => (i % 2 === 1 ? line : maskLine(line)))
    .join('');
}

function maskLine(line: string): string {
  const match = ASSIGNMENT.exec(line);
  if (!match) return redactText(line);
  const [, indent, key, eq, value, trailing] = match as unknown as string[];
  const name = key!.trim().toLowerCase();
  if (SECRET_KEYS.has(name) && value) return `${indent}${key}${eq}********${trailing}`;
  if (KEY_ID_KEYS.has(name) && value) return `${indent}${key}${eq}${maskKeyId(value)}${trailing}`;
  // Anything else that looks like a key or secret (a comment, a stray line) is redacted too.
  return redactText(line);
}
