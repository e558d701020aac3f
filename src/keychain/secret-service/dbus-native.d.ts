// Types of the wire-protocol module of @homebridge/dbus-native that keyrot uses (the package ships
// types only for its high-level API, whose introspection pulls in an XML parser keyrot does not need).

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

declare module '@homebridge/dbus-native/lib/signature.js' {
  /** One complete type of a signature: its type code and, for containers, its element or field types. */
  export interface SignatureNode {
    type: string;
    child: SignatureNode[];
  }
  /** The complete types of a D-Bus signature; throws on a malformed one. */
  export default function parseSignature(signature: string): SignatureNode[];
}
