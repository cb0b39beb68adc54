import { Chalk } from 'chalk';

/**
 * The six terminal styles mailcheck prints, in one place: the human report, the probe grid and
 * the .env diff all take them from here. Whether to colour is decided once, in mode.ts; chalk
 * (the design card's choice) writes the codes, including nesting and line breaks.
 */
export interface Styles {
  bold: Style;
  dim: Style;
  red: Style;
  green: Style;
  yellow: Style;
  cyan: Style;
}

export type Style = (text: string) => string;

export function styles(color: boolean): Styles {
  // Level 1: the 16-colour set every terminal has.
  const c = new Chalk({ level: color ? 1 : 0 });
  return { bold: c.bold, dim: c.dim, red: c.red, green: c.green, yellow: c.yellow, cyan: c.cyan };
}
