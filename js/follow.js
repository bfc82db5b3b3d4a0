// @ts-check
/**
 * Auto-scroll: keep the newest text in sight while the reader is at the bottom; stop when
 * they scroll up to read, and start again once they are back at the bottom.
 */

/** Pixels from the bottom that still count as "at the bottom". */
export const SLACK_PX = 24;

/**
 * @typedef {{ scrollHeight: number, scrollTop: number, clientHeight: number }} ScrollBox
 */

/** @param {ScrollBox} box */
export function atBottom(box) {
  return box.scrollHeight - box.scrollTop - box.clientHeight <= SLACK_PX;
}

export class Follower {
  #box;
  #onChange;
  /** The reader's offset, as of the last scroll while the box was in the page. */
  #top = 0;
  /** Between `hold()` and `restore()`: scroll events are the page's, not the reader's. */
  #held = false;
  following = true;

  /**
   * @param {HTMLElement} box the scrolling element
   * @param {(following: boolean) => void} onChange e.g. to show a "jump to latest" button
   */
  constructor(box, onChange) {
    this.#box = box;
    this.#onChange = onChange;
    this.onScroll = this.onScroll.bind(this);
    box.addEventListener("scroll", this.onScroll, { passive: true });
  }

  /** After new content: scroll to it if following. */
  update() {
    if (this.following) this.#box.scrollTop = this.#box.scrollHeight;
  }

  onScroll() {
    // A box taken out of the page loses its offset (it reads 0): that is not the reader.
    if (this.#held || !this.#box.isConnected) return;
    this.#top = this.#box.scrollTop;
    const following = atBottom(this.#box);
    if (following !== this.following) {
      this.following = following;
      this.#onChange(following);
    }
  }

  /**
   * The box was taken out of the page (JupyterLab re-renders an output that way) and
   * will be put back, without its offset: until `restore()`, scrolls are not the reader's.
   */
  hold() {
    this.#held = true;
  }

  /** The box is back in the page: back to where the reader was. */
  restore() {
    this.#held = false;
    this.#box.scrollTop = this.following ? this.#box.scrollHeight : this.#top;
  }

  /** Go to the newest content and follow it again. */
  resume() {
    this.#box.scrollTop = this.#box.scrollHeight;
    this.onScroll();
  }

  dispose() {
    this.#box.removeEventListener("scroll", this.onScroll);
  }
}
