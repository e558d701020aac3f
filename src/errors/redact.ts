// Access key ids: AKIA (long-term) or ASIA (temporary) followed by 16 upper-case alphanumerics.
const KEY_ID = /\b((?:AKIA|ASIA|AIDA|AROA)[A-Z0-9]{12})([A-Z0-9]{4})\b/g;
// Secret access keys are 40 base64-ish characters; session tokens are much longer base64.
const SECRET = /(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g;
const SESSION_TOKEN = /(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{100,}={0,2}(?![A-Za-z0-9/+=])/g;
// The userinfo of a URL (`http://user:password@proxy:3128`): up to the last `@` of the authority.
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#"'<>]*)@/gi;

/**
 * Masks the userinfo of every URL in `text`: `http://user:password@host` → `http://user:***@host`, and a
 * userinfo without a colon (often a token: `https://TOKEN@host`) → `***`.
 */
export function maskUrlUserinfo(text: string): string {
  return text.replace(URL_USERINFO, (_m, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    return `${scheme}${colon > 0 ? `${userinfo.slice(0, colon)}:***` : '***'}@`;
  });
}

/** Masks an access key id to `AKIA…WXYZ`; anything not shaped like one becomes `…`. */
export function maskKeyId(keyId: string): string {
  if (/^[A-Z0-9]{16,128}$/.test(keyId)) return `${keyId.slice(0, 4)}…${keyId.slice(-4)}`;
  return '…';
}

/** Removes anything shaped like a secret key or session token, masks URL passwords and key ids in free text. */
export function redactText(text: string): string {
  return maskUrlUserinfo(text)
    .replace(SESSION_TOKEN, '[redacted-token]')
    .replace(SECRET, (match) =>
      /[a-z]/.test(match) && /[A-Z0-9/+]/.test(match) ? '[redacted-secret]' : match,
    )
    .replace(KEY_ID, (_m, head: string, tail: string) => `${head.slice(0, 4)}…${tail}`);
}
