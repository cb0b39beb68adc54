import type { FailureClass } from '../exit-codes.js';
import { priorityOrder, type Diagnosis, type DiagnosisTexts } from './types.js';

/**
 * The one rule engine behind every table of diagnoses (SMTP failures, Resend API failures): an
 * ordered list of pure rules, where the first whose `matches` holds makes the diagnosis, and a
 * catch-all that always matches. Each table states how its failures quote the other side
 * (`serverSaid`); everything else, the ids, the exit class and the order of fixes, is shared.
 */
export interface Rule<F, C, Id extends string = string> {
  /** Stable id, equal to the `id` of every diagnosis the rule produces. */
  readonly id: Id;
  matches(failure: F, ctx: C): boolean;
  diagnose(failure: F, ctx: C): Diagnosis;
}

type RuleClass<F, C> = FailureClass | ((failure: F, ctx: C) => FailureClass);

export interface RuleKit<F, C> {
  rule<Id extends string>(id: Id, cls: RuleClass<F, C>, matches: (f: F, ctx: C) => boolean, make: (f: F, ctx: C) => DiagnosisTexts): Rule<F, C, Id>;
}

/**
 * A rule factory for one kind of failure. `serverSaid` picks the other side's words out of a
 * failure (already scrubbed and terminal-safe); `summary` may normalise the summary's text.
 */
export function ruleKit<F, C>(o: { serverSaid: (failure: F) => string | undefined; summary?: (text: string) => string }): RuleKit<F, C> {
  return {
    rule(id, cls, matches, make) {
      return {
        id,
        matches,
        diagnose(f, ctx) {
          const t = make(f, ctx);
          const d: Diagnosis = {
            id,
            class: typeof cls === 'function' ? cls(f, ctx) : cls,
            summary: o.summary ? o.summary(t.summary) : t.summary,
            causes: t.causes,
            fixes: priorityOrder(t.fixes),
          };
          const said = o.serverSaid(f);
          if (said) d.serverSaid = said;
          return d;
        },
      };
    },
  };
}

/** An ordered table and its catch-all; `ids` lists every id a diagnosis from it can carry. */
export class RuleTable<F, C, Id extends string> {
  readonly ids: readonly Id[];

  constructor(
    readonly rules: readonly Rule<F, C, Id>[],
    private readonly fallback: Rule<F, C, Id>,
  ) {
    this.ids = [...rules.map((r) => r.id), fallback.id];
  }

  diagnose(failure: F, ctx: C): Diagnosis {
    return (this.rules.find((r) => r.matches(failure, ctx)) ?? this.fallback).diagnose(failure, ctx);
  }
}
