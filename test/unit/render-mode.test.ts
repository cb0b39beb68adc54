import { describe, expect, it } from 'vitest';
import { certificateExpiryCheck } from '../../src/checks/certificate-expiry.js';
import { wrapToWidth } from '../../src/render/human.js';
import { detectOutputMode } from '../../src/render/mode.js';

const tty = { isTTY: true, columns: 60 };
const pipe = { isTTY: false };

describe('colour, per no-color.org and FORCE_COLOR', () => {
  it.each([
    ['a terminal', {}, {}, tty, true],
    ['a pipe', {}, {}, pipe, false],
    ['NO_COLOR=1 on a terminal', {}, { NO_COLOR: '1' }, tty, false],
    ['an empty NO_COLOR counts as unset', {}, { NO_COLOR: '' }, tty, true],
    ['FORCE_COLOR=1 through a pipe', {}, { FORCE_COLOR: '1' }, pipe, true],
    ['an empty FORCE_COLOR forces it too (as in Node)', {}, { FORCE_COLOR: '' }, pipe, true],
    ['FORCE_COLOR outranks NO_COLOR (as in Node)', {}, { FORCE_COLOR: '1', NO_COLOR: '1' }, pipe, true],
    ['FORCE_COLOR=0 on a terminal', {}, { FORCE_COLOR: '0' }, tty, false],
    ['FORCE_COLOR in CI', {}, { FORCE_COLOR: '1', CI: 'true' }, pipe, true],
    ['CI on a terminal', {}, { CI: 'true' }, tty, false],
    ['TERM=dumb', {}, { TERM: 'dumb' }, tty, false],
    ['--no-color outranks FORCE_COLOR', { color: false }, { FORCE_COLOR: '1' }, tty, false],
    ['--json is never coloured', { json: true }, { FORCE_COLOR: '1' }, tty, false],
  ])('%s', (_name, flags, env, stdout, colour) => {
    expect(detectOutputMode(flags, env, tty, stdout).color).toBe(colour);
  });

  it('wraps to the terminal width, and not at all through a pipe', () => {
    expect(detectOutputMode({}, {}, tty, tty).width).toBe(60);
    expect(detectOutputMode({}, {}, tty, { isTTY: false, columns: 60 }).width).toBeUndefined();
  });

  it('--quiet and --verbose together are a usage error', () => {
    expect(() => detectOutputMode({ quiet: true, verbose: true }, {}, tty, tty)).toThrow(/--quiet and --verbose/);
  });
});

describe('wrapToWidth', () => {
  it('breaks at spaces, continuing under the text after the indent and the mark', () => {
    expect(wrapToWidth('    > set SMTP_SECURE=1, or use port 587 with STARTTLS instead', 30)).toBe(
      ['    > set SMTP_SECURE=1, or', '      use port 587 with', '      STARTTLS instead'].join('\n'),
    );
    expect(wrapToWidth('    fix: publish the record at the apex', 24)).toBe(['    fix: publish the', '         record at the', '         apex'].join('\n'));
  });

  it('leaves short lines, and words longer than the line, whole', () => {
    expect(wrapToWidth('short\n  also short', 20)).toBe('short\n  also short');
    const url = 'https://example.com/a/very/long/path/that/does/not/fit';
    expect(wrapToWidth(`see ${url} now`, 20)).toBe(`see\n${url}\nnow`);
  });

  it('does not count colour codes as width', () => {
    const red = (t: string) => `\x1b[31m${t}\x1b[39m`;
    expect(wrapToWidth(`${red('aaaa')} ${red('bbbb')}`, 9)).toBe(`${red('aaaa')} ${red('bbbb')}`);
    expect(wrapToWidth(`${red('aaaa')} ${red('bbbb')} cc`, 9)).toBe(`${red('aaaa')} ${red('bbbb')}\ncc`);
  });
});

describe('certificate expiry', () => {
  const now = new Date('2026-06-01T00:00:00Z');
  const tls = (validTo: string, authorized = true) => ({ protocol: 'TLSv1.3', cipher: 'x', authorized, validTo });

  it('warns within 14 days of the end, with the date and a fix', () => {
    const check = certificateExpiryCheck(tls('2026-06-10T12:00:00.000Z'), now)!;
    expect(check).toMatchObject({ id: 'smtp.tls.expiry', status: 'warn' });
    expect(check.detail).toBe("the server's certificate expires in 9 days (2026-06-10T12:00:00.000Z)");
    expect(check.fix).toMatch(/renew/);
    expect(certificateExpiryCheck(tls('2026-06-01T05:00:00.000Z'), now)!.detail).toMatch(/expires today/);
    expect(certificateExpiryCheck(tls('2026-06-14T23:00:00.000Z'), now)!.detail).toMatch(/in 13 days/);
  });

  it('says nothing for 14 days or more, an expired or unverified certificate (TLS fails those), or no date', () => {
    expect(certificateExpiryCheck(tls('2026-06-15T00:00:00.000Z'), now)).toBeUndefined();
    expect(certificateExpiryCheck(tls('2026-05-31T00:00:00.000Z'), now)).toBeUndefined();
    expect(certificateExpiryCheck(tls('2026-06-05T00:00:00.000Z', false), now)).toBeUndefined();
    expect(certificateExpiryCheck({ protocol: 'TLSv1.3', cipher: 'x', authorized: true }, now)).toBeUndefined();
    expect(certificateExpiryCheck(undefined, now)).toBeUndefined();
  });
});
