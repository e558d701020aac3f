import { describe, expect, it } from 'vitest';
import { agentSocketPath, keyrotPaths } from '../../src/config/paths.js';

describe('keyrotPaths', () => {
  it('follows XDG on Linux, with logs in the state directory', () => {
    expect(keyrotPaths({ HOME: '/home/ann' }, 'linux')).toEqual({
      configFile: '/home/ann/.config/keyrot/config.ini',
      stateDir: '/home/ann/.local/state/keyrot',
      logDir: '/home/ann/.local/state/keyrot',
      cacheDir: '/home/ann/.cache/keyrot',
      agentSocket: '/home/ann/.local/state/keyrot/agent.sock',
    });
    expect(
      keyrotPaths(
        { HOME: '/h', XDG_CONFIG_HOME: '/x/c', XDG_STATE_HOME: '/x/s', XDG_CACHE_HOME: '/x/k' },
        'linux',
      ),
    ).toEqual({
      configFile: '/x/c/keyrot/config.ini',
      stateDir: '/x/s/keyrot',
      logDir: '/x/s/keyrot',
      cacheDir: '/x/k/keyrot',
      agentSocket: '/x/s/keyrot/agent.sock',
    });
  });

  it('puts logs under ~/Library/Logs on macOS', () => {
    const paths = keyrotPaths({ HOME: '/Users/ann' }, 'darwin');
    expect(paths.logDir).toBe('/Users/ann/Library/Logs/keyrot');
    expect(paths.configFile).toBe('/Users/ann/.config/keyrot/config.ini');
    expect(paths.cacheDir).toBe('/Users/ann/Library/Caches/keyrot');
    // launchd gives no runtime dir of the user's own: the state dir (0700) holds the socket.
    expect(keyrotPaths({ HOME: '/Users/ann', XDG_RUNTIME_DIR: '/run/x' }, 'darwin').agentSocket).toBe(
      '/Users/ann/.local/state/keyrot/agent.sock',
    );
  });

  it("puts the agent's socket in the session's runtime dir on Linux, beside a moved state, and nowhere on Windows", () => {
    expect(keyrotPaths({ HOME: '/h', XDG_RUNTIME_DIR: '/run/user/1000' }, 'linux').agentSocket).toBe(
      '/run/user/1000/keyrot/agent.sock',
    );
    // A relative runtime dir is invalid (XDG spec): ignored.
    expect(keyrotPaths({ HOME: '/h', XDG_RUNTIME_DIR: 'run' }, 'linux').agentSocket).toBe(
      '/h/.local/state/keyrot/agent.sock',
    );
    expect(
      keyrotPaths({ HOME: '/h', XDG_RUNTIME_DIR: '/run/user/1000', KEYROT_STATE_DIR: '/tmp/s' }, 'linux')
        .agentSocket,
    ).toBe('/tmp/s/agent.sock');
    expect(keyrotPaths({ USERPROFILE: 'C:\\Users\\ann' }, 'win32').agentSocket).toBeUndefined();
  });

  it("gives the bin the agent's socket alone, the same path as keyrotPaths", () => {
    const cases: [NodeJS.ProcessEnv, NodeJS.Platform][] = [
      [{ HOME: '/h', XDG_RUNTIME_DIR: '/run/user/1000/' }, 'linux'],
      [{ HOME: '/h', XDG_RUNTIME_DIR: 'run' }, 'linux'],
      [{ HOME: '/h', XDG_STATE_HOME: '/x/s' }, 'linux'],
      [{ HOME: '/h', XDG_RUNTIME_DIR: '/run/user/1000', KEYROT_STATE_DIR: 'rel/s' }, 'linux'],
      [{ HOME: '/Users/ann', XDG_RUNTIME_DIR: '/run/x' }, 'darwin'],
      [{ USERPROFILE: 'C:\\Users\\ann' }, 'win32'],
    ];
    for (const [env, platform] of cases) {
      expect(agentSocketPath(env, platform), JSON.stringify(env)).toBe(
        keyrotPaths(env, platform).agentSocket,
      );
    }
    expect(agentSocketPath({ HOME: '/h', XDG_RUNTIME_DIR: '/run/user/1000/' }, 'linux')).toBe(
      '/run/user/1000/keyrot/agent.sock',
    );
  });

  it('keeps settings in %APPDATA% (roaming) and state, locks, logs and caches in %LOCALAPPDATA% on Windows, whatever OS renders it', () => {
    const paths = keyrotPaths(
      {
        USERPROFILE: 'C:\\Users\\ann',
        APPDATA: 'C:\\Users\\ann\\AppData\\Roaming',
        LOCALAPPDATA: 'C:\\Users\\ann\\AppData\\Local',
      },
      'win32',
    );
    expect(paths).toEqual({
      configFile: 'C:\\Users\\ann\\AppData\\Roaming\\keyrot\\config.ini',
      stateDir: 'C:\\Users\\ann\\AppData\\Local\\keyrot',
      logDir: 'C:\\Users\\ann\\AppData\\Local\\keyrot\\logs',
      cacheDir: 'C:\\Users\\ann\\AppData\\Local\\keyrot\\cache',
    });
    // Without the variables (a service started without the user's environment): the same folders under the profile.
    expect(keyrotPaths({ USERPROFILE: 'C:\\Users\\ann' }, 'win32').stateDir).toBe(
      'C:\\Users\\ann\\AppData\\Local\\keyrot',
    );
  });

  it('lets KEYROT_CONFIG and KEYROT_STATE_DIR override (state dir moves the logs too)', () => {
    const paths = keyrotPaths(
      { HOME: '/Users/ann', KEYROT_CONFIG: '/etc/k.ini', KEYROT_STATE_DIR: '/tmp/s' },
      'darwin',
    );
    expect(paths).toEqual({
      configFile: '/etc/k.ini',
      stateDir: '/tmp/s',
      logDir: '/tmp/s',
      cacheDir: '/Users/ann/Library/Caches/keyrot',
      agentSocket: '/tmp/s/agent.sock',
    });
  });
});
