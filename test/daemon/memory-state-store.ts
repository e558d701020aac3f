// The daemon's state store for in-process daemon tests: the state file's real writer and reader (JSON,
// schema check, defaults), as `keyrot daemon` wires them, over an in-memory file system, so a state the real reader would reject fails
// here too, without a disk write per pass.
import type { StateStore } from '../../src/daemon/daemon.js';
import { type DaemonState, readStateFile } from '../../src/state/state-file.js';
import { writeStateJson } from '../../src/state/state-shape.js';
import { faultyFs } from '../fs/faulty-fs.js';

/** A StateStore over memory, and the state as the real reader last read it back after a save. */
export function memoryStateStore(): { store: StateStore; saved(): DaemonState | null } {
  const { fs } = faultyFs({});
  const dir = '/state';
  let saved: DaemonState | null = null;
  const store: StateStore = {
    load: () => readStateFile(dir, { fs }),
    async save(state) {
      await writeStateJson(dir, state, { fs });
      saved = await store.load();
    },
  };
  return { store, saved: () => saved };
}
