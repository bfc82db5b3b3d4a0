// @ts-check
/**
 * Auto-scroll: keep the newest text in sight while the reader is at the bottom; stop when
 * they scroll up to read, and start again once they are back at the bottom.
 */

/** Pixels from the bottom that still count as "at the bottom". */
export const SLACK_PX = 24;

/**
 * @param {{ scrollHeight: number, scrollTop: number, clientHeight: number }} box
 */
export function atBottom(box) {
  return box.scrollHeight - box.scrollTop - box.clientHeight <= SLACK_PX;
}

export class Follower {
  #box;
  #onChange;
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
    const following = atBottom(this.#box);
    if (following !== this.following) {
      this.following = following;
      this.#onChange(following);
    }
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
