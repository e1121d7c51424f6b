/* Deep Dives hover previews (deepdive/research/previews.py): hovering, focusing or tapping a citation, a
 * footnote reference, an equation reference or a link to another page of the site shows what it
 * points to in a small tooltip, without leaving the page.
 *
 * Targets on the same page are cloned from the DOM (so typeset math keeps its rendering); targets
 * on other pages are fetched from the same origin once, parsed with DOMParser and cached. A
 * footnote whose sidenote is on screen is highlighted instead of repeated in a tooltip.
 * Mouse: hover opens after a short delay; the pointer may move into the tooltip. Keyboard: focus
 * opens, blur or Escape closes. Touch: a tap opens (the link is not followed), a second tap on the
 * same link follows it, a tap anywhere else closes. */
(() => {
  "use strict";

  const POPUP_ID = "dd-preview";
  const SCOPE = ".bd-article";
  const TRIGGERS = "a.footnote-reference[href], a.reference.internal[href]";
  const NOT_TRIGGERS = [
    ".headerlink", '[role="doc-backlink"]', "nav", ".toctree-wrapper", ".dd-post-header",
    ".dd-post-nav", ".dd-preview",
  ].join(", ");
  // Where the "first paragraph" of a page or section is not: metadata, asides, captions, notes.
  const NOT_PROSE = [
    "nav", "header", "footer", "aside", "figure", "table", ".admonition", ".sidebar", ".topic",
    ".dd-post-header", ".dd-sidenote", ".toctree-wrapper", ".dd-preview",
  ].join(", ");
  // What a preview never shows: permalinks, sidenote copies, footnote labels and back-links.
  const STRIP = ".headerlink, .dd-sidenote, script, style, .backrefs";
  const NOTE = '[role="doc-footnote"], .footnote, [role="doc-biblioentry"], .citation';
  const SHOW_DELAY = 150; // ms of hovering before a preview opens
  const HIDE_DELAY = 250; // ms to move the pointer from the link into the tooltip
  const TAP_WINDOW = 800; // ms within which a focus or click belongs to the pointerdown before it
  const EDGE = 8; // px kept free between the tooltip and the viewport's edges
  const GAP = 6; // px between the link and the tooltip

  const pages = new Map(); // page URL (without #hash) -> Promise<Document | null>
  let popup = null;
  let current = null; // { trigger, reasons: Set<"hover"|"focus"|"tap">, sidenote, shown }
  let generation = 0; // bumped on every close; an answer that arrives late is dropped
  let showTimer = 0;
  let hideTimer = 0;
  let suppressed = null; // the trigger whose preview Escape closed, until the reader leaves it
  let lastPointer = { type: "", time: -Infinity, target: null };

  // -- What a link points to ------------------------------------------------------------------

  /** The trigger link ``node`` is inside, if it has a preview. */
  function triggerOf(node) {
    const link = node instanceof Element ? node.closest(TRIGGERS) : null;
    return link && link.hasAttribute("data-dd-preview") ? link : null;
  }

  /** The URL a link points to, if a preview can show it: this page or an HTML page of this site. */
  function targetUrl(link) {
    let url;
    try {
      url = new URL(link.getAttribute("href"), document.baseURI);
    } catch {
      return null;
    }
    if (url.origin !== location.origin || !/^https?:$/.test(url.protocol)) return null;
    if (samePage(url)) return url.hash.length > 1 ? url : null;
    return /(\/|\.html?)$/.test(url.pathname) ? url : null;
  }

  function samePage(url) {
    return url.pathname === location.pathname && url.search === location.search;
  }

  function byId(doc, url) {
    const id = decodeURIComponent(url.hash.slice(1));
    return id ? doc.getElementById(id) : null;
  }

  /** The parsed page at ``url`` (fetched once per page), or null if it cannot be had. */
  function page(url) {
    const key = url.href.split("#")[0];
    if (!pages.has(key)) {
      pages.set(key, fetch(key, { credentials: "same-origin" })
        .then((response) => {
          const type = response.headers.get("Content-Type") || "";
          if (!response.ok || !type.includes("html")) return null;
          return response.text().then((html) => {
            const doc = new DOMParser().parseFromString(html, "text/html");
            return { doc, url: response.url || key };
          });
        })
        .catch(() => null));
    }
    return pages.get(key);
  }

  // -- What a preview shows --------------------------------------------------------------------

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  /** A copy of ``node`` for the tooltip: no ids, permalinks or sidenotes; links not focusable;
   * links and images made absolute when it comes from another page (``base``). */
  function copy(node, base) {
    const clone = document.importNode(node, true);
    for (const unwanted of clone.querySelectorAll(STRIP)) unwanted.remove();
    for (const el of [clone, ...clone.querySelectorAll("*")]) {
      el.removeAttribute("id");
      el.removeAttribute("aria-describedby");
      el.removeAttribute("data-dd-preview");
      if (el.matches("a[href]")) el.setAttribute("tabindex", "-1");
      if (base) {
        for (const attribute of ["href", "src"]) {
          const value = el.getAttribute(attribute);
          if (value !== null && !value.startsWith("#")) {
            el.setAttribute(attribute, new URL(value, base).href);
          } else if (value !== null && attribute === "href") {
            el.setAttribute(attribute, base.split("#")[0] + value);
          }
        }
      }
    }
    return clone;
  }

  function headingText(heading) {
    const clone = heading.cloneNode(true);
    for (const link of clone.querySelectorAll(".headerlink")) link.remove();
    return clone.textContent.trim();
  }

  function firstParagraph(root) {
    for (const p of root.querySelectorAll("p")) {
      if (p.closest(NOT_PROSE) || !p.textContent.trim()) continue;
      return p;
    }
    return null;
  }

  /** The page's title and first paragraph, or a section's heading and first paragraph. */
  function summary(section, doc, base, kind) {
    const box = element("div", "dd-preview__summary");
    const heading = section.querySelector(":scope > h1, :scope > h2, :scope > h3, :scope > h4, " +
                                          ":scope > h5, :scope > h6");
    const pageTitle = doc.querySelector(`${SCOPE} h1`) || doc.querySelector("h1");
    if (kind === "section" && pageTitle && heading && heading.tagName !== "H1" && base) {
      box.append(element("p", "dd-preview__context", headingText(pageTitle)));
    }
    const title = heading || pageTitle;
    if (title) box.append(element("p", "dd-preview__title", headingText(title)));
    const paragraph = firstParagraph(section);
    if (paragraph) box.append(copy(paragraph, base));
    return box.childNodes.length ? box : null;
  }

  /** What to show for ``target`` (an element of ``doc``): [kind, content] or null. */
  function preview(target, doc, base) {
    for (let hops = 0; target && hops < 3; hops++) {
      if (target.matches(NOTE)) {
        const box = element("div", "dd-preview__note");
        for (const child of target.children) {
          if (!child.matches(".label, .backrefs")) box.append(copy(child, base));
        }
        const kind = target.matches('[role="doc-biblioentry"], .citation') ? "citation" : "footnote";
        return [kind, box];
      }
      if (target.matches("div.math, .math-wrapper, [id^='equation-']")) {
        const box = element("div", "dd-preview__math");
        box.append(copy(target, base));
        return [ "equation", box ];
      }
      if (target.matches("section")) {
        const content = summary(target, doc, base, "section");
        return content && ["section", content];
      }
      if (target.textContent.trim() || target.matches("img, figure, table")) {
        return ["element", copy(target, base)];
      }
      // An empty anchor (MyST's heading slugs, `(label)=` targets): what it stands in front of.
      target = target.nextElementSibling && !target.nextElementSibling.matches("h1, h2, h3, h4, h5, h6")
        ? target.nextElementSibling : target.parentElement;
    }
    return null;
  }

  /** [kind, content] for a trigger, from this page or from the page it links to. */
  async function contentFor(trigger) {
    const url = targetUrl(trigger);
    if (!url) return null;
    if (samePage(url)) {
      const target = byId(document, url);
      return target && !target.closest(".dd-preview") ? preview(target, document, null) : null;
    }
    const fetched = await page(url);
    if (!fetched) return null;
    const { doc } = fetched;
    const base = new URL(url.hash, fetched.url).href;
    if (url.hash.length > 1) {
      const target = byId(doc, url);
      return target ? preview(target, doc, base) : null;
    }
    const title = doc.querySelector(`${SCOPE} h1`) || doc.querySelector("h1");
    const root = (title && title.closest("section")) || doc.querySelector(SCOPE) || doc.body;
    const content = summary(root, doc, base, "page");
    return content && ["page", content];
  }

  /** The sidenote of the footnote ``trigger`` refers to, if it is on screen right now. */
  function visibleSidenote(trigger) {
    if (!trigger.matches(".footnote-reference")) return null;
    const id = decodeURIComponent((trigger.getAttribute("href") || "").slice(1));
    const note = document.querySelector(`.dd-sidenote[data-dd-footnote="${CSS.escape(id)}"]`);
    if (!note || !note.getClientRects().length) return null;
    const box = note.getBoundingClientRect();
    const height = document.documentElement.clientHeight;
    return box.bottom > 0 && box.top < height ? note : null;
  }

  // -- Opening, placing and closing ------------------------------------------------------------

  function ensurePopup() {
    if (popup) return popup;
    popup = element("div", "dd-preview");
    popup.id = POPUP_ID;
    popup.setAttribute("role", "tooltip");
    popup.hidden = true;
    popup.addEventListener("pointerenter", (event) => {
      if (event.pointerType !== "touch" && current) open(current.trigger, "hover");
    });
    popup.addEventListener("pointerleave", (event) => {
      if (event.pointerType !== "touch" && current) release(current.trigger, "hover");
    });
    document.body.append(popup);
    return popup;
  }

  function describe(trigger, on) {
    const ids = (trigger.getAttribute("aria-describedby") || "").split(/\s+/)
      .filter((id) => id && id !== POPUP_ID);
    if (on) ids.push(POPUP_ID);
    if (ids.length) trigger.setAttribute("aria-describedby", ids.join(" "));
    else trigger.removeAttribute("aria-describedby");
  }

  function place(trigger) {
    const width = document.documentElement.clientWidth;
    const height = document.documentElement.clientHeight;
    const lines = trigger.getClientRects();
    const first = lines[0] || trigger.getBoundingClientRect();
    const whole = trigger.getBoundingClientRect();
    popup.style.maxWidth = `min(var(--dd-preview-width), ${Math.max(0, width - 2 * EDGE)}px)`;
    popup.style.maxHeight = "";
    popup.style.left = "0px";
    popup.style.top = "0px";
    const below = height - whole.bottom - GAP - EDGE;
    const above = whole.top - GAP - EDGE;
    let box = popup.getBoundingClientRect();
    const side = box.height <= below || below >= above ? "below" : "above";
    const room = Math.max(side === "below" ? below : above, 48);
    if (box.height > room) {
      popup.style.maxHeight = `${room}px`;
      box = popup.getBoundingClientRect();
    }
    const left = Math.max(EDGE, Math.min(first.left, width - EDGE - box.width));
    const top = side === "below" ? whole.bottom + GAP : whole.top - GAP - box.height;
    popup.style.left = `${Math.round(left)}px`;
    popup.style.top = `${Math.round(top)}px`;
    popup.dataset.side = side;
  }

  function close() {
    clearTimeout(showTimer);
    clearTimeout(hideTimer);
    generation += 1;
    if (!current) return;
    describe(current.trigger, false);
    if (current.sidenote) current.sidenote.classList.remove("dd-sidenote--active");
    if (popup) {
      popup.hidden = true;
      popup.replaceChildren();
      delete popup.dataset.kind;
    }
    current = null;
  }

  /** Open (or keep open) the preview of ``trigger`` for ``reason``: hover, focus or tap. */
  async function open(trigger, reason) {
    clearTimeout(hideTimer);
    if (current && current.trigger === trigger) {
      current.reasons.add(reason);
      return;
    }
    close();
    const ticket = generation;
    current = { trigger, reasons: new Set([reason]), sidenote: null, shown: false };
    const note = visibleSidenote(trigger);
    if (note) {
      note.classList.add("dd-sidenote--active");
      current.sidenote = note;
      current.shown = true;
      return;
    }
    let answer = null;
    try {
      answer = await contentFor(trigger);
    } catch {
      answer = null;
    }
    if (ticket !== generation) return; // closed or replaced while the page was being fetched
    if (!answer) {
      const tapped = current.reasons.has("tap");
      close();
      if (tapped) location.assign(trigger.href); // nothing to preview: a tap is an ordinary tap
      return;
    }
    const [kind, content] = answer;
    ensurePopup();
    popup.replaceChildren(content);
    popup.dataset.kind = kind;
    popup.hidden = false;
    place(trigger);
    describe(trigger, true);
    current.shown = true;
  }

  /** ``reason`` no longer holds the preview of ``trigger`` open; close it when nothing does. */
  function release(trigger, reason) {
    if (!current || current.trigger !== trigger) return;
    current.reasons.delete(reason);
    if (current.reasons.size) return;
    clearTimeout(hideTimer);
    if (reason === "hover") hideTimer = setTimeout(close, HIDE_DELAY);
    else close();
  }

  function recentPointerOn(trigger) {
    return performance.now() - lastPointer.time < TAP_WINDOW && lastPointer.target instanceof Node &&
      trigger.contains(lastPointer.target);
  }

  // -- Events ----------------------------------------------------------------------------------

  function onPointerOver(event) {
    if (event.pointerType === "touch") return;
    const trigger = triggerOf(event.target);
    if (!trigger || trigger.contains(event.relatedTarget) || trigger === suppressed) return;
    clearTimeout(showTimer);
    if (current && current.trigger === trigger) open(trigger, "hover");
    else showTimer = setTimeout(() => open(trigger, "hover"), SHOW_DELAY);
  }

  function onPointerOut(event) {
    if (event.pointerType === "touch") return;
    const trigger = triggerOf(event.target);
    if (!trigger || trigger.contains(event.relatedTarget)) return;
    clearTimeout(showTimer);
    if (trigger === suppressed) suppressed = null;
    release(trigger, "hover");
  }

  function onPointerDown(event) {
    lastPointer = { type: event.pointerType, time: performance.now(), target: event.target };
    if (!current) return;
    const inside = current.trigger.contains(event.target) || (popup && popup.contains(event.target));
    if (!inside) close();
  }

  function onFocusIn(event) {
    const trigger = triggerOf(event.target);
    if (!trigger || trigger === suppressed || recentPointerOn(trigger)) return;
    open(trigger, "focus");
  }

  function onFocusOut(event) {
    const trigger = triggerOf(event.target);
    if (!trigger) return;
    if (trigger === suppressed) suppressed = null;
    release(trigger, "focus");
  }

  function onClick(event) {
    const trigger = triggerOf(event.target);
    if (!trigger) return;
    const tapped = lastPointer.type === "touch" && recentPointerOn(trigger);
    if (tapped) {
      if (current && current.trigger === trigger && current.reasons.has("tap")) return; // 2nd tap
      event.preventDefault();
      suppressed = null;
      clearTimeout(showTimer);
      if (current && current.trigger === trigger) current.reasons.add("tap");
      else open(trigger, "tap");
      return;
    }
    const note = current && current.trigger === trigger ? current.sidenote : visibleSidenote(trigger);
    if (note) { // the footnote list is hidden while sidenotes show: point at the sidenote instead
      event.preventDefault();
      note.classList.add("dd-sidenote--active");
      note.scrollIntoView({ block: "nearest" });
      if (!current || current.trigger !== trigger) {
        setTimeout(() => note.classList.remove("dd-sidenote--active"), 1500);
      }
    }
  }

  function onKeyDown(event) {
    if (event.key !== "Escape" || !current) return;
    suppressed = current.trigger;
    close();
  }

  function reposition() {
    if (current && current.shown && popup && !popup.hidden) place(current.trigger);
  }

  function init() {
    // The previews' stylesheet is linked with media="not all", so that no page waits for it.
    for (const sheet of document.querySelectorAll("link[data-dd-deferred]")) sheet.media = "all";
    let found = false;
    for (const scope of document.querySelectorAll(SCOPE)) {
      for (const link of scope.querySelectorAll(TRIGGERS)) {
        if (link.closest(NOT_TRIGGERS) || !targetUrl(link)) continue;
        link.setAttribute("data-dd-preview", "");
        // The browser's own tooltip (citations carry the reference as a title) would cover ours.
        if (link.title) {
          link.dataset.ddTitle = link.title;
          link.removeAttribute("title");
        }
        found = true;
      }
    }
    if (!found) return;
    document.addEventListener("pointerover", onPointerOver);
    document.addEventListener("pointerout", onPointerOut);
    document.addEventListener("pointerdown", onPointerDown, true);
    document.addEventListener("focusin", onFocusIn);
    document.addEventListener("focusout", onFocusOut);
    document.addEventListener("click", onClick);
    document.addEventListener("keydown", onKeyDown);
    window.addEventListener("scroll", reposition, { passive: true });
    window.addEventListener("resize", reposition, { passive: true });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
