// @ts-check
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { Follower, SLACK_PX } from "../follow.js";

/** A scrolling box with 1000 px of content in a 100 px window, in the page or not. */
function fakeBox() {
  const box = {
    scrollHeight: 1000,
    clientHeight: 100,
    scrollTop: 0,
    isConnected: true,
    addEventListener() {},
    removeEventListener() {},
  };
  return box;
}

describe("Follower", () => {
  it("stops following when the reader scrolls up, and follows again at the bottom", () => {
    const box = fakeBox();
    /** @type {boolean[]} */
    const changes = [];
    const follower = new Follower(/** @type {any} */ (box), (following) => changes.push(following));
    follower.update();
    assert.equal(box.scrollTop, 1000);
    box.scrollTop = 400;
    follower.onScroll();
    follower.update(); // new content: the reader stays where they are
    assert.equal(box.scrollTop, 400);
    box.scrollTop = 900 - SLACK_PX;
    follower.onScroll();
    assert.deepEqual(changes, [false, true]);
  });

  it("puts a box that left the page and came back where the reader was", () => {
    const box = fakeBox();
    const follower = new Follower(/** @type {any} */ (box), () => {});
    box.scrollTop = 400;
    follower.onScroll();
    // Out of the page the offset reads 0, and a scroll event then is not the reader's;
    // nor is one when the box is back but not yet restored.
    follower.hold();
    box.isConnected = false;
    box.scrollTop = 0;
    follower.onScroll();
    box.isConnected = true;
    follower.onScroll();
    follower.restore();
    assert.equal(box.scrollTop, 400);
    assert.equal(follower.following, false);
  });

  it("puts a followed box back at the bottom, however much it grew meanwhile", () => {
    const box = fakeBox();
    const follower = new Follower(/** @type {any} */ (box), () => {});
    follower.update();
    follower.hold();
    box.scrollTop = 0;
    box.scrollHeight = 5000;
    follower.onScroll();
    follower.restore();
    assert.equal(box.scrollTop, 5000);
    assert.equal(follower.following, true);
  });
});
