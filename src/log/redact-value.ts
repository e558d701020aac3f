// Deep redaction of anything handed to the logger: strings go through redactText, values under
// secret-looking field names are dropped whatever their shape, and Errors become plain objects
// (message, code, stack, cause chain) so their text is redacted too.
import { redactText } from '../errors/redact.js';

// Field names whose values are secrets no matter what they look like.
const SECRET_FIELD = /secret|token|password|passphrase|credential_?process|^mfa_?code$|^authorization$/i;
const MAX_DEPTH = 8;

/** True when a field of this name must never have its value logged. */
export function isSecretField(name: string): boolean {
  return SECRET_FIELD.test(name);
}

/** A copy of `value` that is safe to log: secrets removed, key ids masked, Errors flattened, cycles cut. */
export function redactValue(value: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') {
    return typeof value === 'function' || typeof value === 'symbol' ? String(value) : value;
  }
  if (seen.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  seen.add(value);
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Error) return redactError(value, depth, seen);
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1, seen));
  if (value instanceof Map) return redactValue(Object.fromEntries(value), depth, seen);
  if (value instanceof Set) return redactValue([...value], depth, seen);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[redactText(key)] =
      isSecretField(key) && item !== undefined ? '[redacted]' : redactValue(item, depth + 1, seen);
  }
  return out;
}

function redactError(error: Error, depth: number, seen: WeakSet<object>): Record<string, unknown> {
  const out: Record<string, unknown> = { name: error.name, message: redactText(error.message) };
  // Own enumerable extras (code, hint, file, $metadata…) go through the same rules.
  for (const [key, item] of Object.entries(error)) {
    if (key === 'cause' || key === 'name' || key === 'message' || key === 'stack') continue;
    out[key] = isSecretField(key) ? '[redacted]' : redactValue(item, depth + 1, seen);
  }
  if (error.stack) out.stack = redactText(error.stack);
  if (error.cause !== undefined) out.cause = redactValue(error.cause, depth + 1, seen);
  return out;
}
