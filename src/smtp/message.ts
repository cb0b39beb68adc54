import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';

export interface TestMessage {
  messageId: string;
  raw: Buffer;
}

/** A small, well-formed mail that says where it came from, so nobody mistakes it for spam. */
export async function buildTestMessage(fromHeader: string, fromDomain: string, to: string): Promise<TestMessage> {
  // Loaded on demand: only `test` and `doctor --send` compose a message.
  const { default: MailComposer } = await import('nodemailer/lib/mail-composer');
  const messageId = `<mailcheck.${Date.now()}.${randomBytes(6).toString('hex')}@${fromDomain}>`;
  const composer = new MailComposer({
    from: fromHeader,
    to,
    subject: 'mailcheck test message',
    messageId,
    date: new Date(),
    text: [
      'This is a test message sent by mailcheck (https://www.npmjs.com/package/mailcheck-cli)',
      `from ${hostname()} to check that the email configuration works.`,
      '',
      'If you received it, sending works. No action is needed.',
    ].join('\n'),
  });
  const raw = await composer.compile().build();
  return { messageId, raw };
}
