import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { lintIds, type LintFinding } from '../../src/config/lint.js';

/**
 * Every configuration rule, one row each: a .env file goes in (read by the real loader, so
 * provenance is real), and the rule's id, status, variable and source line come out.
 */

const dir = mkdtempSync(join(tmpdir(), 'mailcheck-lint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const password = 'pw-Zq8!kV3#mL';
/** A valid SMTP block at fixed lines 1-6, so each row names the line it expects. */
const base = {
  SMTP_HOST: 'smtp.example.com',
  SMTP_PORT: '587',
  SMTP_USER: 'mailer',
  SMTP_PASSWORD: password,
  SMTP_SENDER: 'Example <noreply@example.com>',
  SMTP_SECURE: '0',
};
type Vars = Record<string, string | undefined>;

let fileCount = 0;
/** Writes the variables one per line (an unset one keeps its line as a comment) and lints them. */
function lint(vars: Vars): { findings: LintFinding[]; file: string } {
  const file = join(dir, `case-${++fileCount}.env`);
  const lines = Object.entries(vars).map(([name, value]) => (value === undefined ? `# ${name} unset` : `${name}=${JSON.stringify(value)}`));
  writeFileSync(file, `${lines.join('\n')}\n`);
  return { findings: loadConfig({ env: {}, envFiles: [file] }).lint, file };
}

const smtp = (over: Vars): Vars => ({ ...base, ...over });
const resendBlock = { RESEND_API_KEY: 're_abcdefgh12345678', RESEND_SENDER_EMAIL: 'noreply@example.com' };

interface Row {
  rule: string;
  vars: Vars;
  id: string;
  status: 'warn' | 'fail';
  variable?: string;
  /** The .env line the finding must point at; undefined when there is no value to point at. */
  line?: number;
  /** Words the message or the fix must contain. */
  says?: RegExp;
}

const rows: Row[] = [
  // rules that only the reachability check below used to miss
  {
    rule: 'SMTP_PASSWORD and its alias SMTP_PASS set to different values',
    vars: smtp({ SMTP_PASS: 'another-value' }),
    id: 'config.note',
    status: 'warn',
    says: /SMTP_PASSWORD and SMTP_PASS are both set/,
  },
  {
    rule: "the documentation's placeholder key",
    vars: { ...resendBlock, RESEND_API_KEY: 're_123456789' },
    id: 'resend.key.placeholder',
    status: 'fail',
    variable: 'RESEND_API_KEY',
    line: 1,
  },
  {
    rule: 'a key with a trailing space',
    vars: { ...resendBlock, RESEND_API_KEY: 're_abcdefgh12345678 ' },
    id: 'resend.key.whitespace',
    status: 'warn',
    variable: 'RESEND_API_KEY',
    line: 1,
  },
  {
    rule: 'a Resend sender that is not a valid address',
    vars: { ...resendBlock, RESEND_SENDER_EMAIL: 'noreply@' },
    id: 'resend.sender.syntax',
    status: 'fail',
    variable: 'RESEND_SENDER_EMAIL',
    line: 2,
  },
  {
    rule: "a sender on Resend's shared testing domain",
    vars: { ...resendBlock, RESEND_SENDER_EMAIL: 'onboarding@resend.dev' },
    id: 'resend.sender.testing-domain',
    status: 'warn',
    variable: 'RESEND_SENDER_EMAIL',
    line: 2,
  },
  {
    rule: "a sender on a mailbox provider's domain",
    vars: { ...resendBlock, RESEND_SENDER_EMAIL: 'me@gmail.com' },
    id: 'resend.sender.mailbox-provider',
    status: 'fail',
    variable: 'RESEND_SENDER_EMAIL',
    line: 2,
  },
  // port and SMTP_SECURE
  {
    rule: 'implicit TLS asked on a STARTTLS port (587)',
    vars: smtp({ SMTP_SECURE: '1' }),
    id: 'smtp.port-secure.mismatch',
    status: 'fail',
    variable: 'SMTP_SECURE',
    line: 6,
    says: /wrong version number/,
  },
  {
    rule: 'implicit TLS asked on port 25',
    vars: smtp({ SMTP_PORT: '25', SMTP_SECURE: '1' }),
    id: 'smtp.port-secure.mismatch',
    status: 'fail',
    variable: 'SMTP_SECURE',
    line: 6,
  },
  {
    rule: 'implicit TLS asked on port 2587',
    vars: smtp({ SMTP_PORT: '2587', SMTP_SECURE: '1' }),
    id: 'smtp.port-secure.mismatch',
    status: 'fail',
    variable: 'SMTP_SECURE',
    line: 6,
  },
  {
    rule: 'STARTTLS asked on port 465',
    vars: smtp({ SMTP_PORT: '465', SMTP_SECURE: '0' }),
    id: 'smtp.port-secure.mismatch',
    status: 'fail',
    variable: 'SMTP_SECURE',
    line: 6,
    says: /Greeting never received/,
  },
  {
    rule: 'STARTTLS asked on port 2465',
    vars: smtp({ SMTP_PORT: '2465', SMTP_SECURE: '0' }),
    id: 'smtp.port-secure.mismatch',
    status: 'fail',
    variable: 'SMTP_SECURE',
    line: 6,
  },
  {
    rule: 'port 465 with SMTP_SECURE unset (read as 0)',
    vars: smtp({ SMTP_PORT: '465', SMTP_SECURE: undefined }),
    id: 'smtp.port-secure.mismatch',
    status: 'fail',
    variable: 'SMTP_PORT',
    line: 2,
    says: /set SMTP_SECURE=1/,
  },
  {
    rule: 'SMTP_SECURE unset on a STARTTLS port',
    vars: smtp({ SMTP_SECURE: undefined }),
    id: 'smtp.secure.missing',
    status: 'warn',
    variable: 'SMTP_SECURE',
    says: /read that as 0/,
  },
  {
    rule: 'SMTP_SECURE=true (read as off by some apps)',
    vars: smtp({ SMTP_SECURE: 'true' }),
    id: 'smtp.secure.invalid',
    status: 'fail',
    variable: 'SMTP_SECURE',
    line: 6,
    says: /`true` means OFF/,
  },
  {
    rule: 'SMTP_SECURE=yes',
    vars: smtp({ SMTP_SECURE: 'yes' }),
    id: 'smtp.secure.invalid',
    status: 'fail',
    variable: 'SMTP_SECURE',
    line: 6,
    says: /must be 0 or 1/,
  },
  // port
  { rule: 'port not a number', vars: smtp({ SMTP_PORT: 'abc' }), id: 'smtp.port.not-number', status: 'fail', variable: 'SMTP_PORT', line: 2, says: /587/ },
  { rule: 'port with trailing junk', vars: smtp({ SMTP_PORT: '587abc' }), id: 'smtp.port.not-number', status: 'fail', variable: 'SMTP_PORT', line: 2 },
  { rule: 'port out of range', vars: smtp({ SMTP_PORT: '70000' }), id: 'smtp.port.range', status: 'fail', variable: 'SMTP_PORT', line: 2, says: /1 to 65535/ },
  { rule: 'port 0', vars: smtp({ SMTP_PORT: '0' }), id: 'smtp.port.range', status: 'fail', variable: 'SMTP_PORT', line: 2 },
  // host
  {
    rule: 'host with a scheme',
    vars: smtp({ SMTP_HOST: 'smtp://smtp.example.com' }),
    id: 'smtp.host.scheme',
    status: 'fail',
    variable: 'SMTP_HOST',
    line: 1,
    says: /set SMTP_HOST=smtp\.example\.com/,
  },
  {
    rule: 'host with a port',
    vars: smtp({ SMTP_HOST: 'smtp.example.com:587' }),
    id: 'smtp.host.port',
    status: 'fail',
    variable: 'SMTP_HOST',
    line: 1,
    says: /SMTP_PORT=587/,
  },
  { rule: 'host with spaces', vars: smtp({ SMTP_HOST: 'smtp example.com' }), id: 'smtp.host.spaces', status: 'fail', variable: 'SMTP_HOST', line: 1 },
  { rule: 'host with a path', vars: smtp({ SMTP_HOST: 'smtp.example.com/' }), id: 'smtp.host.invalid', status: 'fail', variable: 'SMTP_HOST', line: 1 },
  {
    rule: 'host with a trailing dot',
    vars: smtp({ SMTP_HOST: 'smtp.example.com.' }),
    id: 'smtp.host.trailing-dot',
    status: 'warn',
    variable: 'SMTP_HOST',
    line: 1,
    says: /set SMTP_HOST=smtp\.example\.com$/,
  },
  {
    rule: 'host with surrounding spaces',
    vars: smtp({ SMTP_HOST: ' smtp.example.com' }),
    id: 'smtp.host.whitespace',
    status: 'warn',
    variable: 'SMTP_HOST',
    line: 1,
  },
  {
    rule: 'host with a look-alike letter',
    vars: smtp({ SMTP_HOST: 'smtр.example.com' }),
    id: 'smtp.host.unicode',
    status: 'warn',
    variable: 'SMTP_HOST',
    line: 1,
    says: /xn--/,
  },
  // Resend's relay, SendGrid, Gmail
  {
    rule: 'Resend relay: username is an email address',
    vars: smtp({ SMTP_HOST: 'smtp.resend.com', SMTP_USER: 'me@example.com', SMTP_PASSWORD: 're_abcdefgh12345678' }),
    id: 'resend.user',
    status: 'fail',
    variable: 'SMTP_USER',
    line: 3,
    says: /literal `resend`, not an email address/,
  },
  {
    rule: 'Resend relay: password is not an re_ key',
    vars: smtp({ SMTP_HOST: 'smtp.resend.com', SMTP_USER: 'resend' }),
    id: 'resend.password',
    status: 'fail',
    variable: 'SMTP_PASSWORD',
    line: 4,
    says: /re_/,
  },
  {
    rule: 'Resend relay: port 25',
    vars: smtp({ SMTP_HOST: 'smtp.resend.com', SMTP_USER: 'resend', SMTP_PASSWORD: 're_abcdefgh12345678', SMTP_PORT: '25' }),
    id: 'resend.port',
    status: 'fail',
    variable: 'SMTP_PORT',
    line: 2,
    says: /465/,
  },
  {
    rule: 'Resend relay: port 2525, which it does not listen on',
    vars: smtp({ SMTP_HOST: 'smtp.resend.com', SMTP_USER: 'resend', SMTP_PASSWORD: 're_abcdefgh12345678', SMTP_PORT: '2525' }),
    id: 'resend.port',
    status: 'fail',
    variable: 'SMTP_PORT',
    line: 2,
    says: /does not support port 2525/,
  },
  {
    rule: 'SendGrid: username is not apikey',
    vars: smtp({ SMTP_HOST: 'smtp.sendgrid.net', SMTP_USER: 'me@example.com' }),
    id: 'sendgrid.user',
    status: 'fail',
    variable: 'SMTP_USER',
    line: 3,
    says: /SMTP_USER=apikey/,
  },
  {
    rule: 'Gmail: password is not an App Password',
    vars: smtp({ SMTP_HOST: 'smtp.gmail.com' }),
    id: 'gmail.password',
    status: 'warn',
    variable: 'SMTP_PASSWORD',
    line: 4,
    says: /App Password/,
  },
  // sender
  { rule: 'sender without a domain', vars: smtp({ SMTP_SENDER: 'noreply@' }), id: 'smtp.sender.syntax', status: 'fail', variable: 'SMTP_SENDER', line: 5 },
  {
    rule: 'display-name sender with a dotless domain',
    vars: smtp({ SMTP_SENDER: 'App <noreply@example>' }),
    id: 'smtp.sender.syntax',
    status: 'fail',
    variable: 'SMTP_SENDER',
    line: 5,
  },
  {
    rule: 'sender that is a name, not an address',
    vars: smtp({ SMTP_SENDER: 'My App' }),
    id: 'smtp.sender.not-address',
    status: 'fail',
    variable: 'SMTP_SENDER',
    line: 5,
    says: /not an email address at all/,
  },
  // credentials with stray spaces
  {
    rule: 'username with surrounding spaces',
    vars: smtp({ SMTP_USER: 'mailer ' }),
    id: 'smtp.user.whitespace',
    status: 'warn',
    variable: 'SMTP_USER',
    line: 3,
  },
  {
    rule: 'password with a trailing space',
    vars: smtp({ SMTP_PASSWORD: `${password} ` }),
    id: 'smtp.password.whitespace',
    status: 'warn',
    variable: 'SMTP_PASSWORD',
    line: 4,
  },
  // which block is active
  {
    rule: 'half-set SMTP block, nothing to fall through to',
    vars: { SMTP_HOST: 'smtp.example.com', SMTP_PORT: '587' },
    id: 'provider.smtp-half-set',
    status: 'fail',
    variable: 'SMTP_HOST',
    line: 1,
    says: /SMTP_USER, SMTP_PASSWORD, SMTP_SENDER are missing.*falls through to Resend, which is not set either/,
  },
  {
    rule: 'half-set SMTP block falling through to Resend',
    vars: { SMTP_HOST: 'smtp.example.com', SMTP_PASSWORD: password, ...resendBlock },
    id: 'provider.smtp-half-set',
    status: 'warn',
    variable: 'SMTP_HOST',
    line: 1,
    says: /falls through to Resend, and mail goes out through Resend/,
  },
  {
    rule: 'half-set Resend block',
    vars: { RESEND_API_KEY: 're_abcdefgh12345678' },
    id: 'provider.resend-half-set',
    status: 'fail',
    variable: 'RESEND_API_KEY',
    line: 1,
    says: /RESEND_SENDER_EMAIL is missing/,
  },
  {
    rule: 'both blocks set',
    vars: { ...base, ...resendBlock },
    id: 'provider.both-set',
    status: 'warn',
    variable: 'RESEND_API_KEY',
    line: 7,
    says: /SMTP wins/,
  },
  { rule: 'nothing set', vars: {}, id: 'provider.none', status: 'fail', says: /email is disabled/ },
  // Resend REST block
  {
    rule: 'Resend key not shaped like a key',
    vars: { RESEND_API_KEY: 'abc123', RESEND_SENDER_EMAIL: 'noreply@example.com' },
    id: 'resend.key.shape',
    status: 'fail',
    variable: 'RESEND_API_KEY',
    line: 1,
  },
  {
    rule: 'Resend sender not an address',
    vars: { ...resendBlock, RESEND_SENDER_EMAIL: 'Example' },
    id: 'resend.sender.not-address',
    status: 'fail',
    variable: 'RESEND_SENDER_EMAIL',
    line: 2,
  },
];

describe('configuration lint: one row per rule', () => {
  it.each(rows)('$rule -> $id ($status)', (row) => {
    const { findings, file } = lint(row.vars);
    const finding = findings.find((f) => f.id === row.id);
    expect(finding, `ids found: ${findings.map((f) => f.id).join(', ')}`).toBeDefined();
    expect(finding!.status).toBe(row.status);
    expect(finding!.variable).toBe(row.variable);
    if (row.line !== undefined) {
      expect(finding!.source).toEqual({ kind: 'file', path: file, line: row.line });
      expect(finding!.message).toContain(`(from ${file} line ${row.line})`);
    } else {
      expect(finding!.source).toBeUndefined();
    }
    if (row.says) expect(`${finding!.message} ${finding!.fix ?? ''}`).toMatch(row.says);
    if (row.status === 'fail' || row.status === 'warn') expect(finding!.fix, 'every problem comes with its fix').toBeTruthy();
    // No rule quotes a secret, whatever it is about.
    for (const f of findings) expect(`${f.message} ${f.fix ?? ''}`).not.toContain(password);
  });

  it('a correct SMTP block passes every rule', () => {
    const { findings } = lint(base);
    expect(findings.filter((f) => f.status !== 'pass')).toEqual([]);
    expect(findings.map((f) => f.id)).toEqual(['provider.detected', 'smtp.host', 'smtp.port-secure', 'smtp.sender']);
  });

  it('accepts a display-name sender and both implicit-TLS conventions', () => {
    for (const [port, secure] of [
      ['465', '1'],
      ['2465', '1'],
      ['2587', '0'],
      ['25', '0'],
    ]) {
      const { findings } = lint(smtp({ SMTP_PORT: port, SMTP_SECURE: secure }));
      expect(
        findings.filter((f) => f.status !== 'pass'),
        `port ${port}`,
      ).toEqual([]);
    }
  });

  it('accepts an internationalised sender domain, naming its punycode; rejects one IDNA cannot convert', () => {
    for (const sender of ['app@bücher.de', 'Bücher <app@BÜCHER.de>']) {
      const finding = lint(smtp({ SMTP_SENDER: sender })).findings.find((f) => f.id.startsWith('smtp.sender'));
      expect(finding, sender).toMatchObject({ id: 'smtp.sender', status: 'pass', message: expect.stringContaining('its domain is xn--bcher-kva.de in DNS') });
    }
    const resend = lint({ ...resendBlock, RESEND_SENDER_EMAIL: 'noreply@münchen.example' }).findings.find((f) => f.id === 'resend.sender');
    expect(resend).toMatchObject({ status: 'pass', message: expect.stringContaining('xn--mnchen-3ya.example') });
    // No dot after conversion, a label that cannot exist, a control or format character hidden in it.
    for (const sender of ['app@bücher', 'app@-bücher.de', 'app@bü\u200bcher.de', 'app@bücher..de']) {
      expect(lint(smtp({ SMTP_SENDER: sender })).findings.find((f) => f.id.startsWith('smtp.sender'))?.id, sender).toBe('smtp.sender.syntax');
    }
  });

  it('speaks the alias the user set (SMTP_PASS, SMTP_FROM_EMAIL)', () => {
    const { findings } = lint({
      ...base,
      SMTP_PASSWORD: undefined,
      SMTP_PASS: 'hunter2',
      SMTP_SENDER: undefined,
      SMTP_FROM_EMAIL: 'My App',
      SMTP_HOST: 'smtp.resend.com',
      SMTP_USER: 'resend',
    });
    expect(findings.find((f) => f.id === 'resend.password')).toMatchObject({ variable: 'SMTP_PASS', fix: expect.stringContaining('SMTP_PASS to') });
    expect(findings.find((f) => f.id === 'smtp.sender.not-address')).toMatchObject({ variable: 'SMTP_FROM_EMAIL' });
  });

  it('a duplicated key is a warning naming both lines', () => {
    const file = join(dir, 'duplicates.env');
    writeFileSync(
      file,
      Object.entries(base)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .concat('SMTP_PORT=465')
        .join('\n'),
    );
    const findings = loadConfig({ env: {}, envFiles: [file] }).lint;
    expect(findings.find((f) => f.id === 'config.note')).toMatchObject({
      status: 'warn',
      message: expect.stringMatching(/SMTP_PORT is set 2 times .*lines 2, 7/),
    });
  });
});

describe('every lint id', () => {
  it('is reached by a row above, or by a valid configuration (the pass findings)', () => {
    const reached = new Set<string>();
    for (const row of rows) for (const f of lint(row.vars).findings) reached.add(f.id);
    for (const vars of [base, resendBlock, { ...base, ...resendBlock }]) for (const f of lint(vars).findings) reached.add(f.id);
    expect(lintIds.filter((id) => !reached.has(id))).toEqual([]);
  });
});
