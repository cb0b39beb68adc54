/** A host and port as text: an IPv6 literal in brackets (RFC 3986), so its last group is not read as the port. */
export function hostPort(host: string, port: number | string): string {
  return `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
}
