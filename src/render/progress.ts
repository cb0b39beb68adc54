import type { Ora } from 'ora';
import type { OutputMode } from './mode.js';

/** A spinner on stderr for a person at a terminal; nothing at all otherwise. */
export interface Progress {
  update(text: string): void;
  /** Hides the spinner while `print` writes a line, then shows it again. */
  around(print: () => void): void;
  stop(): void;
}

/** No spinner: for every run that is not a person at a terminal, and for the library. */
export const silentProgress: Progress = { update() {}, around: (print) => print(), stop() {} };

export function createProgress(mode: OutputMode): Progress {
  return mode.interactive ? new Spinner() : silentProgress;
}

/**
 * ora costs ~85 ms to import. Waiting for it would hold the connection back by as much, so it
 * loads in the background on the first update (when a check starts) and the spinner appears
 * once it has, showing the latest text.
 */
class Spinner implements Progress {
  private ora: Ora | undefined;
  private text = '';
  private spinning = false;
  private loading = false;

  update(text: string): void {
    this.text = text;
    this.spinning = true;
    if (!this.ora) {
      this.load();
      return;
    }
    this.ora.text = text;
    if (!this.ora.isSpinning) this.ora.start();
  }

  around(print: () => void): void {
    const shown = this.ora?.isSpinning === true;
    if (shown) this.ora!.clear();
    print();
    if (shown) this.ora!.render();
  }

  stop(): void {
    this.spinning = false;
    this.ora?.stop();
  }

  private load(): void {
    if (this.loading) return;
    this.loading = true;
    import('ora').then(
      ({ default: ora }) => {
        this.ora = ora({ stream: process.stderr, discardStdin: false });
        if (this.spinning) this.ora.start(this.text);
      },
      () => {}, // a check without a spinner loses nothing
    );
  }
}
