// Pure rendering of the service files for each OS from the templates in service-templates/.
import path from 'node:path';
import { systemdEnvironmentLine, systemdExecArg, windowsArg, xmlEscape } from './quoting.js';
import { DAEMON_NODE_OPTIONS, type ServicePlatform, type ServiceSpec } from './spec.js';
import { fillTemplate, type Templates } from './templates.js';

/** The daemon or the tray icon. */
export type ServiceKind = 'daemon' | 'tray';

/** One rendered service file and the name the service manager knows it by. */
export interface ServiceUnit {
  kind: ServiceKind;
  /** keyrot.service, io.keyrot.daemon, or the task name `keyrot`. */
  name: string;
  /** Absolute path the file is written to. */
  file: string;
  content: string;
  /** Task Scheduler XML is UTF-16 (with a BOM); the others UTF-8. */
  encoding: 'utf8' | 'utf16le';
}

/** What `keyrot service install` writes for one OS. */
export interface ServicePlan {
  platform: ServicePlatform;
  spec: ServiceSpec;
  units: ServiceUnit[];
}

/** Names each service manager knows keyrot's services by. */
export const SERVICE_NAMES = {
  linux: { daemon: 'keyrot.service', tray: 'keyrot-tray.service' },
  darwin: { daemon: 'io.keyrot.daemon', tray: 'io.keyrot.tray' },
  win32: { daemon: 'keyrot', tray: 'keyrot-tray' },
} as const satisfies Record<ServicePlatform, Record<ServiceKind, string>>;

// The daemon a service manager runs stands by while another daemon runs (one a person started by hand)
// and takes over when it stops: exiting 4 instead would leave the service down or restarting in a loop.
const SUBCOMMAND: Record<ServiceKind, string[]> = { daemon: ['daemon', '--standby'], tray: ['tray'] };

/** Node's options before the entry path of each kind of unit (spec.ts, DAEMON_NODE_OPTIONS). */
export const NODE_OPTIONS: Record<ServiceKind, readonly string[]> = { daemon: DAEMON_NODE_OPTIONS, tray: [] };

/** The systemd user unit for the daemon or the tray. */
export function renderSystemdUnit(spec: ServiceSpec, kind: ServiceKind, templates: Templates): string {
  const args = [spec.nodePath, ...NODE_OPTIONS[kind], spec.entryPath, ...SUBCOMMAND[kind]];
  return fillTemplate(kind === 'daemon' ? templates.systemdDaemon : templates.systemdTray, {
    EXEC_START: args.map(systemdExecArg).join(' '),
    ENVIRONMENT: spec.environment.map(([name, value]) => systemdEnvironmentLine(name, value)).join('\n'),
  });
}

/** The launchd agent plist for the daemon or the tray. */
export function renderLaunchdPlist(spec: ServiceSpec, kind: ServiceKind, templates: Templates): string {
  const args = [spec.nodePath, ...NODE_OPTIONS[kind], spec.entryPath, ...SUBCOMMAND[kind]];
  return fillTemplate(kind === 'daemon' ? templates.launchdDaemon : templates.launchdTray, {
    LABEL: xmlEscape(SERVICE_NAMES.darwin[kind]),
    PROGRAM_ARGUMENTS: args.map((arg) => `    <string>${xmlEscape(arg)}</string>`).join('\n'),
    HOME: xmlEscape(spec.home),
    LOG_DIR: xmlEscape(spec.logDir),
    ENVIRONMENT: spec.environment
      .map(([name, value]) => `    <key>${xmlEscape(name)}</key>\n    <string>${xmlEscape(value)}</string>`)
      .join('\n'),
  });
}

/**
 * The Task Scheduler XML (logon trigger, repeated every 15 minutes) for the daemon or the tray. The
 * action is `conhost.exe --headless node.exe …`: conhost's headless mode (what Windows' pseudo-console
 * API uses; not documented as a command-line option) gives node a console without a window, which
 * the programs keyrot starts (notifications, the tray helper) inherit, and ending the task closes it.
 */
export function renderTaskXml(spec: ServiceSpec, kind: ServiceKind, templates: Templates): string {
  const args = [
    '--headless',
    spec.nodePath,
    ...NODE_OPTIONS[kind],
    spec.entryPath,
    ...spec.globalArgs,
    ...SUBCOMMAND[kind],
  ];
  const description =
    kind === 'daemon' ? 'keyrot: rotates your AWS IAM access keys before they get old' : 'keyrot tray icon';
  return fillTemplate(templates.windowsTask, {
    TASK_NAME: xmlEscape(SERVICE_NAMES.win32[kind]),
    DESCRIPTION: xmlEscape(description),
    USER_ID: xmlEscape(spec.userId),
    COMMAND: xmlEscape(spec.consoleHost),
    ARGUMENTS: xmlEscape(args.map(windowsArg).join(' ')),
    HOME: xmlEscape(spec.home),
  });
}

/** Every file `keyrot service install` writes for spec.platform (the tray only with spec.withTray). */
export function planService(spec: ServiceSpec, templates: Templates): ServicePlan {
  const kinds: ServiceKind[] = spec.withTray ? ['daemon', 'tray'] : ['daemon'];
  const p = spec.platform === 'win32' ? path.win32 : path.posix;
  const units = kinds.map((kind): ServiceUnit => {
    const name = SERVICE_NAMES[spec.platform][kind];
    if (spec.platform === 'linux') {
      const content = renderSystemdUnit(spec, kind, templates);
      return { kind, name, file: p.join(spec.serviceDir, name), content, encoding: 'utf8' };
    }
    if (spec.platform === 'darwin') {
      const content = renderLaunchdPlist(spec, kind, templates);
      return { kind, name, file: p.join(spec.serviceDir, `${name}.plist`), content, encoding: 'utf8' };
    }
    const content = renderTaskXml(spec, kind, templates);
    return { kind, name, file: p.join(spec.serviceDir, `${name}-task.xml`), content, encoding: 'utf16le' };
  });
  return { platform: spec.platform, spec, units };
}
