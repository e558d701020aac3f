// The effects of `keyrot service install | uninstall | status`: write or remove the rendered files and
// drive the OS's service manager through an injected command runner. Every step is safe to repeat.
import * as nodeFs from 'node:fs/promises';
import path from 'node:path';
import { KeyrotError } from '../errors/keyrot-error.js';
import type { ServicePlan, ServiceUnit } from './render.js';
import type { CommandRunner } from './runner.js';

/** The subset of node:fs/promises used here. */
export interface ServiceFs {
  mkdir(dir: string, options: { recursive: true; mode: number }): Promise<string | undefined>;
  writeFile(file: string, data: string | Buffer, options: { mode: number }): Promise<void>;
  readFile(file: string): Promise<Buffer>;
  rm(file: string, options: { force: true }): Promise<void>;
  chmod(file: string, mode: number): Promise<void>;
}

/** One thing install or uninstall does, in order; `--dry-run` prints these instead of doing them. */
export type ServiceStep =
  | { kind: 'mkdir'; dir: string }
  | { kind: 'write'; unit: ServiceUnit }
  | { kind: 'remove'; file: string }
  | {
      kind: 'run';
      command: string;
      args: string[];
      /** Failure is expected when there is nothing to stop or remove. */
      mayFail?: boolean;
      /** Extra attempts, one second apart, for a command that can race the one before it. */
      retries?: number;
      /** Only when a unit file changed (reinstall with new content), or only in a graphical session. */
      when?: 'changed' | 'graphical-session';
    };

/** Dependencies of the effectful functions. */
export interface ServiceDeps {
  run: CommandRunner;
  fs?: ServiceFs;
  /** Progress lines (stderr). */
  progress?: (line: string) => void;
  /** Waits between retries (injected so tests do not wait). */
  sleep?: (ms: number) => Promise<void>;
  /**
   * Whether the daemon or the tray runs now, from keyrot's own instance locks (Windows: Task Scheduler
   * says whether a task runs only in localized words; see parseTaskXml). Unknown (false) when absent.
   */
  isRunning?: (kind: ServiceUnit['kind']) => Promise<boolean>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A command step. */
export type RunStep = Extract<ServiceStep, { kind: 'run' }>;

const systemctl = (...args: string[]): RunStep => ({
  kind: 'run',
  command: 'systemctl',
  args: ['--user', ...args],
});

/** What `install` does for this plan, in order. */
export function installSteps(plan: ServicePlan): ServiceStep[] {
  const { spec } = plan;
  const dirs = [...new Set([spec.serviceDir, ...(plan.platform === 'darwin' ? [spec.logDir] : [])])];
  const steps: ServiceStep[] = [
    ...dirs.map((dir): ServiceStep => ({ kind: 'mkdir', dir })),
    ...plan.units.map((unit): ServiceStep => ({ kind: 'write', unit })),
  ];
  for (const unit of plan.units) {
    if (plan.platform === 'linux') {
      if (unit === plan.units[0]) steps.push(systemctl('daemon-reload'));
      if (unit.kind === 'daemon') {
        steps.push(systemctl('enable', '--now', unit.name), {
          ...systemctl('restart', unit.name),
          when: 'changed',
        });
      } else {
        // The tray needs a display: it starts with the graphical session, and now only if one is running.
        steps.push(systemctl('enable', unit.name), {
          ...systemctl('restart', unit.name),
          when: 'graphical-session',
        });
      }
    } else if (plan.platform === 'darwin') {
      const target = `gui/${spec.uid}/${unit.name}`;
      // bootout + bootstrap makes a reinstall pick up a changed plist; enable clears a disabled override.
      steps.push(
        { kind: 'run', command: 'launchctl', args: ['bootout', target], mayFail: true },
        { kind: 'run', command: 'launchctl', args: ['enable', target] },
        // bootout returns before the old job is gone, and bootstrap then fails with "5: Input/output error".
        { kind: 'run', command: 'launchctl', args: ['bootstrap', `gui/${spec.uid}`, unit.file], retries: 3 },
      );
    } else {
      // Toasts under keyrot's own name: register its application id first (the daemon's first
      // notification may come at once). Without it toasts still show, branded SnoreToast.
      if (unit === plan.units[0] && spec.appIdRegistration) {
        steps.push({ kind: 'run', ...spec.appIdRegistration, mayFail: true });
      }
      steps.push(
        { kind: 'run', command: 'schtasks', args: ['/End', '/TN', unit.name], mayFail: true },
        { kind: 'run', command: 'schtasks', args: ['/Create', '/TN', unit.name, '/XML', unit.file, '/F'] },
        { kind: 'run', command: 'schtasks', args: ['/Run', '/TN', unit.name] },
      );
    }
  }
  return steps;
}

/** What `uninstall` does for this plan, in order; the tray is always included so nothing is left behind. */
export function uninstallSteps(plan: ServicePlan): ServiceStep[] {
  const steps: ServiceStep[] = [];
  for (const unit of plan.units) {
    if (plan.platform === 'linux') {
      steps.push({ ...systemctl('disable', '--now', unit.name), mayFail: true });
    } else if (plan.platform === 'darwin') {
      steps.push({
        kind: 'run',
        command: 'launchctl',
        args: ['bootout', `gui/${plan.spec.uid}/${unit.name}`],
        mayFail: true,
      });
    } else {
      steps.push(
        { kind: 'run', command: 'schtasks', args: ['/End', '/TN', unit.name], mayFail: true },
        { kind: 'run', command: 'schtasks', args: ['/Delete', '/TN', unit.name, '/F'], mayFail: true },
      );
    }
    steps.push({ kind: 'remove', file: unit.file });
  }
  if (plan.platform === 'linux') {
    steps.push(systemctl('daemon-reload'));
    for (const unit of plan.units) steps.push({ ...systemctl('reset-failed', unit.name), mayFail: true });
  }
  return steps;
}

/** A step as a person reads it (for --dry-run and progress). */
export function describeStep(step: ServiceStep): string {
  switch (step.kind) {
    case 'mkdir':
      return `create directory ${step.dir} (0700)`;
    case 'write':
      return `write ${step.unit.file} (0600${step.unit.encoding === 'utf16le' ? ', UTF-16' : ''})`;
    case 'remove':
      return `remove ${step.file}`;
    case 'run': {
      const condition =
        step.when === 'changed'
          ? '   # only if the unit changed'
          : step.when === 'graphical-session'
            ? '   # only in a running graphical session'
            : step.mayFail
              ? '   # failure ignored'
              : '';
      return `run ${[step.command, ...step.args].join(' ')}${condition}`;
    }
  }
}

/** Performs the steps; a failing command (not marked mayFail) stops with SERVICE_FAILED and its output. */
export async function runSteps(plan: ServicePlan, steps: ServiceStep[], deps: ServiceDeps): Promise<void> {
  const fs = deps.fs ?? nodeFs;
  let changed = false;
  for (const step of steps) {
    if (step.kind === 'mkdir') {
      await fs.mkdir(step.dir, { recursive: true, mode: 0o700 });
    } else if (step.kind === 'write') {
      const bytes = serviceFileBytes(step.unit);
      const before = await fs.readFile(step.unit.file).catch(() => null);
      if (before === null || !before.equals(bytes)) {
        // A first install starts the service anyway: only a rewrite of an existing file counts as a change.
        if (before !== null) changed = true;
        await fs.writeFile(step.unit.file, bytes, { mode: 0o600 });
        deps.progress?.(`wrote ${step.unit.file}`);
      }
      await fs.chmod(step.unit.file, 0o600);
    } else if (step.kind === 'remove') {
      await fs.rm(step.file, { force: true });
    } else {
      if (step.when === 'changed' && !changed) continue;
      if (step.when === 'graphical-session' && !(await graphicalSession(deps.run))) continue;
      let result = await deps.run(step.command, step.args);
      for (let attempt = 0; result.code !== 0 && attempt < (step.retries ?? 0); attempt++) {
        await (deps.sleep ?? defaultSleep)(1000);
        result = await deps.run(step.command, step.args);
      }
      if (result.code !== 0 && !step.mayFail) {
        const output = (result.stderr || result.stdout).trim();
        throw new KeyrotError(
          'SERVICE_FAILED',
          `\`${[step.command, ...step.args].join(' ')}\` failed (exit ${result.code})${output ? `: ${output}` : ''}`,
          { hint: hintFor(plan) },
        );
      }
      deps.progress?.(`ran ${[step.command, ...step.args].join(' ')}`);
    }
  }
}

/** The bytes install writes for a unit (decodeServiceFile reads them back). */
export function serviceFileBytes(unit: ServiceUnit): Buffer {
  // Task Scheduler reads the declared UTF-16 reliably only with a byte-order mark.
  return unit.encoding === 'utf16le'
    ? Buffer.from(`\uFEFF${unit.content}`, 'utf16le')
    : Buffer.from(unit.content, 'utf8');
}

async function graphicalSession(run: CommandRunner): Promise<boolean> {
  return (await run('systemctl', ['--user', 'is-active', '--quiet', 'graphical-session.target'])).code === 0;
}

function hintFor(plan: ServicePlan): string {
  if (plan.platform === 'linux') {
    return 'Is a systemd user session running? Try `systemctl --user status`; on a server, `loginctl enable-linger $USER`.';
  }
  if (plan.platform === 'darwin')
    return 'Run it from your logged-in macOS session (not over ssh without a GUI login).';
  return 'Run it from your own Windows session; Task Scheduler must be running.';
}

/** What `keyrot service status` reports for one service. */
export interface UnitStatus {
  kind: ServiceUnit['kind'];
  name: string;
  file: string;
  installed: boolean;
  /** Starts at login (systemd enabled, launchd loaded, task enabled). */
  enabled: boolean;
  running: boolean;
  /** The service manager's own word: active, failed, Ready, a pid… */
  detail: string;
}

/** Asks the service manager about each unit of the plan. Reads only. */
export async function unitStatuses(plan: ServicePlan, deps: ServiceDeps): Promise<UnitStatus[]> {
  const fs = deps.fs ?? nodeFs;
  const out: UnitStatus[] = [];
  for (const unit of plan.units) {
    const installed = (await fs.readFile(unit.file).catch(() => null)) !== null;
    const base = { kind: unit.kind, name: unit.name, file: unit.file, installed };
    if (plan.platform === 'linux') {
      const enabledRun = await deps.run('systemctl', ['--user', 'is-enabled', unit.name]);
      const activeRun = await deps.run('systemctl', ['--user', 'is-active', unit.name]);
      const enabled = enabledRun.stdout.trim();
      const active = activeRun.stdout.trim();
      // No answer on stdout means systemctl could not ask at all (no user manager, no bus): say why.
      const detail =
        enabled || active ? `${enabled || 'unknown'}, ${active || 'unknown'}` : firstLine(enabledRun.stderr);
      out.push({ ...base, enabled: enabled === 'enabled', running: active === 'active', detail });
    } else if (plan.platform === 'darwin') {
      const printed = await deps.run('launchctl', ['print', `gui/${plan.spec.uid}/${unit.name}`]);
      const state = /^\s*state = (.+)$/m.exec(printed.stdout)?.[1]?.trim();
      const pid = /^\s*pid = (\d+)$/m.exec(printed.stdout)?.[1];
      out.push({
        ...base,
        enabled: printed.code === 0,
        running: state === 'running',
        detail: printed.code === 0 ? `${state ?? 'loaded'}${pid ? `, pid ${pid}` : ''}` : 'not loaded',
      });
    } else {
      // The task's definition, in XML: the same words in every language (the LIST format's labels and
      // values are translated: "Status: Wird ausgeführt").
      const query = await deps.run('schtasks', ['/Query', '/TN', unit.name, '/XML']);
      const task = query.code === 0 ? parseTaskXml(query.stdout) : null;
      const running = task ? ((await deps.isRunning?.(unit.kind)) ?? false) : false;
      out.push({
        ...base,
        enabled: task?.enabled ?? false,
        running,
        detail: task
          ? `registered, ${task.enabled ? 'enabled' : 'disabled'}, ${running ? 'running' : 'not running'}`
          : 'not registered',
      });
    }
  }
  return out;
}

/** What `schtasks /Query /TN <name> /XML` says about a task, or null when it printed no task. */
export function parseTaskXml(output: string): { enabled: boolean } | null {
  // schtasks prints UTF-16 on some systems: read as UTF-8, that leaves a NUL after each ASCII character.
  const xml = output.replace(/\u0000/g, '').replace(/^\uFEFF/, '');
  if (!/<Task[\s>]/.test(xml)) return null;
  const settings = /<Settings>([\s\S]*?)<\/Settings>/.exec(xml)?.[1] ?? '';
  // Settings' own <Enabled> (IdleSettings and NetworkSettings have none of their own).
  const taskEnabled = !/<Enabled>\s*false\s*<\/Enabled>/.test(settings);
  const triggers = [...xml.matchAll(/<(LogonTrigger|BootTrigger|TimeTrigger)\b[\s\S]*?<\/\1>/g)];
  const triggerEnabled =
    triggers.length === 0 || triggers.some((t) => !/<Enabled>\s*false\s*<\/Enabled>/.test(t[0]));
  return { enabled: taskEnabled && triggerEnabled };
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] || 'no answer from systemctl';
}

/** Directory names are shown relative to home in messages when possible. */
export function tildify(file: string, home: string): string {
  return file.startsWith(home + path.sep) ? `~${file.slice(home.length)}` : file;
}
