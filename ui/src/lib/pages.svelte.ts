// How much of a long list a view draws: a page of rows at first, a page more each time the
// person asks or the list's end comes into sight (components/MoreRows.svelte), so a fleet of
// hundreds of models draws its first screen as fast as a fleet of ten.

export class Pages {
  /** Rows drawn so far. */
  drawn = $state(0);

  constructor(readonly size = 100) {
    this.drawn = size;
  }

  /** The rows of `rows` drawn now. */
  of<T>(rows: T[]): T[] {
    return rows.length > this.drawn ? rows.slice(0, this.drawn) : rows;
  }

  /** Draws one page more. */
  more(): void {
    this.drawn += this.size;
  }

  /** Draws pages until row `index` is drawn (a keyboard may move to a row not drawn yet). */
  reach(index: number): void {
    if (index >= this.drawn) this.drawn = Math.ceil((index + 1) / this.size) * this.size;
  }
}
