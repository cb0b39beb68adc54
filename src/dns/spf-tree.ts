/**
 * An SPF record with everything it includes, as a receiver walks it for a server the record
 * does not list (the worst case, which every receiver meets sometimes): each include: and
 * redirect= is followed, and every term that costs a lookup is counted, so the limits of
 * RFC 7208 §4.6.4 (10 lookups, 2 void lookups) are judged over the whole tree.
 */
import { isLookupFailure, type DnsAnswer } from './records.js';
import type { DnsClient } from './resolver.js';
import { costsLookup, hasMacro, isSpfRecord, parseSpf, type ParsedSpf } from './spf.js';

export const maxLookups = 10;
export const maxVoidLookups = 2;

export interface SpfNode {
  domain: string;
  /** How this node was reached: the top record, or the term that pointed here. */
  via?: string;
  /** The SPF records found at the name (exactly one is valid). */
  records: string[];
  parsed?: ParsedSpf;
  /** Set when no usable record: none, several, or the lookup failed. */
  problem?: { kind: 'none' | 'multiple' | 'lookup'; answer?: DnsAnswer<string> };
  children: SpfNode[];
}

export interface SpfTree {
  root: SpfNode;
  /** Terms costing a lookup, over the whole tree. */
  lookups: number;
  /** Lookups that found nothing (NXDOMAIN or no records). */
  voidLookups: { term: string; domain: string }[];
  /** Names not followed because they hold macros (known only when a message arrives). */
  macros: string[];
  /** The walk stopped early (a loop, or far past the limit). */
  truncated: boolean;
}

/** Far past the limit of 10: enough to say by how much a record exceeds it, without walking a loop forever. */
const walkBound = 40;

/** The SPF records among a name's TXT records. */
function spfRecordsOf(answer: DnsAnswer<string>): string[] {
  return answer.kind === 'found' ? answer.records.filter(isSpfRecord) : [];
}

export async function walkSpf(domain: string, top: DnsAnswer<string>, dns: DnsClient): Promise<SpfTree> {
  const tree: SpfTree = { root: { domain, records: [], children: [] }, lookups: 0, voidLookups: [], macros: [], truncated: false };
  const visiting = new Set<string>();

  const visit = async (node: SpfNode, answer: DnsAnswer<string>): Promise<void> => {
    node.records = spfRecordsOf(answer);
    if (isLookupFailure(answer)) {
      node.problem = { kind: 'lookup', answer };
      return;
    }
    if (node.records.length === 0) {
      node.problem = { kind: 'none', answer };
      return;
    }
    if (node.records.length > 1) {
      node.problem = { kind: 'multiple' };
      return;
    }
    const parsed = parseSpf(node.records[0]!);
    node.parsed = parsed;
    const key = node.domain.toLowerCase();
    if (visiting.has(key)) {
      tree.truncated = true;
      return;
    }
    visiting.add(key);
    const hasAll = parsed.terms.some((t) => t.kind === 'mechanism' && t.name === 'all');
    for (const term of parsed.terms) {
      if (!costsLookup(term)) continue;
      // redirect= is ignored when the record has an all (§6.1), so it costs nothing then.
      if (term.kind === 'modifier' && hasAll) continue;
      tree.lookups++;
      if (tree.lookups > walkBound) {
        tree.truncated = true;
        break;
      }
      const target = term.kind === 'modifier' ? term.value : (term.domain ?? node.domain);
      if (hasMacro(target)) {
        tree.macros.push(term.text);
        continue;
      }
      const name = target.replace(/\.$/, '');
      if (term.kind === 'modifier' || term.name === 'include') {
        const child: SpfNode = { domain: name, via: term.text, records: [], children: [] };
        node.children.push(child);
        const childAnswer = await dns.txt(name);
        if (childAnswer.kind === 'nxdomain' || childAnswer.kind === 'nodata') tree.voidLookups.push({ term: term.text, domain: name });
        await visit(child, childAnswer);
        continue;
      }
      // a, mx and exists do not recurse; they count, and are void when they find nothing.
      if (term.name === 'ptr') continue; // needs the sender's IP: counted, not resolvable here
      const found = term.name === 'mx' ? await dns.mx(name) : await dns.address(name);
      if (found.kind === 'nxdomain' || found.kind === 'nodata') tree.voidLookups.push({ term: term.text, domain: name });
    }
    visiting.delete(key);
  };

  await visit(tree.root, top);
  return tree;
}

/** Every node of the tree, the top first. */
export function nodesOf(tree: SpfTree): SpfNode[] {
  const all: SpfNode[] = [];
  const walk = (n: SpfNode) => {
    all.push(n);
    n.children.forEach(walk);
  };
  walk(tree.root);
  return all;
}
