// The daemon's state file, `<stateDir>/state.json`: what the last check found, when the next one is,
// and what the person was last told. Read by `keyrot status --offline`, `keyrot service status` and
// the tray. It never holds a secret: key ids are stored masked (AKIA…WXYZ).
import { KeyrotError } from '../errors/keyrot-error.js';
import { realFs } from '../fs/fs-port.js';
import { type DaemonState, parseDaemonState, StateShapeError } from './state-schema.js';
import { type StateFs, stateFilePath, writeStateJson } from './state-shape.js';

// The shape's types and the unchecked parts, re-exported so readers need only this module.
export type { DaemonState, ProfileState } from './state-schema.js';
export {
  emptyProfileState,
  emptyState,
  STATE_FILE_NAME,
  type StateFs,
  stateFilePath,
} from './state-shape.js';

/** Reads and validates `<stateDir>/state.json`; null when there is none yet (KeyrotError FILE_INVALID if corrupt). */
export async function readStateFile(
  stateDir: string,
  deps: { fs?: { readFile(file: string): Promise<Buffer> } } = {},
): Promise<DaemonState | null> {
  const fs = deps.fs ?? realFs;
  const file = stateFilePath(stateDir);
  let text: string;
  try {
    text = (await fs.readFile(file)).toString('utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new KeyrotError('FILE_UNREADABLE', `cannot read the daemon state file: ${describe(error)}`, {
      file,
      cause: error,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new KeyrotError('FILE_INVALID', 'the daemon state file is not valid JSON', {
      file,
      cause: error,
      hint: 'delete it; the daemon writes a new one at its next check',
    });
  }
  try {
    return parseDaemonState(json);
  } catch (error) {
    if (!(error instanceof StateShapeError)) throw error;
    throw new KeyrotError(
      'FILE_INVALID',
      `the daemon state file is not as expected at ${error.path || 'top level'}: ${error.message}`,
      { file, hint: 'delete it; the daemon writes a new one at its next check' },
    );
  }
}

/** Validates `state` and writes `<stateDir>/state.json` atomically (temp file + rename), mode 0600, dir 0700. */
export async function writeStateFile(
  stateDir: string,
  state: DaemonState,
  deps: { fs?: StateFs } = {},
): Promise<void> {
  await writeStateJson(stateDir, parseDaemonState(state), deps);
}

function describe(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code ?? (error instanceof Error ? error.message : String(error));
}
