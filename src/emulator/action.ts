// What every API action receives, and the parameter checks they share.
import { validationError } from './api-error.js';
import type { Caller } from './authenticate.js';
import type { EmulatorState } from './state.js';
import type { XmlElements } from './xml.js';

/** The inputs of one API action. */
export interface ActionContext {
  caller: Caller;
  /** Form parameters of the request (`Action`, `Version` and the action's own). */
  params: Record<string, string>;
  state: EmulatorState;
  now: Date;
  propagationDelayMs: number;
  /** How long a key's use stays invisible to GetAccessKeyLastUsed (default 0). */
  lastUsedDelayMs?: number;
  /** Accept an MFA code that was used before (AWS does not; tests that need speed may). */
  allowMfaCodeReuse?: boolean;
}

/**
 * An API action: returns the `…Result` element's children, or undefined for a metadata-only response;
 * an action that changes keys or sessions resolves once the change is on disk.
 */
export type ActionHandler = (
  context: ActionContext,
) => XmlElements | undefined | Promise<XmlElements | undefined>;

/** A required string parameter; ValidationError when absent. `field` is its camelCase name in messages. */
export function requiredParam(params: Record<string, string>, name: string, field: string): string {
  const value = params[name];
  if (value === undefined || value === '') throw validationError(field, undefined, 'Member must not be null');
  return value;
}

/** An optional whole-number parameter within [min, max]; ValidationError otherwise. */
export function integerParam(
  params: Record<string, string>,
  name: string,
  field: string,
  min: number,
  max: number,
): number | undefined {
  const value = params[name];
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!/^-?\d+$/.test(value)) throw validationError(field, value, 'Member must be a whole number');
  if (number < min)
    throw validationError(field, value, `Member must have value greater than or equal to ${min}`);
  if (number > max)
    throw validationError(field, value, `Member must have value less than or equal to ${max}`);
  return number;
}

/** An access key id parameter, checked against IAM's pattern `[\w]+` and length 16–128. */
export function accessKeyIdParam(params: Record<string, string>): string {
  const value = requiredParam(params, 'AccessKeyId', 'accessKeyId');
  if (value.length < 16 || value.length > 128) {
    throw validationError('accessKeyId', value, 'Member must have length between 16 and 128');
  }
  if (!/^\w+$/.test(value)) {
    throw validationError('accessKeyId', value, 'Member must satisfy regular expression pattern: [\\w]+');
  }
  return value;
}

/** An optional user name parameter, checked against IAM's pattern and length. */
export function userNameParam(params: Record<string, string>): string | undefined {
  const value = params.UserName;
  if (value === undefined) return undefined;
  if (value.length < 1 || value.length > 64) {
    throw validationError('userName', value, 'Member must have length between 1 and 64');
  }
  if (!/^[\w+=,.@-]+$/.test(value)) {
    throw validationError('userName', value, 'Member must satisfy regular expression pattern: [\\w+=,.@-]+');
  }
  return value;
}
