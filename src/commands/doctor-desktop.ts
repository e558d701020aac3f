// doctor's checks of the desktop parts on macOS and Windows: what this Mac's CPU runs (the prebuilt
// helpers keyrot ships are Intel-only), how notifications will be shown and whether that program
// starts, and on Windows whether toasts carry keyrot's name.
import { macRoute, terminalNotifierPath } from '../notify/mac-notifications.js';
import { appIdRegistered } from '../notify/windows-app-id.js';
import { INSTALL_ROSETTA, macCpu, type RunProgram } from '../platform/mac-cpu.js';
import { trayHelperCannotRun } from '../tray/helper-binary.js';
import type { CheckResult } from './doctor-result.js';

/** macOS: the CPU and Rosetta 2, the notification route and that its program starts, the tray helper. */
export async function checkMacDesktop(run: RunProgram, notify: boolean): Promise<CheckResult[]> {
  const cpu = await macCpu(run);
  const results: CheckResult[] = [
    {
      level: 'ok',
      text: cpu.appleSilicon
        ? `Apple silicon; Rosetta 2 ${cpu.runsX86_64 ? 'installed' : 'not installed'}${cpu.translated ? '; this node is an Intel build running under Rosetta' : ''}`
        : 'Intel CPU',
    },
  ];
  if (notify) {
    const route = await macRoute({ run });
    if (route.via === 'terminal-notifier') {
      const started = await run(terminalNotifierPath(), ['-help']);
      results.push(
        started.code === 0
          ? {
              level: 'ok',
              text: 'notifications through terminal-notifier, which starts here (macOS shows them once "terminal-notifier" is allowed in System Settings › Notifications)',
            }
          : {
              level: 'warn',
              text: `terminal-notifier does not start (exit ${started.code}): notifications fall back to osascript`,
              fix: 'reinstall keyrot',
            },
      );
    } else {
      const started = await run('/usr/bin/osascript', ['-e', 'return 1']);
      results.push(
        started.code === 0
          ? {
              level: 'ok',
              text: `notifications through osascript, shown as from Script Editor: ${route.because}`,
              fix: cpu.runsX86_64 ? undefined : `for notifications under their own name: ${INSTALL_ROSETTA}`,
            }
          : {
              level: 'warn',
              text: `no notification can be shown: ${route.because}, and osascript does not start (exit ${started.code})`,
              fix: INSTALL_ROSETTA,
            },
      );
    }
  }
  const tray = await trayHelperCannotRun({ platform: 'darwin', run });
  if (tray)
    results.push({ level: 'warn', text: `the tray icon cannot run here: ${tray}`, fix: INSTALL_ROSETTA });
  return results.map((result) =>
    result.fix === undefined ? { level: result.level, text: result.text } : result,
  );
}

/** Windows: whether toasts carry keyrot's name (its application id registered) or SnoreToast's. */
export async function checkWindowsNotifications(env: NodeJS.ProcessEnv): Promise<CheckResult> {
  return (await appIdRegistered(env))
    ? { level: 'ok', text: "notifications as Windows toasts under keyrot's name" }
    : {
        level: 'warn',
        text: 'notifications show as from "SnoreToast": keyrot\'s name for them is not registered',
        fix: 'run `keyrot service install`, which registers it',
      };
}
