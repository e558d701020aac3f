// The agent's wire format (docs/agent.md): one JSON line asks for a protected profile's key, one JSON
// line answers, then the server closes the connection. Both sides refuse a line longer than
// MAX_LINE_BYTES. Pure: shared by the client in `keyrot credentials` and the server in the daemon.

/** The protocol version both lines carry; a side that sees another one treats it as a refusal. */
export const AGENT_PROTOCOL_VERSION = 1;

/** The longest line either side reads (newline included); a longer one ends the exchange. */
export const MAX_LINE_BYTES = 8 * 1024;

/** What a client asks: the key of `profile` whose credential_process is in `configFile`. */
export interface AgentRequest {
  v: 1;
  profile: string;
  /** The AWS config file as the direct read resolves it, absolute (the keychain entry is per file). */
  configFile: string;
  /** The keychain service the client would read (KEYROT_KEYCHAIN_SERVICE): a server of another one refuses. */
  service: string;
}

/** What the server answers: the key, or a refusal after which the client reads the keychain itself. */
export type AgentReply =
  | { v: 1; ok: true; accessKeyId: string; secretAccessKey: string }
  | { v: 1; ok: false };

/** A refusal, the answer to anything the server cannot serve. */
export const REFUSAL: AgentReply = { v: AGENT_PROTOCOL_VERSION, ok: false };

/** One line of `message` (JSON, then a newline). */
export function agentLine(message: AgentRequest | AgentReply): string {
  return `${JSON.stringify(message)}\n`;
}

/** The request in `line`, or undefined when it is not a well-formed request of this version. */
export function parseAgentRequest(line: string): AgentRequest | undefined {
  const value = parseObject(line);
  if (
    value?.v !== AGENT_PROTOCOL_VERSION ||
    !nonEmptyString(value.profile) ||
    !nonEmptyString(value.configFile) ||
    !nonEmptyString(value.service)
  )
    return undefined;
  return { v: 1, profile: value.profile, configFile: value.configFile, service: value.service };
}

/** The key in a reply `line`, or undefined for a refusal or anything that is not a well-formed reply. */
export function keyInAgentReply(line: string): { accessKeyId: string; secretAccessKey: string } | undefined {
  const value = parseObject(line);
  if (value?.v !== AGENT_PROTOCOL_VERSION || value.ok !== true) return undefined;
  if (!nonEmptyString(value.accessKeyId) || !nonEmptyString(value.secretAccessKey)) return undefined;
  return { accessKeyId: value.accessKeyId, secretAccessKey: value.secretAccessKey };
}

/**
 * Whether a Unix socket can be bound at `socketPath` on `platform`: the path must fit sun_path (104
 * bytes on macOS and the BSDs, 108 on Linux, the terminating NUL included).
 */
export function socketPathFits(socketPath: string, platform: NodeJS.Platform): boolean {
  const limit = platform === 'linux' ? 108 : 104;
  return Buffer.byteLength(socketPath) < limit;
}

function parseObject(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}
