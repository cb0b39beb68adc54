/**
 * The six terminal styles mailcheck prints, as ANSI SGR codes (the 16-colour set every terminal
 * has). chalk did this, and cost ~5 ms to load on every run (it builds every style it knows and
 * probes the terminal) for codes that never change; whether to colour is decided once, in
 * mode.ts. Nesting behaves as with chalk: a style re-opens itself after an inner style's closing
 * code, and closes before each line break and re-opens after it (so a pager or a CI log that
 * styles line by line shows the same).
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

const codes: Record<keyof Styles, [open: number, close: number]> = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
};

const plain: Style = (text) => text;

export function styles(color: boolean): Styles {
  const entries = Object.entries(codes).map(([name, [on, off]]) => {
    const open = `\u001b[${on}m`;
    const close = `\u001b[${off}m`;
    const style: Style = (text) => {
      if (text === '') return text;
      const nested = text.includes('\u001b') ? text.replaceAll(close, close + open) : text;
      return open + nested.replace(/\r?\n/g, (lineBreak) => close + lineBreak + open) + close;
    };
    return [name, color ? style : plain];
  });
  return Object.fromEntries(entries) as unknown as Styles;
}
