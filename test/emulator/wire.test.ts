// The bytes on the wire: the XML documents, namespaces, headers and status codes of the AWS Query
// protocol, checked on raw HTTP exchanges signed with the SDK's own SigV4 signer.
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, type SeededUser, seedUser, startEmulator } from '../../src/emulator/index.js';
import { adminRequest } from '../../src/emulator/seed.js';

let emulator: RunningEmulator;
let user: SeededUser;
beforeAll(async () => {
  emulator = await startEmulator();
  user = await seedUser(emulator, { user: 'wire' });
});
afterAll(async () => emulator.close());

async function post(
  service: string,
  body: string,
  options: {
    sign?: boolean;
    headers?: Record<string, string>;
    region?: string;
    unsignableHeaders?: Set<string>;
  } = {},
): Promise<{ status: number; headers: Headers; text: string }> {
  const url = new URL(emulator.url);
  let request = new HttpRequest({
    method: 'POST',
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path: '/',
    headers: {
      host: url.host,
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      ...options.headers,
    },
    body,
  });
  if (options.sign !== false) {
    const signer = new SignatureV4({
      credentials: user.keys[0]!,
      region: options.region ?? 'us-east-1',
      service,
      sha256: Hash.bind(null, 'sha256'),
    });
    request = (await signer.sign(request, { unsignableHeaders: options.unsignableHeaders })) as HttpRequest;
  }
  const { host: _host, ...headers } = request.headers;
  const response = await fetch(`${emulator.url}/`, { method: 'POST', headers, body });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

describe('the AWS Query protocol on the wire', () => {
  it('answers GetCallerIdentity with the STS document, namespace and RequestId', async () => {
    const reply = await post('sts', 'Action=GetCallerIdentity&Version=2011-06-15');
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toBe('text/xml');
    const requestId = reply.headers.get('x-amzn-requestid');
    expect(requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(new Date(reply.headers.get('date')!).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(reply.text).toBe(
      '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">' +
        '<GetCallerIdentityResult>' +
        `<UserId>${user.userId}</UserId><Account>${user.accountId}</Account><Arn>${user.arn}</Arn>` +
        '</GetCallerIdentityResult>' +
        `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata>` +
        '</GetCallerIdentityResponse>\n',
    );
  });

  it('answers an IAM action with metadata only when it has no result (UpdateAccessKey)', async () => {
    const keyId = user.keys[0]!.accessKeyId;
    const reply = await post(
      'iam',
      `Action=UpdateAccessKey&Version=2010-05-08&AccessKeyId=${keyId}&Status=Active`,
    );
    expect(reply.status).toBe(200);
    expect(reply.text).toMatch(
      /^<UpdateAccessKeyResponse xmlns="https:\/\/iam\.amazonaws\.com\/doc\/2010-05-08\/"><ResponseMetadata><RequestId>[0-9a-f-]{36}<\/RequestId><\/ResponseMetadata><\/UpdateAccessKeyResponse>\n$/,
    );
  });

  it('renders errors as ErrorResponse/Error/Type,Code,Message with a RequestId, in the service namespace', async () => {
    const reply = await post(
      'iam',
      'Action=DeleteAccessKey&Version=2010-05-08&AccessKeyId=AKIAZZZZZZZZZZZZZZZZ',
    );
    expect(reply.status).toBe(404);
    expect(reply.text).toBe(
      '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type>' +
        '<Code>NoSuchEntity</Code><Message>The Access Key with id AKIAZZZZZZZZZZZZZZZZ cannot be found.</Message>' +
        `</Error><RequestId>${reply.headers.get('x-amzn-requestid')}</RequestId></ErrorResponse>\n`,
    );
  });

  it('routes by the credential scope, not by the Action name', async () => {
    const reply = await post('iam', 'Action=GetCallerIdentity&Version=2011-06-15');
    expect(reply.status).toBe(400);
    expect(reply.text).toContain('xmlns="https://iam.amazonaws.com/doc/2010-05-08/"');
    expect(reply.text).toContain('<Code>InvalidAction</Code>');
    expect(reply.text).toContain('Could not find operation GetCallerIdentity for version 2010-05-08');
  });

  it('refuses unsigned, malformed and tampered requests', async () => {
    const unsigned = await post('sts', 'Action=GetCallerIdentity&Version=2011-06-15', { sign: false });
    expect(unsigned.status).toBe(403);
    expect(unsigned.text).toContain('<Code>MissingAuthenticationToken</Code>');
    expect(unsigned.text).toContain('xmlns="https://sts.amazonaws.com/doc/2011-06-15/"');

    const malformed = await post('sts', 'Action=GetCallerIdentity&Version=2011-06-15', {
      sign: false,
      headers: { authorization: 'AWS4-HMAC-SHA256 Credential=nonsense' },
    });
    expect(malformed.status).toBe(400);
    expect(malformed.text).toContain('<Code>IncompleteSignature</Code>');

    // The body changed after signing: caught by the payload hash header when signed, else by the signature.
    const url = new URL(emulator.url);
    const body = 'Action=GetCallerIdentity&Version=2011-06-15';
    for (const [applyChecksum, status, code] of [
      [true, 400, 'XAmzContentSHA256Mismatch'],
      [false, 403, 'SignatureDoesNotMatch'],
    ] as const) {
      const signer = new SignatureV4({
        credentials: user.keys[0]!,
        region: 'us-east-1',
        service: 'sts',
        sha256: Hash.bind(null, 'sha256'),
        applyChecksum,
      });
      const signed = await signer.sign(
        new HttpRequest({
          method: 'POST',
          hostname: url.hostname,
          path: '/',
          headers: { host: url.host, 'content-type': 'application/x-www-form-urlencoded' },
          body,
        }),
      );
      const { host: _host, ...headers } = signed.headers;
      const tampered = await fetch(`${emulator.url}/`, {
        method: 'POST',
        headers,
        body: body.replace('2011-06-15', '2011-06-16'),
      });
      expect(tampered.status).toBe(status);
      expect(await tampered.text()).toContain(`<Code>${code}</Code>`);
    }
  });

  it('refuses, with the documents AWS sends, a scope naming an unknown region and a signature without host', async () => {
    const body = 'Action=GetCallerIdentity&Version=2011-06-15';
    expect((await post('sts', body, { region: 'eu-west-1' })).status).toBe(200);
    const mars = await post('sts', body, { region: 'mars-1' });
    expect(mars.status).toBe(403);
    expect(mars.text).toContain('<Type>Sender</Type>');
    expect(mars.text).toContain('<Code>SignatureDoesNotMatch</Code>');
    expect(mars.text).toContain('<Message>Credential should be scoped to a valid region. </Message>');
    const iamMars = await post('iam', 'Action=ListAccessKeys&Version=2010-05-08', { region: 'mars-1' });
    expect(iamMars.status).toBe(403);
    expect(iamMars.text).toContain('xmlns="https://iam.amazonaws.com/doc/2010-05-08/"');
    expect(iamMars.text).toContain('Credential should be scoped to a valid region.');

    const hostless = await post('sts', body, { unsignableHeaders: new Set(['host']) });
    expect(hostless.status).toBe(403);
    expect(hostless.text).toContain('<Code>SignatureDoesNotMatch</Code>');
    expect(hostless.text).toContain(
      "<Message>'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.</Message>",
    );
  });

  it('escapes XML special characters in messages', async () => {
    const reply = await post('iam', 'Action=ListAccessKeys&Version=2010-05-08&MaxItems=<1>');
    expect(reply.status).toBe(400);
    expect(reply.text).toContain("Value '&lt;1&gt;' at 'maxItems'");
  });

  it('answers the admin route with JSON, and 404 for unknown admin paths', async () => {
    const admin = (path: string) => new URL(`/__keyrot/admin/${path}`, emulator.url);
    const keys = await adminRequest(admin('keys?user=wire'), 'GET');
    expect(keys.status).toBe(200);
    const json = JSON.parse(keys.text) as { keys: { accessKeyId: string; secretAccessKey?: string }[] };
    expect(json.keys.map((key) => key.accessKeyId)).toEqual([user.keys[0]!.accessKeyId]);
    expect(json.keys[0]!.secretAccessKey).toBeUndefined();
    expect((await adminRequest(admin('nothing'), 'GET')).status).toBe(404);
    const bad = await adminRequest(admin('seed'), 'POST', '{"user":"bad name"}');
    expect(bad.status).toBe(400);
    expect((JSON.parse(bad.text) as { error: { code: string } }).error.code).toBe('USAGE');
  });
});
