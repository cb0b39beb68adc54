import { maskSecret } from '../safety/secrets.js';
import { parseAddress } from './address.js';
import { about, lintCheck, type LintInput, lintRule, otherwise } from './lint-kit.js';
import { senderCheck } from './lint-smtp.js';
import { hasSecretShapeOf, startsLikeSecretOf } from './providers.js';

/** The checks of the Resend block (RESEND_API_KEY, RESEND_SENDER_EMAIL), in report order. */

const key = (x: LintInput) => x.settings.apiKey;
const keyName = (x: LintInput) => key(x)?.name ?? 'RESEND_API_KEY';
/** mailcheck checks the trimmed key; the app sends the key as given (see resend.key.whitespace). */
const keyValue = (x: LintInput) => key(x)?.value.trim() ?? '';
const senderName = (x: LintInput) => x.settings.senderEmail?.name ?? 'RESEND_SENDER_EMAIL';
const newKeyFix = (x: LintInput) => `create a key at https://resend.com/api-keys and set ${keyName(x)} to it`;

const keyCheck = lintCheck(
  lintRule(
    'resend.key.shape',
    'fail',
    (x) => !hasSecretShapeOf('resend', keyValue(x)),
    (x) => {
      const other = startsLikeSecretOf('sendgrid', keyValue(x))
        ? ' (it looks like a SendGrid key)'
        : /^(key-|xkeysib-|AKIA)/.test(keyValue(x))
          ? " (it looks like another provider's key)"
          : '';
      return about(
        key(x),
        {
          message: `is ${maskSecret(key(x)?.value)}, which is not shaped like a Resend API key (re_ followed by letters, digits and _)${other}`,
          fix: newKeyFix(x),
        },
        false,
      );
    },
  ),
  lintRule(
    'resend.key.placeholder',
    'fail',
    // The documentation's examples, copied into a .env before the real key was.
    (x) => /^re_(123456789|x+|X+|0+|your_?api_?key\w*)$/i.test(keyValue(x)),
    (x) => about(key(x), { message: `is ${maskSecret(key(x)?.value)}, a placeholder from the documentation, not a real key`, fix: newKeyFix(x) }, false),
  ),
  lintRule('resend.key', 'pass', otherwise, (x) => ({ variable: keyName(x), message: `API key ${maskSecret(key(x)?.value)}` })),
);

// A line end in an HTTP header fails every request.
const keyWhitespace = lintRule(
  'resend.key.whitespace',
  'warn',
  (x) => key(x) !== undefined && key(x)?.value !== key(x)?.value.trim(),
  (x) =>
    about(
      key(x),
      {
        message:
          'has leading or trailing spaces or a line end: mailcheck checked the key without them, but your app sends them along, and the API refuses such a key',
        fix: `remove the spaces around ${keyName(x)}`,
      },
      false,
    ),
);

/** Free mailbox domains people put in the sender, expecting it to work like their mail client. */
const mailboxProviderDomains = new Set([
  'gmail.com',
  'googlemail.com',
  'outlook.com',
  'hotmail.com',
  'live.com',
  'msn.com',
  'yahoo.com',
  'ymail.com',
  'icloud.com',
  'me.com',
  'mac.com',
  'aol.com',
  'proton.me',
  'protonmail.com',
  'gmx.com',
  'gmx.de',
  'gmx.net',
  'web.de',
  'yandex.com',
  'yandex.ru',
  'mail.com',
  'zoho.com',
]);

const senderDomain = (x: LintInput) => parseAddress(x.settings.senderEmail?.value ?? '')?.domain;

/** The sender's domain is what Resend verifies: some domains can never be verified by the user. */
const senderDomainCheck = lintCheck(
  lintRule(
    'resend.sender.testing-domain',
    'warn',
    (x) => senderDomain(x) === 'resend.dev',
    (x) =>
      about(x.settings.senderEmail, {
        message: "is on resend.dev, Resend's shared testing domain: it delivers only to your own account's address",
        fix: `verify your domain at https://resend.com/domains and set ${senderName(x)}=noreply@yourdomain.com`,
      }),
  ),
  lintRule(
    'resend.sender.mailbox-provider',
    'fail',
    (x) => mailboxProviderDomains.has(senderDomain(x) ?? ''),
    (x) => {
      const domain = senderDomain(x);
      return about(x.settings.senderEmail, {
        message: `is on ${domain}, a mailbox provider's domain: only ${domain} can authorise senders there, so Resend will never verify it for you`,
        fix: `send from a domain you own (set ${senderName(x)}=noreply@yourdomain.com), or use ${senderName(x)}=onboarding@resend.dev for a first test`,
      });
    },
  ),
);

export const resendChecks = [keyCheck, senderCheck('resend.sender', (x) => x.settings.senderEmail, senderName), lintCheck(keyWhitespace), senderDomainCheck];
