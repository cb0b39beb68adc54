import { domainToASCII } from 'node:url';

/** Sender addresses as apps accept them: `addr@domain` or `Display Name <addr@domain>`. */
export interface ParsedAddress {
  address: string;
  name?: string;
  /** Lowercased, as written: an internationalised domain stays `bücher.de`. */
  domain: string;
  /** The domain's ASCII form when it is internationalised (`xn--bcher-kva.de`): what DNS and a server without SMTPUTF8 see. */
  punycode?: string;
}

const displayForm = /^\s*(?:"([^"]*)"|([^<>"]*?))\s*<([^<>\s]+)>\s*$/;
// Deliberately simple: a local part without spaces, angle brackets or control and format
// characters (an address is shown in reports and sent on the wire), then a domain.
const addrSpec = /^[^\s\p{Cc}\p{Cf}@<>()[\],;:"]+@([^\s\p{Cc}\p{Cf}@<>()[\],;:"]+)$/u;
// A dotted domain in ASCII; an internationalised one must come out of IDNA (UTS #46) as one.
const asciiDomain = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/i;

export function parseAddress(text: string): ParsedAddress | undefined {
  const display = displayForm.exec(text);
  const address = (display ? display[3]! : text).trim();
  const written = addrSpec.exec(address)?.[1]?.toLowerCase();
  if (!written) return undefined;
  const ascii = /^[\x21-\x7e]+$/.test(written) ? written : domainToASCII(written);
  // Node's IDNA lets a label start or end with a hyphen (`-bücher` becomes `xn---bcher-kva`); DNS does not.
  if (!asciiDomain.test(ascii) || written.split('.').some((label) => label.startsWith('-') || label.endsWith('-'))) return undefined;
  const name = display ? (display[1] ?? display[2] ?? '').trim() : '';
  return { address, ...(name ? { name } : {}), domain: written, ...(ascii !== written ? { punycode: ascii } : {}) };
}
