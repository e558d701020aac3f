// Which signals stop the daemon and which asks it to check now, per OS.
import { describe, expect, it } from 'vitest';
import { daemonSignals } from '../../src/commands/daemon.js';

describe('daemonSignals', () => {
  it('on Windows, a SIGHUP (its console closed: task ended, logoff) stops the daemon; nothing means "check now"', () => {
    expect(daemonSignals('win32')).toEqual({ stop: ['SIGTERM', 'SIGINT', 'SIGHUP'] });
  });

  it('on Linux and macOS, SIGHUP asks for a check now and SIGTERM/SIGINT stop', () => {
    for (const platform of ['linux', 'darwin'] as const) {
      expect(daemonSignals(platform)).toEqual({ stop: ['SIGTERM', 'SIGINT'], checkNow: 'SIGHUP' });
    }
  });
});
