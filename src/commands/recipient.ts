import { parseAddress } from '../config/address.js';
import { UserError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import type { OutputMode } from '../render/mode.js';

/** A missing --to is asked for at a terminal; anywhere else it is a usage error, never a hang. */
export async function askRecipient(mode: OutputMode): Promise<string> {
  if (!mode.interactive) {
    throw new UserError('no recipient: `mailcheck test` sends one real message and needs --to', ExitCode.usage, 'add --to you@example.com (Resend accounts can use delivered@resend.dev)');
  }
  const { input } = await import('@inquirer/prompts');
  return input(
    {
      message: 'Send the test message to which address?',
      validate: (value) => (parseAddress(value) ? true : 'enter an email address, e.g. you@example.com'),
    },
    { output: process.stderr },
  );
}
