// The layer map of docs/architecture.md, checked by `npm run check:layers` (part of `npm test`).
// bin → cli → commands → {tray, daemon, service} → rotation →
// {agent, credentials, keychain, aws, config, state, log, notify, lock} → {fs, time, errors, platform}.
// emulator stands apart: it imports only fs, time and errors, and only commands imports it.
// Type-only imports count: a type from a layer above is a dependency on it all the same.

const MIDDLE = '(agent|credentials|keychain|aws|config|state|log|notify|lock)';
const BOTTOM = '(fs|time|errors|platform)';

/** A rule that forbids importing `to` from anywhere except `allowedFrom`. */
function onlyFrom(name, comment, to, allowedFrom) {
  return {
    name,
    comment,
    severity: 'error',
    from: { path: '^src/', pathNot: `^src/${allowedFrom}` },
    to: { path: `^src/${to}` },
  };
}

module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'Imports form no cycle (type-only imports included).',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    onlyFrom('bin-is-the-top', 'Nothing imports the entry point.', 'bin\\.ts$', 'bin\\.ts$'),
    onlyFrom('cli-only-from-bin', 'Only the bin imports the CLI.', 'cli\\.ts$', '(bin|cli)\\.ts$'),
    onlyFrom('commands-only-from-cli', 'Only cli imports commands.', 'commands/', '(cli\\.ts$|commands/)'),
    onlyFrom(
      'tray-only-from-above',
      'tray is imported by cli and commands only (no arrow between tray, daemon and service).',
      'tray/',
      '(cli\\.ts$|commands/|tray/)',
    ),
    onlyFrom(
      'daemon-only-from-above',
      'daemon is imported by cli and commands only (no arrow between tray, daemon and service).',
      'daemon/',
      '(cli\\.ts$|commands/|daemon/)',
    ),
    onlyFrom(
      'service-only-from-above',
      'service is imported by cli and commands only (no arrow between tray, daemon and service).',
      'service/',
      '(cli\\.ts$|commands/|service/)',
    ),
    onlyFrom(
      'rotation-only-from-above',
      'rotation is imported by the layers above it only.',
      'rotation/',
      '(cli\\.ts$|commands/|tray/|daemon/|service/|rotation/)',
    ),
    {
      name: 'bottom-imports-only-bottom',
      comment:
        'fs, time, errors and platform are the bottom layer: they import nothing of keyrot above them.',
      severity: 'error',
      from: { path: `^src/${BOTTOM}/` },
      to: { path: '^src/', pathNot: `^src/${BOTTOM}/` },
    },
    {
      name: 'middle-imports-only-middle-and-bottom',
      comment: `${MIDDLE} import only each other and the bottom layer.`,
      severity: 'error',
      from: { path: `^src/${MIDDLE}/` },
      to: { path: '^src/', pathNot: `^src/(${MIDDLE.slice(1, -1)}|${BOTTOM.slice(1, -1)})/` },
    },
    {
      name: 'emulator-imports-only-bottom',
      comment: 'The emulator stands apart: it imports only fs, time and errors.',
      severity: 'error',
      from: { path: '^src/emulator/' },
      to: { path: '^src/', pathNot: `^src/(emulator|${BOTTOM.slice(1, -1)})/` },
    },
    onlyFrom(
      'emulator-only-from-commands',
      'Only commands (and cli, for the fault grammar in --help) import the emulator.',
      'emulator/',
      '(cli\\.ts$|commands/|emulator/)',
    ),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.d\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.build.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
    },
  },
};
