/**
 * The one rule engine behind every judgement mailcheck makes from facts: the SMTP and Resend
 * diagnoses (`diagnose/`), lint (`config/lint.ts`) and the DNS judgement (`dns/rules.ts`). A table
 * is an ordered list of pure rules; the first whose `matches` holds makes the result. Each rule
 * carries the id of what it makes, so a table knows every id its results can carry: the public id
 * lists (README, JSON) are read off the tables, never kept by hand, and tests reach every one.
 *
 * Generic over what a rule reads (`In`, the arguments of `matches` and `make`: a failure and its
 * context, the resolved configuration, a DNS lookup) and what it makes (`Out`: a diagnosis, a lint
 * finding, a check row). On the ground floor so that config, below diagnose, can use it too.
 */
export interface Rule<In extends readonly unknown[], Out, Id extends string> {
  /** Stable id of what the rule makes (a diagnosis id, a lint id, a check id). */
  readonly id: Id;
  matches(...input: In): boolean;
  make(...input: In): Out;
}

/** An ordered table without a catch-all: the first rule that matches decides, and when none does there is nothing to say. */
export class FirstMatchTable<In extends readonly unknown[], Out, Id extends string> {
  /** Every id a result can carry, each once, in table order. */
  readonly ids: readonly Id[];

  constructor(readonly rules: readonly Rule<In, Out, Id>[]) {
    this.ids = [...new Set(rules.map((r) => r.id))];
  }

  first(...input: In): Out | undefined {
    return this.rules.find((r) => r.matches(...input))?.make(...input);
  }
}

/** An ordered table with a catch-all, which answers when no rule matches: it always has a result. */
export class CatchAllTable<In extends readonly unknown[], Out, Id extends string> {
  readonly ids: readonly Id[];

  constructor(
    readonly rules: readonly Rule<In, Out, Id>[],
    private readonly fallback: Rule<In, Out, Id>,
  ) {
    this.ids = [...new Set([...rules.map((r) => r.id), fallback.id])];
  }

  decide(...input: In): Out {
    return (this.rules.find((r) => r.matches(...input)) ?? this.fallback).make(...input);
  }
}
