// Whether an installed service can still start: the node it names exists and runs (a Node upgrade
// under nvm or Homebrew removes versioned paths), and the keyrot it names is this one. Reads only.

import { keyrotPackageRoot } from './entry-path.js';
import { decodeServiceFile, type InstalledCommand, parseInstalledCommand } from './installed-command.js';
import { majorOf, nodeVersionOf, versionedNode } from './node-path.js';
import { NODE_OPTIONS, type ServiceUnit } from './render.js';
import type { CommandRunner } from './runner.js';
import type { ServicePlatform } from './spec.js';

/** One finding about an installed unit; `fix` says what to do for warn and fail. */
export interface UnitFinding {
  level: 'ok' | 'warn' | 'fail';
  text: string;
  fix?: string;
}

/** What checkInstalledUnit reads from the system. */
export interface CheckInstalledDeps {
  readFile(file: string): Promise<Buffer>;
  /** The canonical path, or undefined when it does not exist. */
  realpath(file: string): Promise<string | undefined>;
  run: CommandRunner;
  /** This keyrot's entry point (keyrotEntryPath()). */
  entryPath: string;
  /** The oldest node major keyrot runs on. */
  minMajor: number;
}

/** An installed unit's command and what was found about it. */
export interface InstalledUnitReport {
  command?: InstalledCommand;
  nodeVersion?: string;
  findings: UnitFinding[];
}

const REINSTALL = 'run `keyrot service install` again (with the node and keyrot you want the service to run)';

/** Checks the command an installed unit runs. The unit file must exist (see unitStatuses). */
export async function checkInstalledUnit(
  platform: ServicePlatform,
  unit: Pick<ServiceUnit, 'name' | 'file' | 'kind'>,
  deps: CheckInstalledDeps,
): Promise<InstalledUnitReport> {
  let command: InstalledCommand | undefined;
  try {
    command = parseInstalledCommand(platform, decodeServiceFile(await deps.readFile(unit.file)));
  } catch {
    command = undefined;
  }
  if (!command) {
    return {
      findings: [
        {
          level: 'fail',
          text: `cannot read which node and keyrot ${unit.name} runs from ${unit.file}`,
          fix: REINSTALL,
        },
      ],
    };
  }
  const findings: UnitFinding[] = [];
  const nodeExists = (await deps.realpath(command.nodePath)) !== undefined;
  const nodeVersion = nodeExists ? await nodeVersionOf(command.nodePath, deps.run) : undefined;
  if (!nodeExists) {
    findings.push({
      level: 'fail',
      text: `${unit.name} runs node at ${command.nodePath}, which no longer exists (removed by a Node upgrade?)`,
      fix: REINSTALL,
    });
  } else if (!nodeVersion) {
    findings.push({
      level: 'fail',
      text: `${unit.name} runs node at ${command.nodePath}, which does not run`,
      fix: REINSTALL,
    });
  } else if (majorOf(nodeVersion) < deps.minMajor) {
    findings.push({
      level: 'fail',
      text: `${unit.name} runs node ${nodeVersion} at ${command.nodePath}; keyrot needs ${deps.minMajor} or later`,
      fix: REINSTALL,
    });
  } else {
    const versioned = versionedNode(command.nodePath);
    findings.push(
      versioned
        ? {
            level: 'warn',
            text: `${unit.name} runs node ${nodeVersion} from a versioned ${versioned.manager} directory (${command.nodePath}): the next Node upgrade can remove it`,
            fix: versioned.fix,
          }
        : { level: 'ok', text: `${unit.name} runs node ${nodeVersion} (${command.nodePath})` },
    );
  }

  const entry = await deps.realpath(command.entryPath);
  const ours = keyrotPackageRoot(deps.entryPath);
  if (!entry) {
    findings.push({
      level: 'fail',
      text: `${unit.name} runs keyrot at ${command.entryPath}, which no longer exists`,
      fix: REINSTALL,
    });
  } else if (keyrotPackageRoot(entry) !== ours) {
    findings.push({
      level: 'fail',
      text: `${unit.name} runs another keyrot (${command.entryPath}), not this one (${deps.entryPath})`,
      fix: REINSTALL,
    });
  } else {
    findings.push({ level: 'ok', text: `${unit.name} runs this keyrot (${command.entryPath})` });
  }
  // A unit installed by an older keyrot still starts, without the node options install writes now.
  const missing = NODE_OPTIONS[unit.kind].filter((option) => !command.nodeOptions.includes(option));
  if (missing.length > 0) {
    findings.push({
      level: 'warn',
      text: `${unit.name} runs node without ${missing.join(' ')}, which keyrot's service now uses (it was installed by an older keyrot; it takes more memory while idle)`,
      fix: 'run `keyrot service install` again',
    });
  }
  return { command, ...(nodeVersion ? { nodeVersion } : {}), findings };
}
