import { Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram, CliRuns } from '../../src/cli.js';
import { commandFlags, globalFlags, valueKind } from '../../src/commands/flags.js';

/**
 * commands/flags.ts is the one home of every flag: cli.ts builds commander from it, and the
 * commands' and the library's option types are derived from its keys and spellings. These hold
 * the tables to what commander makes of them.
 */
const tables = { global: globalFlags, ...commandFlags };

describe('the flag tables', () => {
  for (const [table, flags] of Object.entries(tables)) {
    it(`${table}: each key is the name commander gives the value, and its kind follows the spelling`, () => {
      for (const [key, spec] of Object.entries(flags)) {
        const option = new Option(spec.flags, spec.help);
        expect(option.attributeName(), spec.flags).toBe(key);
        const kind = valueKind(spec);
        // A value flag is required-argument (`<x>`); a bare one is a switch, or a negation (`--no-x`).
        expect(option.required, spec.flags).toBe(kind !== 'boolean');
        if (option.negate) expect(kind).toBe('boolean');
      }
    });
  }

  it('the program has exactly the flags of the tables, on each command', () => {
    const program = buildProgram(new CliRuns(new AbortController().signal));
    const names = (options: readonly Option[]) => options.map((o) => o.attributeName()).filter((name) => name !== 'version' && name !== 'help');
    expect(names(program.options)).toEqual(Object.keys(globalFlags));
    for (const command of program.commands) {
      expect(names(command.options), command.name()).toEqual(Object.keys(commandFlags[command.name() as keyof typeof commandFlags]));
    }
    expect(program.commands.map((c) => c.name()).sort()).toEqual(Object.keys(commandFlags).sort());
  });
});
