// Logging with redaction: no secret in any log line (docs/rotation-protocol.md, Invariants).
export {
  type ClosableLogger,
  createLogger,
  LOG_FILE_NAME,
  LOG_MAX_BYTES,
  LOG_MAX_FILES,
  type LogFields,
  type Logger,
  type LoggerOptions,
  type LogLevel,
  nullLogger,
} from './logger.js';
export { isSecretField, redactValue } from './redact-value.js';
