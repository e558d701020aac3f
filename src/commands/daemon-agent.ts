// The daemon's agent (docs/agent.md): serves `keyrot credentials` its key over a private socket, with
// the keychain code loaded only on the first request (from the credentials command's own bundle, so
// the daemon parent, which idles for hours, holds none of it until then).
import { idleClosingLookup } from '../agent/idle-reader.js';
import { socketPathFits } from '../agent/protocol.js';
import { listenAgent } from '../agent/server.js';
import { ownSocketFile, prepareSocketPath, removeSocketFile } from '../agent/socket-file.js';
import { keyrotPaths } from '../config/paths.js';
import { keychainService } from '../keychain/service-name.js';
import type { Logger } from '../log/logger.js';

/** A serving agent. */
export interface RunningAgent {
  /** Stops serving, removes the socket and closes the keychain connection. */
  close(): Promise<void>;
}

/**
 * Starts the agent of the daemon that holds the instance lock, or returns undefined (and logs why)
 * when it cannot serve: no socket on this platform (Windows), a path too long for a socket, a
 * directory others may write, another daemon serving, or any error. The daemon runs either way.
 */
export async function startAgent(
  env: NodeJS.ProcessEnv,
  logger: Logger,
  platform: NodeJS.Platform = process.platform,
): Promise<RunningAgent | undefined> {
  const socketPath = keyrotPaths(env, platform).agentSocket;
  if (!socketPath) {
    logger.debug('agent: not served on this platform (keyrot credentials reads the keychain itself)');
    return undefined;
  }
  if (!socketPathFits(socketPath, platform)) {
    logger.debug('agent: the socket path is too long for a socket', { socket: socketPath });
    return undefined;
  }
  try {
    const refusal = await prepareSocketPath(socketPath);
    if (refusal && 'problem' in refusal) {
      logger.warn(`agent: not serving keyrot credentials: ${refusal.problem}`);
      return undefined;
    }
    if (refusal) {
      // Another keyrot (another state dir) in this session: its clients are served by it.
      logger.debug('agent: another daemon serves the socket', { socket: socketPath });
      return undefined;
    }
    const service = keychainService(env);
    const reader = idleClosingLookup(async () => {
      const { openProtectedKeyReader } = await import('./credentials-fast.js');
      return openProtectedKeyReader(service);
    });
    const server = await listenAgent({ socketPath, service, lookup: reader.lookup, logger });
    const file = await ownSocketFile(socketPath).catch(async (error: unknown) => {
      await server.close();
      throw error;
    });
    logger.debug('agent: serving keyrot credentials', { socket: socketPath });
    return {
      async close() {
        await server.close();
        await removeSocketFile(file);
        await reader.close();
      },
    };
  } catch (error) {
    // Another daemon (another state dir in this session) bound the socket first.
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      logger.debug('agent: another daemon serves the socket', { socket: socketPath });
    } else logger.warn('agent: not serving keyrot credentials', { error });
    return undefined;
  }
}
