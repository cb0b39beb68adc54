import type { FailureClass } from '../exit-codes.js';
import { CatchAllTable, type Rule as EngineRule } from '../rule-engine.js';
import { priorityOrder, type Diagnosis, type DiagnosisTexts } from './types.js';

/**
 * Diagnoses on the rule engine (src/rule-engine.ts): a failure and its context in, a diagnosis out.
 * Each table (SMTP failures, Resend API failures, DNS judgements) states how its failures quote the
 * other side (`serverSaid`); everything else, the ids, the exit class and the order of fixes, is
 * shared. Every table has a catch-all, so every failure gets a diagnosis.
 */
type Rule<F, C, Id extends string> = EngineRule<[F, C], Diagnosis, Id>;

type RuleClass<F, C> = FailureClass | ((failure: F, ctx: C) => FailureClass);

export interface RuleKit<F, C> {
  rule<Id extends string>(id: Id, cls: RuleClass<F, C>, matches: (f: F, ctx: C) => boolean, make: (f: F, ctx: C) => DiagnosisTexts): Rule<F, C, Id>;
}

/**
 * A rule factory for one kind of failure. `serverSaid` picks the other side's words out of a
 * failure (already scrubbed and terminal-safe); `summary` may normalise the summary's text. Rules
 * write their fixes alternatives first and the fix last, unless the table's fixes are steps.
 */
export function ruleKit<F, C>(o: {
  serverSaid: (failure: F) => string | undefined;
  summary?: (text: string) => string;
  /** The table's rules write their fixes as steps in the order they are done, which already is the priority order. */
  fixesAreSteps?: true;
}): RuleKit<F, C> {
  return {
    rule(id, cls, matches, make) {
      return {
        id,
        matches,
        make(f, ctx) {
          const t = make(f, ctx);
          const d: Diagnosis = {
            id,
            class: typeof cls === 'function' ? cls(f, ctx) : cls,
            summary: o.summary ? o.summary(t.summary) : t.summary,
            causes: t.causes,
            fixes: o.fixesAreSteps ? [...t.fixes] : priorityOrder(t.fixes),
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
export class RuleTable<F, C, Id extends string> extends CatchAllTable<[F, C], Diagnosis, Id> {
  diagnose(failure: F, ctx: C): Diagnosis {
    return this.decide(failure, ctx);
  }
}
