import type { OutputMode } from './mode.js';

/** A spinner on stderr for a person at a terminal; nothing at all otherwise. */
export interface Progress {
  update(text: string): void;
  /** Hides the spinner while `print` writes a line, then shows it again. */
  around(print: () => void): void;
  stop(): void;
}

const silent: Progress = { update() {}, around: (print) => print(), stop() {} };

export async function createProgress(mode: OutputMode): Promise<Progress> {
  if (!mode.interactive) return silent;
  // ora costs ~85 ms to import: only pay it when a spinner will actually be seen.
  const { default: ora } = await import('ora');
  const spinner = ora({ stream: process.stderr, discardStdin: false });
  return {
    update(text) {
      spinner.text = text;
      if (!spinner.isSpinning) spinner.start();
    },
    around(print) {
      const spinning = spinner.isSpinning;
      if (spinning) spinner.clear();
      print();
      if (spinning) spinner.render();
    },
    stop() {
      spinner.stop();
    },
  };
}
