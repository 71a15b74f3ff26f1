/**
 * What a visitor sees of a page, for the browser tests of the demo and the training page: a
 * full-page screenshot kept under test-results/screenshots/ (which `npm test` clears at its start
 * and CI keeps), and what sticks out sideways: a page wider than its viewport scrolls sideways on
 * a phone, and an element wider than the viewport is cut off or makes it scroll.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { PACKAGE_ROOT } from './bundle.js';

export const SCREENSHOT_DIR = join(PACKAGE_ROOT, '..', '..', 'test-results', 'screenshots');

/** A laptop and a phone (an iPhone 12-14's CSS pixels). */
export const DESKTOP = { width: 1280, height: 800 } as const;
export const PHONE = { width: 390, height: 844 } as const;

export interface Protrusion {
  /** The element as a selector-like path, through shadow roots (`host >> inner`). */
  element: string;
  left: number;
  right: number;
}

export interface SidewaysView {
  innerWidth: number;
  /** document.scrollingElement.scrollWidth: more than innerWidth means the page scrolls sideways. */
  scrollWidth: number;
  /** Elements whose visible box (clipped by every ancestor that clips overflow) reaches past either side of the viewport. */
  protruding: Protrusion[];
}

/**
 * The page's sideways extent, open shadow roots included. An element inside a box that clips its
 * overflow (overflow-x other than visible, e.g. a scrolling code block) counts only by the part
 * that box shows, since the rest is scrolled, not cut off; the clipping box itself is checked too.
 */
export function sidewaysView(page: Page): Promise<SidewaysView> {
  return page.evaluate(() => {
    // Half a pixel: sub-pixel layout rounds boxes that exactly fill the viewport.
    const slack = 0.5;
    const width = window.innerWidth;
    const name = (el: Element): string => el.localName + (el.id ? `#${el.id}` : '') + Array.from(el.classList).map((c) => `.${c}`).join('') + (el.getAttribute('part') ? `[part=${el.getAttribute('part')}]` : '');
    const protruding: { element: string; left: number; right: number }[] = [];
    const visit = (root: Document | ShadowRoot, path: string, clipLeft: number, clipRight: number, clipsOf: Map<Element, [number, number]>): void => {
      for (const el of Array.from(root.querySelectorAll('*'))) {
        // The tightest clip of the element's ancestors within this tree (the host's clip at the root of a shadow tree).
        let left = clipLeft;
        let right = clipRight;
        for (let a = el.parentElement; a !== null; a = a.parentElement) {
          const clip = clipsOf.get(a);
          if (clip !== undefined) {
            left = Math.max(left, clip[0]);
            right = Math.min(right, clip[1]);
          }
        }
        const box = el.getBoundingClientRect();
        const style = getComputedStyle(el);
        const shown = box.width > 0 && box.height > 0 && style.visibility !== 'hidden';
        const visibleLeft = Math.max(box.left, left);
        const visibleRight = Math.min(box.right, right);
        if (shown && visibleRight > visibleLeft && (visibleLeft < -slack || visibleRight > width + slack)) {
          protruding.push({ element: path + name(el), left: Math.round(visibleLeft), right: Math.round(visibleRight) });
        }
        if (style.overflowX !== 'visible') clipsOf.set(el, [Math.max(left, box.left), Math.min(right, box.right)]);
        if (el.shadowRoot) visit(el.shadowRoot, `${path}${name(el)} >> `, Math.max(left, clipsOf.get(el)?.[0] ?? -Infinity), Math.min(right, clipsOf.get(el)?.[1] ?? Infinity), new Map());
      }
    };
    visit(document, '', -Infinity, Infinity, new Map());
    return { innerWidth: width, scrollWidth: document.scrollingElement!.scrollWidth, protruding };
  });
}

/**
 * Sets the viewport, keeps a full-page screenshot as test-results/screenshots/<name>-<w>x<h>.png
 * and returns the page's sideways extent at that size.
 */
export async function viewAs(page: Page, name: string, viewport: { width: number; height: number }): Promise<SidewaysView> {
  await page.setViewportSize(viewport);
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}-${viewport.width}x${viewport.height}.png`), fullPage: true });
  return sidewaysView(page);
}
