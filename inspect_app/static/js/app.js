// Small enhancements for every page. The pages work without them.
"use strict";

// Ask before destructive actions: <form data-confirm="…">.
document.addEventListener("submit", (event) => {
  const form = event.target;
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
