// Types of the wire-protocol module of @homebridge/dbus-native, which the tests check keyrot's own D-Bus
// reader and writer against (the package ships types only for its high-level API).

declare module '@homebridge/dbus-native/lib/message.js' {
  /** A D-Bus message as the library marshals and unmarshals it (header fields by name, body by signature). */
  export interface WireMessage {
    type?: number;
    flags?: number;
    serial?: number;
    replySerial?: number;
    destination?: string;
    path?: string;
    interface?: string;
    member?: string;
    errorName?: string;
    sender?: string;
    signature?: string;
    body?: unknown[];
  }
  const message: {
    /** The bytes of one message (little-endian). */
    marshall(message: WireMessage): Buffer;
    /** Calls onMessage for every message read from the stream (the bytes after the auth handshake). */
    unmarshalMessages(
      stream: NodeJS.ReadableStream,
      onMessage: (message: WireMessage) => void,
      options: object,
    ): void;
  };
  export default message;
}
