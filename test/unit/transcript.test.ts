import { describe, expect, it } from 'vitest';
import { redactedMarker, Scrubber } from '../../src/safety/secrets.js';
import { AuthLineRewriter } from '../../src/smtp/auth-lines.js';
import { TranscriptRecorder, type TranscriptLine } from '../../src/report/transcript.js';

/**
 * TranscriptRecorder is the only way lines reach a report. `test` and `doctor` start the session
 * before the renderer has loaded, so lines recorded before `follow()` must be replayed on it, in
 * order, and every later line delivered as it is recorded: each exactly once.
 */

const truncatedLine = '… (transcript truncated)';

/** A recorder and everything its follower was handed, in order. */
function followed(recorder: TranscriptRecorder): TranscriptLine[] {
  const seen: TranscriptLine[] = [];
  recorder.follow((line) => seen.push(line));
  return seen;
}

describe('TranscriptRecorder.follow', () => {
  it('replays the lines recorded before it, in order, then delivers each new line as it is recorded', () => {
    const recorder = new TranscriptRecorder();
    recorder.record('info', 'connecting to 127.0.0.1:587', false);
    recorder.record('server', '220 mx ESMTP ready', false);
    recorder.record('client', 'EHLO [127.0.0.1]', false);

    const seen = followed(recorder);
    expect(seen.map((l) => l.text)).toEqual(['connecting to 127.0.0.1:587', '220 mx ESMTP ready', 'EHLO [127.0.0.1]']);

    // Delivered synchronously at record time, not batched until some later replay.
    recorder.record('server', '250-mx greets you\r\n250 STARTTLS', false);
    expect(seen.map((l) => l.text).slice(3)).toEqual(['250-mx greets you', '250 STARTTLS']);
    recorder.record('client', 'STARTTLS', false);
    recorder.record('info', 'TLS TLSv1.3; certificate verified', true);
    expect(seen).toHaveLength(7);

    // Exactly once each: the follower saw the very objects the report keeps, no more, no fewer.
    expect(seen).toEqual(recorder.lines);
    for (const [i, line] of seen.entries()) expect(line).toBe(recorder.lines[i]);
    expect(seen.map((l) => [l.dir, l.encrypted])).toEqual([
      ['info', false],
      ['server', false],
      ['client', false],
      ['server', false],
      ['server', false],
      ['client', false],
      ['info', true],
    ]);
  });

  it('a follower attached to an empty recorder gets only the lines recorded afterwards', () => {
    const recorder = new TranscriptRecorder();
    const seen = followed(recorder);
    expect(seen).toEqual([]);
    recorder.record('server', '220 ready', false);
    expect(seen.map((l) => l.text)).toEqual(['220 ready']);
    expect(recorder.lines).toHaveLength(1);
  });

  it('without a follower, lines are still kept for the report', () => {
    const recorder = new TranscriptRecorder();
    recorder.record('server', '220 ready', false);
    expect(recorder.lines.map((l) => l.text)).toEqual(['220 ready']);
  });

  it('times are milliseconds since the recorder started and never go backwards', async () => {
    const recorder = new TranscriptRecorder();
    recorder.record('info', 'first', false);
    await new Promise((resolve) => setTimeout(resolve, 20));
    recorder.record('info', 'second', false);
    const [first, second] = followed(recorder);
    expect(first!.at).toBeGreaterThanOrEqual(0);
    expect(second!.at).toBeGreaterThanOrEqual(first!.at + 15);
  });
});

describe('TranscriptRecorder: secrets and untrusted text', () => {
  const user = 'mailer@example.com';
  const secret = 'Pw7#kQ2 vX9!mZ&"';
  const forms = [secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64'), Buffer.from(`\u0000${user}\u0000${secret}`).toString('base64')];

  it('no form of a secret reaches the follower, before or after follow()', () => {
    // The division of work the adapters follow: mailcheck's own AUTH lines are built from masks
    // (AuthLineRewriter), and the server's answers pass the scrubber of the party that got the secret.
    const recorder = new TranscriptRecorder();
    const authLines = new AuthLineRewriter(JSON.stringify(user), { password: secret });
    const scrubber = new Scrubber().add(secret, user);
    // Before the follower exists: the AUTH PLAIN payload built from the secret, and an echo of it.
    recorder.record('client', authLines.rewriteClient(`AUTH PLAIN ${Buffer.from(`\u0000${user}\u0000${secret}`).toString('base64')}`), true);
    recorder.record('server', scrubber.scrubReply(`535 5.7.8 bad password ${secret}`), true);
    const seen = followed(recorder);
    // After: URL-encoded, base64 alone, and the secret inside a multi-line reply.
    recorder.record('server', scrubber.scrubReply(`535 you sent ${Buffer.from(secret).toString('base64')}`), true);
    recorder.record('server', scrubber.scrubReply(`535-you sent ${encodeURIComponent(secret)}\r\n535 and ${secret}`), true);

    expect(seen).toHaveLength(5);
    for (const line of seen) {
      for (const form of forms) expect(line.text).not.toContain(form);
    }
    for (const line of seen.slice(1)) expect(line.text).toContain(redactedMarker);
    expect(seen[0]!.text).toBe(`AUTH PLAIN ‹base64 of username ${JSON.stringify(user)} and password …(${[...secret].length} chars)›`);
    expect(JSON.stringify(recorder.lines)).not.toContain(secret);
  });

  it('server text is made terminal-safe before it is delivered', () => {
    const recorder = new TranscriptRecorder();
    const seen = followed(recorder);
    recorder.record('server', '220 \u001b]0;owned\u0007 hi \u202e', false);
    expect(seen[0]!.text).not.toMatch(/[\u001b\u0007\u202e]/);
    expect(seen[0]!.text).toBe('220 \\x1B]0;owned\\x07 hi \\u202E');
  });
});

describe('TranscriptRecorder: the line cap', () => {
  it('at 500 lines the last is the truncation notice, and nothing follows it', () => {
    const recorder = new TranscriptRecorder();
    const seen = followed(recorder);
    for (let i = 0; i < 700; i++) recorder.record('server', `250-line ${i}`, false);
    expect(seen).toHaveLength(500);
    expect(recorder.lines).toHaveLength(500);
    expect(seen.at(-1)!.text).toBe(truncatedLine);
    expect(seen.at(-2)!.text).toBe('250-line 498');
    expect(seen.slice(0, 499).map((l) => l.text)).toEqual(Array.from({ length: 499 }, (_, i) => `250-line ${i}`));
    // Still capped later, whatever arrives.
    recorder.record('client', 'QUIT', false);
    recorder.record('info', 'stopped', false);
    expect(seen).toHaveLength(500);
    expect(seen.filter((l) => l.text === truncatedLine)).toHaveLength(1);
  });

  it('the cap holds when one reply crosses it, and when the follower arrives after it was reached', () => {
    const recorder = new TranscriptRecorder(5);
    recorder.record('server', '220 hello', false);
    recorder.record('client', 'EHLO x', false);
    // One multi-line reply that crosses the cap in the middle.
    recorder.record('server', ['250-a', '250-b', '250-c', '250-d', '250 e'].join('\r\n'), false);
    recorder.record('server', '250 more', false);
    const seen = followed(recorder);
    expect(seen.map((l) => l.text)).toEqual(['220 hello', 'EHLO x', '250-a', '250-b', truncatedLine]);
    recorder.record('client', 'QUIT', false);
    expect(seen).toHaveLength(5);
    expect(recorder.lines).toHaveLength(5);
  });
});
