// Small enhancements for every page. The pages work without them.
"use strict";

// Ask before destructive actions: <form data-confirm="…">.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (event.defaultPrevented) return;
  const message = form.getAttribute && form.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
    return;
  }
  // One submission only: a double tap with gloves on must not post twice.
  if (form.dataset.submitted === "1") {
    event.preventDefault();
    return;
  }
  form.dataset.submitted = "1";
  setTimeout(() => { delete form.dataset.submitted; }, 4000);
});

// On a narrow screen tables read as cards (app.css): each cell is labelled with its column's heading, the
// first cell with a link heads the card, and the sort buttons above the cards say what they are.
for (const table of document.querySelectorAll("table.table")) {
  const head = table.tHead && table.tHead.rows[0];
  if (!head) continue;
  const headings = [...head.cells].map((cell) => {
    const copy = cell.cloneNode(true);
    for (const hidden of copy.querySelectorAll(".visually-hidden")) hidden.remove();
    return copy.textContent.replace(/[▲▼]/g, "").trim();
  });
  head.dataset.sortLabel = document.body.dataset.sortLabel || "";
  for (const body of table.tBodies) {
    for (const row of body.rows) {
      let column = 0;
      for (const cell of row.cells) {
        if (!cell.hasAttribute("data-label") && headings[column]) cell.dataset.label = headings[column];
        if (!cell.textContent.trim() && !cell.querySelector("a, button, input, img, svg")) cell.classList.add("cell-empty");
        column += cell.colSpan || 1;
      }
      const primary = [...row.cells].find((cell) => cell.querySelector("a"));
      if (primary && !row.querySelector(".cell-primary")) primary.classList.add("cell-primary");
    }
  }
}

// The service worker keeps the app usable offline; it needs HTTPS or localhost.
if ("serviceWorker" in navigator && window.isSecureContext) {
  navigator.serviceWorker.register("/sw.js").catch(() => {});
}

// The login page means whoever used the tablet before is gone, logged out or timed out: their cached pages
// and photos go with them (the outbox, in IndexedDB, stays until it is sent).
if (document.querySelector(".login-card")) navigator.serviceWorker?.controller?.postMessage("forget-pages");

// Logging out: warn when the outbox still holds work, and drop the cached copies of pages.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!form.matches || !form.matches("form[data-logout]") || event.defaultPrevented) return;
  const pending = Number(localStorage.getItem(`outbox:${form.dataset.user}`) || 0);
  if (pending > 0 && !window.confirm(form.dataset.pendingWarning.replace("%(n)s", String(pending)))) {
    event.preventDefault();
    delete form.dataset.submitted;
    return;
  }
  navigator.serviceWorker?.controller?.postMessage("forget-pages");
}, true);
