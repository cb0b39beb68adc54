import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'dotenv';
import { describe, expect, it } from 'vitest';
import { applyEnvChanges, renderEnvDiff } from '../../src/interactive/env-edit.js';

describe('applyEnvChanges', () => {
  it('writes a new file: one KEY=value line each, LF, in the order given', () => {
    const after = applyEnvChanges('', [
      { name: 'SMTP_HOST', value: 'smtp.resend.com' },
      { name: 'SMTP_PORT', value: '465' },
      { name: 'SMTP_SENDER', value: 'My App <noreply@example.com>' },
    ]);
    // Bare, `<` and the space would be a redirection and a word split to a shell sourcing the file.
    expect(after).toBe("SMTP_HOST=smtp.resend.com\nSMTP_PORT=465\nSMTP_SENDER='My App <noreply@example.com>'\n");
    expect(parse(after).SMTP_SENDER).toBe('My App <noreply@example.com>');
  });

  it('changes only the named lines of a file with comments and unrelated keys; new ones join their family', () => {
    const before = [
      '# production settings',
      'DATABASE_URL=postgres://app@db/app',
      '',
      '# outgoing mail',
      'SMTP_HOST=smtp.example.com',
      'SMTP_PORT=587 # submission',
      '',
      'export FEATURE_FLAGS=a,b',
      '',
    ].join('\n');
    const after = applyEnvChanges(before, [
      { name: 'SMTP_PORT', value: '465' },
      { name: 'SMTP_SECURE', value: '1' },
      { name: 'LOG_LEVEL', value: 'debug' },
    ]);
    expect(after).toBe(
      [
        '# production settings',
        'DATABASE_URL=postgres://app@db/app',
        '',
        '# outgoing mail',
        'SMTP_HOST=smtp.example.com',
        'SMTP_PORT=465 # submission',
        'SMTP_SECURE=1',
        '',
        'export FEATURE_FLAGS=a,b',
        'LOG_LEVEL=debug',
        '',
      ].join('\n'),
    );
  });

  it('keeps CRLF line ends, and gives a last line without one a CRLF before adding after it', () => {
    const before = '# mail\r\nSMTP_SECURE=1\r\nAPP_NAME=shop';
    const after = applyEnvChanges(before, [
      { name: 'SMTP_SECURE', value: '0' },
      { name: 'SMTP_USER', value: 'resend' },
      { name: 'TZ', value: 'UTC' },
    ]);
    expect(after).toBe('# mail\r\nSMTP_SECURE=0\r\nSMTP_USER=resend\r\nAPP_NAME=shop\r\nTZ=UTC\r\n');
  });

  it('keeps a file without a final line end that way when only its last line changes', () => {
    expect(applyEnvChanges('A=1\nSMTP_SECURE=1', [{ name: 'SMTP_SECURE', value: '0' }])).toBe('A=1\nSMTP_SECURE=0');
  });

  it('replaces only the winning (last) assignment of a duplicated key', () => {
    const before = 'SMTP_USER=first@example.com\nSMTP_HOST=smtp.resend.com\nSMTP_USER=me@example.com\n';
    const after = applyEnvChanges(before, [{ name: 'SMTP_USER', value: 'resend' }]);
    expect(after).toBe('SMTP_USER=first@example.com\nSMTP_HOST=smtp.resend.com\nSMTP_USER=resend\n');
    expect(parse(after).SMTP_USER).toBe('resend');
  });

  it("keeps each line's quote style, export, spacing and inline comment", () => {
    const before = [
      `SMTP_HOST="smtp.old.example"   # the old relay`,
      `export SMTP_PORT = 25`,
      `SMTP_PASSWORD='old secret'`,
      'SMTP_SENDER=`App <a@example.com>`',
      `SMTP_USER: me@example.com`,
      '',
    ].join('\n');
    const after = applyEnvChanges(before, [
      { name: 'SMTP_HOST', value: 'smtp.resend.com' },
      { name: 'SMTP_PORT', value: '465' },
      { name: 'SMTP_PASSWORD', value: 're_new key' },
      { name: 'SMTP_SENDER', value: 'App <b@example.com>' },
      { name: 'SMTP_USER', value: 'resend' },
    ]);
    expect(after).toBe(
      [
        `SMTP_HOST="smtp.resend.com"   # the old relay`,
        `export SMTP_PORT = 465`,
        `SMTP_PASSWORD='re_new key'`,
        // Backticks are a command to a shell: the one style that changes, to one every reader takes literally.
        "SMTP_SENDER='App <b@example.com>'",
        `SMTP_USER: resend`,
        '',
      ].join('\n'),
    );
  });

  it('quotes a value when dotenv, docker compose or a shell would otherwise read it differently', () => {
    const after = applyEnvChanges('P=plain\nQ="quoted"\n', [
      { name: 'P', value: 'has # hash' },
      { name: 'Q', value: 'say "hi"' },
      { name: 'R', value: 'line one\nline two' },
    ]);
    expect(after).toBe(`P='has # hash'\nQ='say "hi"'\nR="line one\\nline two"\n`);
    expect(parse(after)).toEqual({ P: 'has # hash', Q: 'say "hi"', R: 'line one\nline two' });
  });

  it('replaces a quoted value that spans several lines as a whole', () => {
    const before = 'SMTP_PASSWORD="first\nsecond"\nSMTP_HOST=h\n';
    expect(applyEnvChanges(before, [{ name: 'SMTP_PASSWORD', value: 'x' }])).toBe('SMTP_PASSWORD="x"\nSMTP_HOST=h\n');
  });

  it('removes every assignment of a variable and nothing else', () => {
    const before = '# keep\nSMTP_HOST=a\nRESEND_API_KEY=re_x\nSMTP_HOST=b\n';
    expect(applyEnvChanges(before, [{ name: 'SMTP_HOST', remove: true }])).toBe('# keep\nRESEND_API_KEY=re_x\n');
  });

  it('leaves the text identical when the values are already there', () => {
    const before = 'A="1"\r\nB=2\r\n';
    expect(applyEnvChanges(before, [{ name: 'A', value: '1' }])).toBe(before);
  });

  it('keeps a byte-order mark and does not mistake commented-out assignments for real ones', () => {
    const before = '\uFEFF# SMTP_PORT=25\nSMTP_PORT=587\n';
    expect(applyEnvChanges(before, [{ name: 'SMTP_PORT', value: '465' }])).toBe('\uFEFF# SMTP_PORT=25\nSMTP_PORT=465\n');
  });
});

describe('renderEnvDiff', () => {
  it('shows a unified diff with one line of context and masks secrets', () => {
    const before = '# mail\nSMTP_HOST=smtp.resend.com\nSMTP_PASSWORD=re_oldkey123456\nSMTP_SECURE=1\nSMTP_PORT=587\n';
    const after = applyEnvChanges(before, [
      { name: 'SMTP_SECURE', value: '0' },
      { name: 'SMTP_PASSWORD', value: 're_newkey1234567' },
    ]);
    const diff = renderEnvDiff(before, after, { path: '.env' });
    expect(diff).toBe(
      [
        '--- .env',
        '+++ .env',
        '@@ -2,4 +2,4 @@',
        // Unchanged context shows names only: a .env holds other secrets too.
        ' SMTP_HOST=…',
        '-SMTP_PASSWORD=re_…(15 chars)',
        '-SMTP_SECURE=1',
        '+SMTP_PASSWORD=re_…(16 chars)',
        '+SMTP_SECURE=0',
        ' SMTP_PORT=…',
        '',
      ].join('\n'),
    );
    expect(diff).not.toContain('oldkey');
    expect(diff).not.toContain('newkey');
  });

  it('shows a new file as all additions from /dev/null, masking named secrets too', () => {
    const diff = renderEnvDiff(undefined, 'SMTP_USER=server-token-abc\nSMTP_PASS=server-token-abc\nSMTP_PORT=587\n', {
      path: '.env',
      secretNames: ['SMTP_USER'],
    });
    expect(diff).toBe(['--- /dev/null', '+++ .env', '@@ -0,0 +1,3 @@', '+SMTP_USER=…(16 chars)', '+SMTP_PASS=…(16 chars)', '+SMTP_PORT=587', ''].join('\n'));
  });

  it('keeps distant changes in separate hunks and is empty when nothing changed', () => {
    const before = ['A=1', 'B=2', 'C=3', 'D=4', 'E=5', 'F=6', ''].join('\n');
    const after = applyEnvChanges(before, [
      { name: 'A', value: 'x' },
      { name: 'F', value: 'y' },
    ]);
    expect(renderEnvDiff(before, after, { path: 'app.env' })).toBe(
      ['--- app.env', '+++ app.env', '@@ -1,2 +1,2 @@', '-A=1', '+A=x', ' B=…', '@@ -5,2 +5,2 @@', ' E=…', '-F=6', '+F=y', ''].join('\n'),
    );
    expect(renderEnvDiff(before, before, { path: 'app.env' })).toBe('');
  });
});

/** What a POSIX shell reads from the file when it sources it (`. ./.env`), as `set -a; . ./.env` does in deploy scripts. */
function shellReads(text: string, name: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'mailcheck-shell-'));
  try {
    writeFileSync(join(dir, '.env'), text);
    return execFileSync('sh', ['-c', `. ./.env; printf %s "$${name}"`], {
      cwd: dir,
      env: { PATH: process.env.PATH, word: 'EXPANDED', HOME: '/home/x' },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('values written the way every reader of the file reads them', () => {
  it.each([
    ['a $ (docker compose and a shell interpolate it)', 'pa$word'],
    ['a space (a shell splits the word)', 'al ice'],
    ['a # (dotenv cuts it off)', 'ab#cd'],
    ['a double quote', 'say "hi"'],
    ['a single quote', "it's"],
    ['a backslash', 'back\\slash'],
    ['a backtick (a shell runs it)', 'a`id`b'],
    ['a leading ~ (a shell expands it)', '~/secret'],
  ])('%s: dotenv and sh read back exactly the value, and the quoting is said', (_name, value) => {
    const notes: string[] = [];
    const after = applyEnvChanges('', [{ name: 'SMTP_PASSWORD', value }], notes);
    expect(parse(after).SMTP_PASSWORD).toBe(value);
    expect(shellReads(after, 'SMTP_PASSWORD')).toBe(value);
    expect(notes).toEqual([expect.stringMatching(/^SMTP_PASSWORD is written in (single|double) quotes: otherwise docker compose \(env_file\) or a shell/)]);
    // The note never quotes the value (it is a password here).
    expect(notes.join('')).not.toContain(value);
  });

  it("a value no quoting can make alike everywhere (both ' and $) is written for dotenv, and said so", () => {
    const notes: string[] = [];
    const value = "it's pa$word";
    const after = applyEnvChanges('SMTP_PASSWORD=old\n', [{ name: 'SMTP_PASSWORD', value }], notes);
    expect(parse(after).SMTP_PASSWORD).toBe(value);
    expect(notes).toEqual([expect.stringContaining('SMTP_PASSWORD is written for dotenv, which your app uses: no quoting makes docker compose')]);
  });

  it('a plain value stays bare and a quoted line keeps its quotes, with nothing to say', () => {
    const notes: string[] = [];
    expect(
      applyEnvChanges(
        'SMTP_HOST="old.example"\n',
        [
          { name: 'SMTP_HOST', value: 'smtp.resend.com' },
          { name: 'SMTP_PORT', value: '465' },
        ],
        notes,
      ),
    ).toBe('SMTP_HOST="smtp.resend.com"\nSMTP_PORT=465\n');
    expect(notes).toEqual([]);
  });
});

describe('inline comments the change makes wrong', () => {
  it('SMTP_SECURE: a comment about the TLS mode is rewritten to the new meaning, keeping its spacing', () => {
    const notes: string[] = [];
    expect(applyEnvChanges('SMTP_SECURE=1   # starttls\n', [{ name: 'SMTP_SECURE', value: '0' }], notes)).toBe('SMTP_SECURE=0   # STARTTLS\n');
    expect(applyEnvChanges('SMTP_SECURE=0 # plain SMTP, upgraded with STARTTLS\n', [{ name: 'SMTP_SECURE', value: '1' }])).toBe(
      'SMTP_SECURE=1 # implicit TLS\n',
    );
    expect(notes).toEqual(['the comment on the SMTP_SECURE line described the old setting; it now says "# STARTTLS"']);
  });

  it('a comment that names the old value, or the TLS mode of a port, is removed; others stay', () => {
    const notes: string[] = [];
    const before =
      'SMTP_HOST=smtp.old.example # smtp.old.example is the old relay\nSMTP_PORT=587 # STARTTLS port\nSMTP_USER=me # ask ops for access\nSMTP_PASSWORD=hunter22 # was hunter22 until May\n';
    const after = applyEnvChanges(
      before,
      [
        { name: 'SMTP_HOST', value: 'smtp.resend.com' },
        { name: 'SMTP_PORT', value: '465' },
        { name: 'SMTP_USER', value: 'resend' },
        { name: 'SMTP_PASSWORD', value: 're_abcdefgh12345678' },
      ],
      notes,
    );
    expect(after).toBe('SMTP_HOST=smtp.resend.com\nSMTP_PORT=465\nSMTP_USER=resend # ask ops for access\nSMTP_PASSWORD=re_abcdefgh12345678\n');
    expect(notes).toEqual(
      ['SMTP_HOST', 'SMTP_PORT', 'SMTP_PASSWORD'].map((name) => `the comment on the ${name} line described the old value, so it is removed`),
    );
    // The old password was in its comment: the note does not repeat it.
    expect(notes.join('')).not.toContain('hunter22');
  });

  it('a value that is unchanged keeps its comment', () => {
    expect(applyEnvChanges('SMTP_SECURE=1 # starttls (wrong, but not ours to fix)\n', [{ name: 'SMTP_SECURE', value: '1' }])).toBe(
      'SMTP_SECURE=1 # starttls (wrong, but not ours to fix)\n',
    );
  });
});
