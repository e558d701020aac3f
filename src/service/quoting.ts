// Escaping for each service manager's file format. Values come from the person's environment (paths
// with spaces, `%`, `$`, quotes), so each format gets the quoting its parser expects.
import { KeyrotError } from '../errors/keyrot-error.js';

function refuseNewline(value: string, what: string): void {
  if (/[\r\n\0]/.test(value)) {
    throw new KeyrotError(
      'SERVICE_FAILED',
      `${what} contains a line break or NUL, which a service file cannot hold`,
      {
        hint: 'Remove it from the path or environment variable and try again.',
      },
    );
  }
}

/** A double-quoted systemd string: C escapes for `\` and `"`, `%%` for specifiers. */
function systemdQuoted(value: string, what: string): string {
  refuseNewline(value, what);
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%')}"`;
}

/** One ExecStart= word; `$` is doubled because systemd expands `$VAR` in command lines. */
export function systemdExecArg(value: string): string {
  return systemdQuoted(value, `the command argument ${JSON.stringify(value)}`).replace(/\$/g, '$$$$');
}

/** One `Environment="NAME=value"` line (systemd does not expand variables there). */
export function systemdEnvironmentLine(name: string, value: string): string {
  return `Environment=${systemdQuoted(`${name}=${value}`, `the environment variable ${name}`)}`;
}

/** Text escaped for XML element content and attribute values (plist, Task Scheduler). */
export function xmlEscape(value: string): string {
  refuseNewline(value, `the value ${JSON.stringify(value)}`);
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** One argument of a Windows command line, quoted the way CommandLineToArgvW reads it back. */
export function windowsArg(value: string): string {
  refuseNewline(value, `the argument ${JSON.stringify(value)}`);
  if (value !== '' && !/[\s"]/.test(value)) return value;
  // Backslashes are literal unless they precede a quote: double those, and the ones before the closing quote.
  const escaped = value.replace(/(\\*)"/g, '$1$1\\"').replace(/(\\+)$/, '$1$1');
  return `"${escaped}"`;
}
