/**
 * Progress of a long simulation, on stderr: on a terminal one line redrawn in place (shown only once the work has
 * taken `delayMs`, so quick runs print nothing), elsewhere (with --progress) a line at most every `intervalMs`
 * and one at the end.
 */
export class Progress {
  private done = 0;
  private readonly started: number;
  private lastShown: number;
  private drawn = false;

  constructor(
    private readonly total: number,
    private readonly write: (text: string) => void,
    private readonly options: { tty: boolean; delayMs?: number; intervalMs?: number; now?: () => number },
  ) {
    this.started = this.now();
    this.lastShown = this.started;
  }

  private now(): number {
    return this.options.now?.() ?? performance.now();
  }

  private line(what: string): string {
    const pct = this.total === 0 ? 100 : Math.floor((this.done / this.total) * 100);
    const seconds = ((this.now() - this.started) / 1000).toFixed(1);
    return `spinvm simulate: ${String(pct).padStart(3)}% (${this.done}/${this.total} runs, ${seconds} s)${what ? ` ${what}` : ''}`;
  }

  /** One more run is done; `what` names it (`lru, 32 frames`). */
  step(what = ''): void {
    this.done++;
    const t = this.now();
    const tty = this.options.tty;
    const delay = tty ? (this.options.delayMs ?? 300) : 0;
    const interval = this.options.intervalMs ?? (tty ? 100 : 1000);
    if (t - this.started < delay || t - this.lastShown < interval || this.done >= this.total) return;
    this.lastShown = t;
    if (tty) {
      this.write(`\r\x1b[K${this.line(what)}`);
      this.drawn = true;
    } else this.write(`${this.line(what)}\n`);
  }

  /** The work is over: a terminal's line is cleared; elsewhere a last line says how long it took. */
  finish(): void {
    if (this.options.tty) {
      if (this.drawn) this.write('\r\x1b[K');
    } else this.write(`${this.line('done')}\n`);
  }
}
