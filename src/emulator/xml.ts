// Renders AWS Query-protocol XML: `<ActionResponse xmlns=…><ActionResult>…</ActionResult>
// <ResponseMetadata><RequestId>…` for results and `<ErrorResponse>` for errors, as IAM and STS send them.
import type { ApiError } from './api-error.js';

/** IAM's XML namespace (API version 2010-05-08). */
export const IAM_NAMESPACE = 'https://iam.amazonaws.com/doc/2010-05-08/';
/** STS's XML namespace (API version 2011-06-15). */
export const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';

/** A value in a result: text, a nested element map, or a list rendered as `<member>` items. */
export type XmlValue = string | number | boolean | undefined | XmlValue[] | XmlElements;
/** Child elements in document order; `undefined` values are left out. */
export interface XmlElements {
  [name: string]: XmlValue;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/** Escapes text for element content (AWS leaves quotes in text unescaped). */
export function escapeXml(text: string): string {
  return text.replace(/[&<>]/g, (char) => ESCAPES[char] ?? char);
}

function renderValue(value: XmlValue): string {
  if (value === undefined) return '';
  if (Array.isArray(value)) return value.map((item) => element('member', item)).join('');
  if (typeof value === 'object') return renderElements(value);
  return escapeXml(String(value));
}

function element(name: string, value: XmlValue): string {
  return value === undefined ? '' : `<${name}>${renderValue(value)}</${name}>`;
}

function renderElements(elements: XmlElements): string {
  return Object.entries(elements)
    .map(([name, value]) => element(name, value))
    .join('');
}

/** The success document for `action`; `result` undefined gives a response with metadata only. */
export function renderResult(
  action: string,
  namespace: string,
  result: XmlElements | undefined,
  requestId: string,
): string {
  const body = result === undefined ? '' : element(`${action}Result`, result);
  return (
    `<${action}Response xmlns="${namespace}">${body}` +
    `<ResponseMetadata><RequestId>${escapeXml(requestId)}</RequestId></ResponseMetadata>` +
    `</${action}Response>\n`
  );
}

/** The `ErrorResponse` document IAM and STS send for a failed request. */
export function renderError(namespace: string, error: ApiError, requestId: string): string {
  return (
    `<ErrorResponse xmlns="${namespace}">` +
    element('Error', { Type: error.type, Code: error.code, Message: error.message }) +
    element('RequestId', requestId) +
    '</ErrorResponse>\n'
  );
}

/** An ISO-8601 timestamp without milliseconds, as IAM renders dates. */
export function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
