import { parseAddress } from '../config/address.js';
import { UserError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import type { View } from '../render/view.js';

/**
 * A missing --to is asked for at a terminal; anywhere else it is a usage error, never a hang.
 * `suggestion` is a provider's test inbox (Resend's delivered@resend.dev), offered as the default.
 */
export async function askRecipient(view: Pick<View, 'interactive'>, suggestion?: string): Promise<string> {
  if (!view.interactive) {
    const hint = suggestion
      ? `add --to ${suggestion} (Resend's test inbox), or --to you@example.com`
      : 'add --to you@example.com (Resend accounts can use delivered@resend.dev)';
    throw new UserError('no recipient: `mailcheck test` sends one real message and needs --to', ExitCode.usage, hint);
  }
  const { input } = await import('@inquirer/prompts');
  return input(
    {
      message: suggestion ? `Send the test message to which address? (${suggestion} is Resend's test inbox)` : 'Send the test message to which address?',
      ...(suggestion ? { default: suggestion } : {}),
      validate: (value) => (parseAddress(value) ? true : 'enter an email address, e.g. you@example.com'),
    },
    { output: process.stderr },
  );
}
