/** DKIM key records (RFC 6376 §3.6.1): is the published key one a receiver can verify with? Pure. */
import { createPublicKey } from 'node:crypto';
import { parseTags } from './dmarc.js';

export type DkimKeyVerdict = { kind: 'valid'; keyType: string; bits?: number } | { kind: 'revoked' } | { kind: 'invalid'; reason: string };

/** Ed25519 keys are published raw (RFC 8463), not as SPKI: this DER prefix makes one. */
const ed25519SpkiPrefix = Buffer.from('302a300506032b6570032100', 'hex');

export function checkDkimRecord(record: string): DkimKeyVerdict {
  const { tags } = parseTags(record);
  const version = tags.get('v');
  if (version !== undefined && version !== 'DKIM1') return { kind: 'invalid', reason: `v=${version} is not DKIM1` };
  const p = tags.get('p');
  if (p === undefined) return { kind: 'invalid', reason: 'no p= tag (the public key)' };
  // The key may be folded with whitespace inside the record (§3.6.1: FWS is allowed in base64).
  const base64 = p.replace(/\s+/g, '');
  if (base64 === '') return { kind: 'revoked' };
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return { kind: 'invalid', reason: 'p= is not base64' };
  const der = Buffer.from(base64, 'base64');
  const keyType = (tags.get('k') ?? 'rsa').toLowerCase();
  if (keyType !== 'rsa' && keyType !== 'ed25519') return { kind: 'invalid', reason: `k=${tags.get('k')} is not a key type receivers verify (rsa, ed25519)` };
  try {
    const key = createPublicKey({ key: keyType === 'ed25519' ? Buffer.concat([ed25519SpkiPrefix, der]) : der, format: 'der', type: 'spki' });
    if (key.asymmetricKeyType !== keyType) return { kind: 'invalid', reason: `p= holds a ${key.asymmetricKeyType} key, but k=${keyType}` };
    const bits = key.asymmetricKeyDetails?.modulusLength;
    return bits !== undefined ? { kind: 'valid', keyType, bits } : { kind: 'valid', keyType };
  } catch {
    return { kind: 'invalid', reason: `p= does not parse as a${keyType === 'rsa' ? 'n RSA' : 'n Ed25519'} public key` };
  }
}
