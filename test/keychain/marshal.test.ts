// keyrot's D-Bus method-call marshaller against @homebridge/dbus-native's, which it replaces for
// outgoing calls only: the same bytes for every call keyrot makes, and for random values of each
// signature it sends (byte arrays of any length, Unicode strings, booleans, variants).
import wire from '@homebridge/dbus-native/lib/message.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { marshalCall, type OutgoingCall } from '../../src/keychain/secret-service/marshal.js';

/** The bytes dbus-native writes for the same call. */
const theirs = (call: OutgoingCall) => wire.marshall({ ...call, type: 1 });

const SECRETS = 'org.freedesktop.secrets';
const call = (member: string, signature?: string, body?: unknown[]): OutgoingCall => ({
  serial: 7,
  destination: SECRETS,
  path: '/org/freedesktop/secrets/collection/login',
  interface: 'org.freedesktop.Secret.Collection',
  member,
  ...(signature ? { signature, body } : {}),
});

const secretItem = (session: string, parameters: Buffer, value: Buffer, label: string, account: string) =>
  call('CreateItem', 'a{sv}(oayays)b', [
    [
      ['org.freedesktop.Secret.Item.Label', ['s', label]],
      [
        'org.freedesktop.Secret.Item.Attributes',
        [
          'a{ss}',
          [
            ['service', 'keyrot'],
            ['username', account],
          ],
        ],
      ],
    ],
    [session, parameters, value, 'text/plain; charset=utf8'],
    true,
  ]);

describe('marshalCall', () => {
  it('writes the bytes dbus-native writes for each call keyrot makes', () => {
    const calls: OutgoingCall[] = [
      {
        serial: 1,
        destination: 'org.freedesktop.DBus',
        path: '/org/freedesktop/DBus',
        interface: 'org.freedesktop.DBus',
        member: 'Hello',
      },
      call('OpenSession', 'sv', ['dh-ietf1024-sha256-aes128-cbc-pkcs7', ['ay', Buffer.alloc(128, 0xa5)]]),
      call('OpenSession', 'sv', ['plain', ['s', '']]),
      call('ReadAlias', 's', ['default']),
      call('Get', 'ss', ['org.freedesktop.Secret.Collection', 'Locked']),
      call('SearchItems', 'a{ss}', [
        [
          ['service', 'keyrot'],
          ['username', 'h/~index'],
        ],
      ]),
      call('GetSecret', 'o', ['/org/freedesktop/secrets/session/s3']),
      secretItem('/s/1', Buffer.alloc(16, 1), Buffer.alloc(3000, 7), 'keyring:h/backups@keyrot', 'h/backups'),
      secretItem('/s/1', Buffer.alloc(0), Buffer.alloc(0), 'é ☕ 🔑', 'c/v/00ff/1'),
      call('Delete'),
    ];
    for (const one of calls) expect(marshalCall(one), one.member).toEqual(theirs(one));
  });

  it('writes the bytes dbus-native writes for random values of every signature keyrot sends', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 40 }).filter((s) => !s.includes('\0'));
    const bytes = fc.uint8Array({ maxLength: 5000 }).map((a) => Buffer.from(a));
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 0xffffffff }),
        text,
        text,
        bytes,
        bytes,
        fc.boolean(),
        fc.array(fc.tuple(text, text), { maxLength: 5 }),
        (serial, label, account, parameters, value, replace, attributes) => {
          const created = secretItem(
            '/org/freedesktop/secrets/session/s9',
            parameters,
            value,
            label,
            account,
          );
          const body = created.body as unknown[];
          body[2] = replace;
          (body[0] as unknown[]).push(['extra', ['a{ss}', attributes]]);
          for (const one of [
            { ...created, serial },
            { ...call('SearchItems', 'a{ss}', [attributes]), serial },
            { ...call('OpenSession', 'sv', [label, ['ay', value]]), serial },
            { ...call('Get', 'ss', [label, account]), serial },
          ]) {
            expect(marshalCall(one)).toEqual(theirs(one));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses a body that does not fit its signature, without quoting it', () => {
    const secret = 'not-a-real-secret';
    const wrong: OutgoingCall[] = [
      call('ReadAlias', 's', [secret, secret]),
      call('ReadAlias', 's', [`${secret}\0`]),
      call('GetSecret', 'o', [7]),
      call('OpenSession', 'sv', ['plain', ['s', secret, secret]]),
      call('OpenSession', 'sv', ['plain', ['ay', secret]]),
      call('CreateItem', 'a{sv}(oayays)b', [[], ['/s', Buffer.alloc(0), Buffer.alloc(0), 'x'], secret]),
      call('Get', 'x', [1]),
    ];
    for (const one of wrong) {
      expect(() => marshalCall(one), one.member).toThrow();
      try {
        marshalCall(one);
      } catch (error) {
        expect(String(error)).not.toContain(secret);
      }
    }
  });
});
