// The service files live as templates in service-templates/ (shipped in the npm package), so a
// person can read exactly what will be installed. `{{NAME}}` marks where a rendered value goes.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The template files keyrot renders. */
export const TEMPLATE_FILES = {
  systemdDaemon: 'keyrot.service',
  systemdTray: 'keyrot-tray.service',
  launchdDaemon: 'keyrot.plist',
  launchdTray: 'keyrot-tray.plist',
  windowsTask: 'keyrot-task.xml',
} as const;

/** The text of every template, by key of TEMPLATE_FILES. */
export type Templates = Record<keyof typeof TEMPLATE_FILES, string>;

/** service-templates/ next to src/ and dist/ (both are one level below the package root). */
export const TEMPLATE_DIR = fileURLToPath(new URL('../../service-templates/', import.meta.url));

/** Reads every template from `dir`. */
export function loadTemplates(dir: string = TEMPLATE_DIR): Templates {
  const out = {} as Templates;
  for (const [key, file] of Object.entries(TEMPLATE_FILES)) {
    out[key as keyof Templates] = readFileSync(`${dir}/${file}`, 'utf8');
  }
  return out;
}

/** Replaces each `{{NAME}}` with `values[NAME]`; a placeholder without a value is a bug, so it throws. */
export function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{([A-Z_]+)\}\}/g, (_match, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`service template placeholder {{${name}}} has no value`);
    return value;
  });
}
