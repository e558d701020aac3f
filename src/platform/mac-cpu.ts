// What this Mac's CPU runs: Apple silicon runs arm64 programs natively and x86_64 (Intel) programs only
// through Rosetta 2, which is not installed until someone asks for it (`softwareupdate
// --install-rosetta`). Prebuilt Intel-only helpers then fail with "Bad CPU type in executable".
import { execFile } from 'node:child_process';

/** Runs a program and gives back its exit code and output (never rejects). */
export type RunProgram = (command: string, args: string[]) => Promise<{ code: number; stdout: string }>;

/** The real runner: argv only, bounded. */
export const runProgram: RunProgram = (command, args) =>
  new Promise((resolve) => {
    execFile(command, args, { timeout: 10_000, windowsHide: true }, (error, stdout) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 127) : 0;
      resolve({ code, stdout: String(stdout) });
    });
  });

/** This Mac's CPU, as far as running prebuilt programs goes. */
export interface MacCpu {
  /** An Apple silicon (arm64) Mac, also when this node runs under Rosetta. */
  appleSilicon: boolean;
  /** Whether x86_64 programs run here: always on Intel, with Rosetta 2 installed on Apple silicon. */
  runsX86_64: boolean;
  /** This node itself is an x86_64 build running under Rosetta. */
  translated: boolean;
}

/** The fix for an Apple silicon Mac without Rosetta 2. */
export const INSTALL_ROSETTA = 'softwareupdate --install-rosetta --agree-to-license';

/**
 * Asks macOS: `sysctl hw.optional.arm64` (1 on Apple silicon, also under Rosetta), `sysctl
 * sysctl.proc_translated` (1 when this process is translated), and whether `arch -x86_64 /usr/bin/true`
 * runs (it does only where x86_64 programs can run).
 */
export async function macCpu(run: RunProgram = runProgram): Promise<MacCpu> {
  const sysctl = async (name: string) => (await run('/usr/sbin/sysctl', ['-n', name])).stdout.trim() === '1';
  const appleSilicon = await sysctl('hw.optional.arm64');
  const translated = appleSilicon && (await sysctl('sysctl.proc_translated'));
  const runsX86_64 =
    !appleSilicon || translated || (await run('/usr/bin/arch', ['-x86_64', '/usr/bin/true'])).code === 0;
  return { appleSilicon, runsX86_64, translated };
}

/** Why a program built for `architectures` cannot run on `cpu`, or null when it can. */
export function cannotRunReason(architectures: string[], cpu: MacCpu): string | null {
  if (architectures.includes('arm64') && cpu.appleSilicon) return null;
  if (architectures.includes('x86_64') && cpu.runsX86_64) return null;
  const built = architectures.length ? architectures.join(' and ') : 'no known CPU';
  const here = cpu.appleSilicon
    ? 'this Mac has Apple silicon and Rosetta 2 is not installed'
    : 'this Mac has an Intel CPU';
  return `it is built for ${built} only, and ${here}`;
}
