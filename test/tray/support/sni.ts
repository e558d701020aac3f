// Reads and clicks a tray icon the way a desktop panel does: over D-Bus, through the
// StatusNotifierItem and com.canonical.dbusmenu objects that libayatana-appindicator exports.
// Uses `busctl --user` (systemd), which follows DBUS_SESSION_BUS_ADDRESS of the test session.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The appindicator object path systray2's helper exports (its indicator id is "systray"). */
export const ITEM_PATH = '/org/ayatana/NotificationItem/systray';

/** One visible menu entry as a panel would draw it. */
export interface MenuEntry {
  id: number;
  label: string;
  enabled: boolean;
  visible: boolean;
  separator: boolean;
  children: MenuEntry[];
}

interface Variant {
  type: string;
  data: unknown;
}

async function busctl(args: string[]): Promise<unknown> {
  const { stdout } = await run('busctl', ['--user', '--json=short', ...args], { timeout: 5_000 });
  return stdout.trim() ? JSON.parse(stdout) : null;
}

/** The unique bus name of the connection owned by process `pid` that exports the tray item. */
export async function findTrayConnection(pid: number): Promise<string | null> {
  const names = (await busctl([
    'call',
    'org.freedesktop.DBus',
    '/org/freedesktop/DBus',
    'org.freedesktop.DBus',
    'ListNames',
  ])) as {
    data: [string[]];
  };
  for (const name of names.data[0].filter((n) => n.startsWith(':'))) {
    const owner = (await busctl([
      'call',
      'org.freedesktop.DBus',
      '/org/freedesktop/DBus',
      'org.freedesktop.DBus',
      'GetConnectionUnixProcessID',
      's',
      name,
    ]).catch(() => null)) as { data: [number] } | null;
    if (owner?.data[0] === pid) return name;
  }
  return null;
}

/** A StatusNotifierItem property (IconName, Title, Status, …). */
export async function itemProperty(connection: string, property: string): Promise<unknown> {
  const value = (await busctl([
    'get-property',
    connection,
    ITEM_PATH,
    'org.kde.StatusNotifierItem',
    property,
  ])) as Variant;
  return value.data;
}

/** The menu as the panel sees it (GetLayout of the whole tree). */
export async function menuLayout(connection: string): Promise<MenuEntry[]> {
  const menuPath = (await itemProperty(connection, 'Menu')) as string;
  const layout = (await busctl([
    'call',
    '--',
    connection,
    menuPath,
    'com.canonical.dbusmenu',
    'GetLayout',
    'iias',
    '0',
    '-1',
    '0',
  ])) as { data: [number, [number, Record<string, Variant>, Variant[]]] };
  return layout.data[1][2].map((child) =>
    toEntry(child.data as [number, Record<string, Variant>, Variant[]]),
  );
}

function toEntry([id, props, children]: [number, Record<string, Variant>, Variant[]]): MenuEntry {
  return {
    id,
    label: (props.label?.data as string | undefined) ?? '',
    enabled: (props.enabled?.data as boolean | undefined) ?? true,
    visible: (props.visible?.data as boolean | undefined) ?? true,
    separator: props.type?.data === 'separator',
    children: children.map((child) => toEntry(child.data as [number, Record<string, Variant>, Variant[]])),
  };
}

/** The labels of the visible, non-separator entries, top level only. */
export function visibleLabels(entries: MenuEntry[]): string[] {
  return entries.filter((entry) => entry.visible && !entry.separator).map((entry) => entry.label);
}

/** Clicks the entry labelled `label`, as a panel does when the person picks it. */
export async function clickMenu(connection: string, label: string): Promise<void> {
  const entries = await menuLayout(connection);
  const entry = entries.find((e) => e.label === label && e.visible);
  if (!entry)
    throw new Error(`no menu entry ${JSON.stringify(label)} in ${JSON.stringify(visibleLabels(entries))}`);
  const menuPath = (await itemProperty(connection, 'Menu')) as string;
  await busctl([
    'call',
    '--',
    connection,
    menuPath,
    'com.canonical.dbusmenu',
    'Event',
    'isvu',
    String(entry.id),
    'clicked',
    's',
    '',
    '0',
  ]);
}
