// keyrot's own settings and paths (README.md, Settings).
export { type LoadSettingsOptions, loadSettings, parseSettings } from './load-settings.js';
export { homeDir, type KeyrotPaths, keyrotPaths } from './paths.js';
export { DEFAULT_PROFILE_SETTINGS, type LogLevel, type ProfileSettings, type Settings } from './settings.js';
