// The run's global set-up and teardown (vitest.config.ts). Every temp entry of the run goes into one
// private directory (TMPDIR for the test workers and the programs they start); the teardown fails the
// run when tests left anything in it, or left new keyrot entries in the system temp dir itself (compared
// with a listing taken at set-up, so the developer's own entries and the test session's do not count).
import { mkdtempSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TEMP_PREFIX } from './cleanup.js';

/** The name prefix of a run's private temp directory. */
const RUN_PREFIX = `${TEMP_PREFIX}test-run-`;
/** What Node itself keeps in TMPDIR (Node 22.1+'s default compile-cache directory), not a test's leftover. */
const NODE_OWN_ENTRIES = new Set(['node-compile-cache']);
/** scripts/test-session.sh's directories: their presence means a test run is under way. */
const SESSION_PREFIXES = [`${TEMP_PREFIX}session.`, RUN_PREFIX];

/** keyrot's entries in `dir`. */
function keyrotEntries(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.startsWith(TEMP_PREFIX));
}

/** Sets the run's private TMPDIR; returns the teardown that checks for leftovers. */
export default function setup(): () => void {
  const outer = tmpdir();
  const before = new Set(keyrotEntries(outer));
  const runDir = mkdtempSync(path.join(outer, RUN_PREFIX));
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = runDir;
  // For tests about the system temp dir itself (a sticky, world-writable directory above their files).
  process.env.KEYROT_TEST_SYSTEM_TMPDIR = outer;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    delete process.env.KEYROT_TEST_SYSTEM_TMPDIR;
    for (const name of NODE_OWN_ENTRIES) rmSync(path.join(runDir, name), { recursive: true, force: true });
    const left = readdirSync(runDir);
    const ownSession = process.env.KEYROT_TEST_SESSION_DIR
      ? path.basename(process.env.KEYROT_TEST_SESSION_DIR)
      : undefined;
    const now = keyrotEntries(outer);
    const added = now.filter((name) => !before.has(name) && name !== path.basename(runDir));
    // Another run beside this one (another worktree, another terminal) makes entries that cannot be told
    // from this run's: then new entries in the shared temp dir are reported, not failed on.
    const othersRunning = now.some(
      (name) =>
        name !== ownSession &&
        name !== path.basename(runDir) &&
        SESSION_PREFIXES.some((prefix) => name.startsWith(prefix)),
    );
    const problems: string[] = [];
    if (left.length > 0) problems.push(`in ${runDir}: ${left.sort().join(', ')}`);
    const strays = added.filter((name) => !SESSION_PREFIXES.some((prefix) => name.startsWith(prefix)));
    if (strays.length > 0 && !othersRunning) problems.push(`in ${outer}: ${strays.sort().join(', ')}`);
    else if (strays.length > 0)
      process.stderr.write(
        `leftover check: new keyrot entries in ${outer} while another test run is under way (not counted): ${strays.join(', ')}\n`,
      );
    if (left.length === 0) rmdirSync(runDir);
    if (problems.length > 0) {
      // Vitest only prints what a global teardown throws; the exit code is what makes the run fail.
      process.exitCode = 1;
      throw new Error(
        `the tests left temp entries behind (every test must remove what it creates, also when it fails):\n  ${problems.join('\n  ')}`,
      );
    }
  };
}
