import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Where to connect for the session bus: a Unix socket path (abstract names start with a NUL byte). */
export interface BusSocket {
  path: string;
}

/**
 * The session bus socket from DBUS_SESSION_BUS_ADDRESS (the first `unix:path=` or `unix:abstract=`
 * address in it), else `$XDG_RUNTIME_DIR/bus` when that exists (a systemd user bus, as libdbus does).
 * Null when there is no bus to connect to.
 */
export function sessionBusSocket(env: NodeJS.ProcessEnv): BusSocket | null {
  const address = env.DBUS_SESSION_BUS_ADDRESS?.trim();
  if (!address) {
    const fallback = env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'bus') : null;
    return fallback && existsSync(fallback) ? { path: fallback } : null;
  }
  for (const entry of address.split(';')) {
    const colon = entry.indexOf(':');
    if (entry.slice(0, colon) !== 'unix') continue;
    const params = new Map(
      entry
        .slice(colon + 1)
        .split(',')
        .map((pair) => {
          const eq = pair.indexOf('=');
          return [pair.slice(0, eq), unescapeValue(pair.slice(eq + 1))] as const;
        }),
    );
    const path = params.get('path');
    if (path) return { path };
    const abstract = params.get('abstract');
    if (abstract) return { path: `\0${abstract}` };
  }
  return null;
}

// D-Bus addresses escape bytes as %XX.
function unescapeValue(value: string): string {
  return value.replace(/%([0-9a-fA-F]{2})/g, (_m, hex: string) =>
    String.fromCharCode(Number.parseInt(hex, 16)),
  );
}
