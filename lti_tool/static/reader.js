// The page's reader of a submitted PDF (or the PDF made from a DOCX or ODT): pdf.js, served by the tool itself, draws
// one page at a time on a canvas, with buttons and a page number for moving through it and zoom buttons; everything
// works by keyboard. The page's text lies over the canvas, transparent (pdf.js's text layer): screen readers read it,
// and it can be selected and searched. While a reading copy is prepared, the reader asks the server until it is ready.
import { getDocument, GlobalWorkerOptions, TextLayer } from "./pdfjs/pdf.min.mjs";

GlobalWorkerOptions.workerSrc = new URL("./pdfjs/pdf.worker.min.mjs", import.meta.url).href;

const ZOOM_STEPS = [0.5, 0.75, 1, 1.25, 1.5, 2, 3];
const POLL_MILLISECONDS = 2000;
const POLL_LIMIT = 90; // three minutes: far beyond a conversion's time limit

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

class PdfReader {
  constructor(root) {
    this.root = root;
    this.controls = root.querySelector(".reader-controls");
    this.pages = root.querySelector(".reader-pages");
    this.canvas = root.querySelector("canvas");
    this.sheet = root.querySelector(".reader-sheet");
    this.textLayer = root.querySelector(".textLayer");
    this.status = root.querySelector(".reader-status");
    this.pageInput = root.querySelector("[data-action=page]");
    this.count = root.querySelector(".reader-count");
    this.zoomText = root.querySelector(".reader-zoom");
    this.document = null;
    this.pageNumber = 1;
    this.zoom = 1; // relative to the page fitted to the reader's width
    this.drawing = false;
    this.pending = false;
  }

  async open() {
    try {
      this.document = await getDocument({ url: this.root.dataset.source, withCredentials: true }).promise;
    } catch (error) {
      this.fail(error);
      return;
    }
    this.pageInput.max = String(this.document.numPages);
    this.controls.hidden = false;
    this.pages.hidden = false;
    this.status.hidden = true;
    this.root.querySelector("[data-action=previous]").addEventListener("click", () => this.show(this.pageNumber - 1));
    this.root.querySelector("[data-action=next]").addEventListener("click", () => this.show(this.pageNumber + 1));
    this.root.querySelector("[data-action=zoom-in]").addEventListener("click", () => this.step(1));
    this.root.querySelector("[data-action=zoom-out]").addEventListener("click", () => this.step(-1));
    this.root.querySelector("[data-action=fit]").addEventListener("click", () => { this.zoom = 1; this.draw(); });
    this.pageInput.addEventListener("change", () => this.show(Number(this.pageInput.value)));
    // Page Up and Page Down turn pages while the page itself has the focus, as in other document readers.
    this.pages.addEventListener("keydown", (event) => {
      if (event.key === "PageDown") { event.preventDefault(); this.show(this.pageNumber + 1); }
      if (event.key === "PageUp") { event.preventDefault(); this.show(this.pageNumber - 1); }
    });
    let width = this.pages.clientWidth;
    new ResizeObserver(() => {
      if (this.pages.clientWidth !== width) { width = this.pages.clientWidth; this.draw(); }
    }).observe(this.pages);
    await this.show(1);
  }

  fail(error) {
    console.error("peerlti reader:", error);
    this.controls.hidden = true;
    this.pages.hidden = true;
    this.status.hidden = false;
    this.status.textContent = this.root.dataset.failedText;
  }

  step(direction) {
    const index = ZOOM_STEPS.findIndex((zoom) => zoom >= this.zoom - 1e-6);
    const next = Math.min(ZOOM_STEPS.length - 1, Math.max(0, (index === -1 ? ZOOM_STEPS.length - 1 : index) + direction));
    this.zoom = ZOOM_STEPS[next];
    this.draw();
  }

  async show(number) {
    const pages = this.document.numPages;
    this.pageNumber = Math.min(pages, Math.max(1, Math.round(number) || 1));
    await this.draw();
  }

  async draw() {
    // One drawing at a time, from the page number to the words: a request during one is drawn once it ends, with the
    // page and zoom asked for last. Two drawings at once would race for the canvas and the text layer.
    if (this.drawing) { this.pending = true; return; }
    this.drawing = true;
    this.root.dataset.drawing = "";
    try {
      do {
        this.pending = false;
        await this.drawPage(this.pageNumber, this.zoom);
      } while (this.pending);
    } finally {
      this.drawing = false;
      delete this.root.dataset.drawing;
    }
  }

  async drawPage(number, zoom) {
    const pages = this.document.numPages;
    const page = await this.document.getPage(number);
    const natural = page.getViewport({ scale: 1 });
    const fitted = Math.max(0.1, (this.pages.clientWidth - 2) / natural.width);
    const viewport = page.getViewport({ scale: fitted * zoom });
    const ratio = window.devicePixelRatio || 1;
    this.canvas.width = Math.floor(viewport.width * ratio);
    this.canvas.height = Math.floor(viewport.height * ratio);
    this.canvas.style.width = `${Math.floor(viewport.width)}px`;
    this.canvas.style.height = `${Math.floor(viewport.height)}px`;
    this.sheet.style.width = this.canvas.style.width;
    this.sheet.style.height = this.canvas.style.height;
    // The variables pdf.js's text layer sizes itself and its words by (its viewer sets them on each page).
    this.sheet.style.setProperty("--total-scale-factor", String(viewport.scale));
    this.sheet.style.setProperty("--scale-round-x", "1px");
    this.sheet.style.setProperty("--scale-round-y", "1px");
    const words = { page: number, pages };
    this.canvas.setAttribute("aria-label", fill(this.root.dataset.canvasLabel, words));
    this.pageInput.value = String(number);
    this.count.textContent = fill(this.root.dataset.countText, words);
    this.root.querySelector(".reader-announce").textContent = fill(this.root.dataset.pageText, words);
    this.zoomText.textContent = fill(this.root.dataset.zoomText, { percent: Math.round(zoom * 100) });
    const previous = this.root.querySelector("[data-action=previous]");
    const next = this.root.querySelector("[data-action=next]");
    const focused = document.activeElement;
    previous.disabled = number <= 1;
    next.disabled = number >= pages;
    // A button disabled under the keyboard's focus would drop the focus to the page's start: it moves to the other.
    if (focused === next && next.disabled && !previous.disabled) { previous.focus(); }
    if (focused === previous && previous.disabled && !next.disabled) { next.focus(); }
    this.root.dataset.page = String(number);
    this.root.dataset.pages = String(pages);
    const rendering = page.render({
      canvas: this.canvas,
      canvasContext: this.canvas.getContext("2d"),
      viewport,
      transform: ratio === 1 ? null : [ratio, 0, 0, ratio, 0, 0],
    });
    try {
      await rendering.promise;
      this.textLayer.replaceChildren();
      await new TextLayer({ textContentSource: page.streamTextContent(), container: this.textLayer, viewport }).render();
      this.root.dataset.drawn = String(number);
    } catch (error) {
      this.fail(error);
    }
  }
}

async function waitForCopy(root) {
  for (let attempt = 0; attempt < POLL_LIMIT; attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MILLISECONDS));
    let answer;
    try {
      const response = await fetch(root.dataset.status, { credentials: "same-origin", cache: "no-store" });
      answer = response.ok ? await response.json() : null;
    } catch (error) {
      answer = null; // the network or the server paused: ask again
    }
    if (answer?.view === "pdf") { return true; }
    if (answer?.view === "unavailable") {
      root.querySelector(".reader-status").textContent = answer.reason;
      return false;
    }
  }
  return false;
}

async function start(root) {
  if (root.dataset.view === "preparing") {
    if (!(await waitForCopy(root))) { return; }
    root.dataset.view = "pdf";
  }
  await new PdfReader(root).open();
}

for (const root of document.querySelectorAll(".reader[data-view=pdf], .reader[data-view=preparing]")) {
  start(root);
}
