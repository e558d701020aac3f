// `keyrot service install | uninstall | status`: renders the unit/agent/task for this OS and drives the
// service manager. The work is in src/service/; this file parses the action and prints.
import { readFile, realpath } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { ExitCode, type ExitCodeValue, KeyrotError } from '../errors/keyrot-error.js';
import { maskUrlUserinfo, redactText } from '../errors/redact.js';
import { registerAppIdCommand, snoreToastPath } from '../notify/windows-app-id.js';
import { checkInstalledUnit, type UnitFinding } from '../service/check-installed.js';
import { keyrotEntryPath } from '../service/entry-path.js';
import {
  describeStep,
  installSteps,
  runSteps,
  type ServiceDeps,
  tildify,
  uninstallSteps,
  unitStatuses,
} from '../service/manage.js';
import { MIN_NODE_MAJOR, resolveServiceNode, type ServiceNode } from '../service/node-path.js';
import { planService, type ServicePlan } from '../service/render.js';
import { type CommandRunner, execRunner } from '../service/runner.js';
import { type ServicePlatform, serviceSpec } from '../service/spec.js';
import { loadTemplates } from '../service/templates.js';
import { readStateFile } from '../state/state-file.js';
import type { CommandContext } from './context.js';
import { runningInstances } from './running-instances.js';

/** Options of `keyrot service`. */
export interface ServiceInput {
  args: string[];
  dryRun?: boolean;
  withTray?: boolean;
  platform?: 'linux' | 'darwin' | 'win32';
}

/** Test seams for `keyrot service` (the real command runner and paths by default). */
export interface ServiceCommandDeps {
  /** Runs the service manager (systemctl, launchctl, schtasks). */
  run?: CommandRunner;
  /** The node running keyrot (process.execPath); install resolves a stable path from it. */
  nodePath?: string;
  entryPath?: string;
}

const MANAGER: Record<ServicePlatform, string> = {
  linux: 'systemd user unit',
  darwin: 'launchd agent',
  win32: 'Task Scheduler task',
};

/** `keyrot service install | uninstall | status [--dry-run] [--platform] [--with-tray]`. */
export async function serviceCommand(
  input: ServiceInput,
  ctx: CommandContext,
  deps: ServiceCommandDeps = {},
): Promise<ExitCodeValue> {
  const action = input.args[0];
  if (action !== 'install' && action !== 'uninstall' && action !== 'status') {
    throw new KeyrotError('USAGE', `unknown service action ${JSON.stringify(action ?? '')}`, {
      hint: 'Use `keyrot service install`, `keyrot service uninstall` or `keyrot service status`.',
    });
  }
  const platform = input.platform ?? currentPlatform();
  if (platform !== process.platform && !input.dryRun) {
    throw new KeyrotError('USAGE', `cannot ${action} a ${platform} service on ${process.platform}`, {
      hint: `Add --dry-run to see what would be written for ${platform}.`,
    });
  }
  const { env } = ctx.io;
  const entryPath = deps.entryPath ?? keyrotEntryPath();
  // Always a real runner: node --version must really run, whatever runs the service manager.
  const runNode = execRunner(env, 10_000);
  const node =
    action === 'install'
      ? await resolveServiceNode(deps.nodePath ?? process.execPath, {
          realpath: (file) => realpath(file).catch(() => undefined),
          run: runNode,
          minMajor: MIN_NODE_MAJOR,
          env,
        })
      : undefined;
  const spec = serviceSpec({
    platform,
    env,
    globals: ctx.globals,
    nodePath: node?.path ?? deps.nodePath ?? process.execPath,
    entryPath,
    cwd: process.cwd(),
    // Uninstall and status always cover the tray too, so nothing is left behind or hidden.
    withTray: action === 'install' ? Boolean(input.withTray) : true,
    uid: process.getuid?.() ?? 0,
    userName: env.USERNAME || env.USER || userInfo().username,
    appIdRegistration: platform === 'win32' ? registerAppIdCommand(snoreToastPath()) : undefined,
  });
  const plan = planService(spec, loadTemplates());
  const serviceDeps: ServiceDeps = {
    run: deps.run ?? execRunner(env),
    isRunning: runningInstances(spec.stateDir),
    progress: ctx.globals.verbose ? (line) => ctx.io.stderr.write(`keyrot: ${line}\n`) : undefined,
  };

  if (action === 'status') {
    return printStatus(plan, serviceDeps, ctx, {
      readFile,
      realpath: (file) => realpath(file).catch(() => undefined),
      run: runNode,
      entryPath,
      minMajor: MIN_NODE_MAJOR,
    });
  }
  if (node) printNodeChoice(node, spec.home, ctx);
  if (action === 'install' && spec.notCarried.length > 0) {
    // Task Scheduler has no per-task environment: say what the daemon will not see.
    ctx.io.stderr.write(
      `keyrot: note: a Windows task has no environment of its own; set ${spec.notCarried.join(', ')} in your user environment (setx) for the daemon to see ${spec.notCarried.length === 1 ? 'it' : 'them'}\n`,
    );
  }
  const steps = action === 'install' ? installSteps(plan) : uninstallSteps(plan);
  if (input.dryRun) {
    printDryRun(action, plan, steps, ctx);
    return ExitCode.ok;
  }
  await runSteps(plan, steps, serviceDeps);
  const names = plan.units.map((unit) => unit.name).join(' and ');
  const out = ctx.io.stdout;
  if (action === 'install') {
    for (const unit of plan.units) {
      // On Linux the tray waits for the graphical session (it needs a display); elsewhere it starts now.
      const started =
        unit.kind === 'tray' && platform === 'linux' ? 'it starts with your graphical session' : 'started';
      out.write(`keyrot: installed ${unit.name} (${MANAGER[platform]}); ${started}\n`);
      out.write(`  ${tildify(unit.file, spec.home)}\n`);
    }
    out.write(`  logs: ${tildify(spec.logDir, spec.home)}/keyrot.log\n`);
  } else {
    out.write(`keyrot: stopped and removed ${names}\n`);
  }
  return ExitCode.ok;
}

function currentPlatform(): ServicePlatform {
  const platform = process.platform;
  if (platform === 'linux' || platform === 'darwin' || platform === 'win32') return platform;
  throw new KeyrotError('USAGE', `keyrot cannot install a service on ${platform}`, {
    hint: 'Run `keyrot daemon` from your own autostart instead.',
  });
}

/** Which node the service will run and whether it survives a Node upgrade (stderr: stdout may be a dry run). */
function printNodeChoice(node: ServiceNode, home: string, ctx: CommandContext): void {
  const err = ctx.io.stderr;
  const version = node.version ?? 'of unknown version (it did not run)';
  err.write(`keyrot: the service will run node ${version} at ${tildify(node.path, home)}\n`);
  if (node.replaces) {
    err.write(
      `  (stable across ${node.manager} upgrades, instead of the versioned ${tildify(node.replaces, home)})\n`,
    );
  }
  if (node.fragile) {
    err.write(
      `keyrot: warning: that path is inside a versioned ${node.manager} directory: the next Node upgrade can remove it and stop the service\n  fix: ${node.fragile.fix}\n`,
    );
  }
}

function printDryRun(
  action: string,
  plan: ServicePlan,
  steps: ReturnType<typeof installSteps>,
  ctx: CommandContext,
): void {
  const out = ctx.io.stdout;
  out.write(
    `# keyrot service ${action} --dry-run (${plan.platform}, ${MANAGER[plan.platform]}): nothing is written or run\n`,
  );
  for (const step of steps) {
    out.write(`${describeStep(step)}\n`);
    if (step.kind === 'write') {
      // The unit carries the proxy settings as they are; what is printed hides their passwords.
      const content = maskUrlUserinfo(step.unit.content);
      out.write(`--- ${step.unit.file}\n${content.endsWith('\n') ? content : `${content}\n`}---\n`);
    }
  }
}

const MARK: Record<UnitFinding['level'], string> = { ok: '✓', warn: '!', fail: '✗' };

async function printStatus(
  plan: ServicePlan,
  deps: ServiceDeps,
  ctx: CommandContext,
  checkDeps: Parameters<typeof checkInstalledUnit>[2],
): Promise<ExitCodeValue> {
  const out = ctx.io.stdout;
  const { home } = plan.spec;
  const yesNo = (value: boolean) => (value ? 'yes' : 'no');
  let failed = false;
  out.write(`keyrot service (${plan.platform}, ${MANAGER[plan.platform]})\n`);
  for (const unit of await unitStatuses(plan, deps)) {
    if (unit.kind === 'tray' && !unit.installed) continue;
    out.write(
      `  ${unit.name}: installed ${yesNo(unit.installed)}, enabled ${yesNo(unit.enabled)}, running ${yesNo(unit.running)} (${unit.detail})\n`,
    );
    if (!unit.installed) continue;
    out.write(`    ${tildify(unit.file, home)}\n`);
    const report = await checkInstalledUnit(plan.platform, unit, checkDeps);
    for (const finding of report.findings) {
      failed ||= finding.level === 'fail';
      out.write(`    ${MARK[finding.level]} ${finding.text}\n`);
      if (finding.fix) out.write(`        fix: ${finding.fix}\n`);
    }
  }
  try {
    const state = await readStateFile(plan.spec.stateDir);
    if (!state) {
      out.write('  last check: none yet (no state file)\n');
    } else {
      out.write(
        `  last check: ${state.lastCheck ?? 'none yet'}; next check: ${state.nextCheck ?? 'unknown'}\n`,
      );
      if (state.idle)
        out.write(`  not checking: ${redactText(state.idle.reason)} (since ${state.idle.since})\n`);
      for (const [profile, entry] of Object.entries(state.profiles)) {
        const age = entry.ageDays === null ? 'age unknown' : `${entry.ageDays} days old`;
        const result = entry.lastResult
          ? `; ${entry.lastResult.outcome}: ${redactText(entry.lastResult.message)}`
          : '';
        out.write(`    ${profile}: ${entry.keyId ?? 'no key'}, ${age}${result}\n`);
      }
    }
  } catch (error) {
    out.write(`  last check: unreadable state file (${(error as Error).message})\n`);
  }
  return failed ? ExitCode.failed : ExitCode.ok;
}
