/** Sender addresses as apps accept them: `addr@domain` or `Display Name <addr@domain>`. */
export interface ParsedAddress {
  address: string;
  name?: string;
  domain: string;
}

const displayForm = /^\s*(?:"([^"]*)"|([^<>"]*?))\s*<([^<>\s]+)>\s*$/;
// Deliberately simple: a local part without spaces, angle brackets or control and format
// characters (an address is shown in reports and sent on the wire), a dotted domain.
const addrSpec = /^[^\s\p{Cc}\p{Cf}@<>()[\],;:"]+@([a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+)$/iu;

export function parseAddress(text: string): ParsedAddress | undefined {
  const display = displayForm.exec(text);
  const address = (display ? display[3]! : text).trim();
  const domain = addrSpec.exec(address)?.[1];
  if (!domain) return undefined;
  const name = display ? (display[1] ?? display[2] ?? '').trim() : '';
  return name ? { address, name, domain: domain.toLowerCase() } : { address, domain: domain.toLowerCase() };
}
