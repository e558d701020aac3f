// after_rotate is a shell command, but config.ini is INI: the `ini` package ends an unquoted value at
// `;` or `#` and strips a pair of single quotes. keyrot refuses a command that would not reach the
// shell exactly as written, and says how to quote it, rather than silently run part of it.
import { describe, expect, it } from 'vitest';
import { parseSettings } from '../../src/config/load-settings.js';
import { isKeyrotError, type KeyrotError } from '../../src/errors/keyrot-error.js';

const FILE = '/cfg/config.ini';

async function refusal(text: string): Promise<KeyrotError> {
  const error = await parseSettings(FILE, text, {}).catch((e: unknown) => e);
  if (!isKeyrotError(error, 'CONFIG_INVALID'))
    throw new Error(`expected CONFIG_INVALID, got ${String(error)}`);
  return error;
}

async function command(text: string): Promise<string | undefined> {
  return (await parseSettings(FILE, text, {})).profile('dev').afterRotate;
}

describe('after_rotate', () => {
  it('refuses an unquoted ; naming the line, what would run, and the quoted line to write instead', async () => {
    const error = await refusal(
      'notify = false\n\n[profile dev]\nafter_rotate = systemctl --user restart app; echo done\n',
    );
    expect(error.line).toBe(4);
    expect(error.file).toBe(FILE);
    expect(error.message).toBe(
      'after_rotate in [profile dev] at line 4 has an unquoted ";", where the INI format starts a comment: ' +
        'keyrot would run `systemctl --user restart app`, not `systemctl --user restart app; echo done`',
    );
    expect(error.hint).toContain('after_rotate = "systemctl --user restart app; echo done"');
    expect(error.hint).toContain('on a line of its own');
  });

  it('refuses an unquoted # (even without a space before it) and a trailing comment', async () => {
    const url = await refusal('[profile dev]\nafter_rotate = curl -fsS http://127.0.0.1:8080/#rotated\n');
    expect(url.message).toContain('unquoted "#"');
    expect(url.hint).toContain('after_rotate = "curl -fsS http://127.0.0.1:8080/#rotated"');
    expect((await refusal('[profile dev]\nafter_rotate = ./hook.sh ; reload the app\n')).line).toBe(2);
    // At the top of the file (the default for every profile) too.
    expect((await refusal('after_rotate = a; b\n[profile dev]\n')).message).toContain(
      'at the top of the file at line 1',
    );
  });

  it('refuses a single-quoted command with quotes inside, which the INI format would unbalance', async () => {
    const error = await refusal("[profile dev]\nafter_rotate = 'my hook.sh' --profile 'dev'\n");
    expect(error.message).toContain("keyrot would run `my hook.sh' --profile 'dev`");
    expect(error.hint).toContain(`after_rotate = "'my hook.sh' --profile 'dev'"`);
  });

  it('keeps what reaches the shell as written: quoted commands, escaped ; and plain ones', async () => {
    expect(await command('[profile dev]\nafter_rotate = "a; b # c"\n')).toBe('a; b # c');
    // The suggested quoting round-trips, double quotes inside included.
    const hinted = (await refusal(`[profile dev]\nafter_rotate = printf '%s' "$AWS_PROFILE"; echo ok\n`))
      .hint!;
    const line = /`(after_rotate = .*)`/.exec(hinted)![1]!;
    expect(await command(`[profile dev]\n${line}\n`)).toBe(`printf '%s' "$AWS_PROFILE"; echo ok`);
    expect(await command("[profile dev]\nafter_rotate = 'a; b'\n")).toBe('a; b');
    expect(await command('[profile dev]\nafter_rotate = a \\; b\n')).toBe('a ; b');
    expect(await command(`[profile dev]\nafter_rotate = printf '%s' "$AWS_PROFILE" > out && exit 7\n`)).toBe(
      `printf '%s' "$AWS_PROFILE" > out && exit 7`,
    );
    // A quoted command followed by a comment (README's example): the shell removes the quotes ini keeps.
    expect(await command('[profile dev]\nafter_rotate = "./update-ci-secret.sh"   ; gets the key\n')).toBe(
      '"./update-ci-secret.sh"',
    );
    // A ; inside quotes that do not span the whole value is still cut there.
    expect((await refusal('[profile dev]\nafter_rotate = "a; b" ; note\n')).hint).toContain(
      'after_rotate = "\\"a; b\\" ; note"',
    );
    // A comment on a line of its own is fine.
    expect(
      await command('[profile dev]\n; restart the app\nafter_rotate = systemctl --user restart app\n'),
    ).toBe('systemctl --user restart app');
  });
});
