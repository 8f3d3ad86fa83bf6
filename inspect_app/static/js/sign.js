// Signature pads: draw with a finger or stylus; the drawing goes with the form as a PNG.
"use strict";

(() => {
  const form = document.querySelector("[data-sign-form]");
  if (!form) return;
  const drawn = new Map();

  for (const canvas of form.querySelectorAll("canvas[data-pad]")) {
    const role = canvas.dataset.pad;
    const context = canvas.getContext("2d");
    context.lineWidth = 3;
    context.lineCap = "round";
    context.lineJoin = "round";
    context.strokeStyle = "#111";
    let last = null;
    const point = (event) => {
      const box = canvas.getBoundingClientRect();
      return [(event.clientX - box.left) * (canvas.width / box.width), (event.clientY - box.top) * (canvas.height / box.height)];
    };
    canvas.addEventListener("pointerdown", (event) => {
      canvas.setPointerCapture(event.pointerId);
      last = point(event);
      event.preventDefault();
    });
    canvas.addEventListener("pointermove", (event) => {
      if (!last) return;
      const next = point(event);
      context.beginPath();
      context.moveTo(...last);
      context.lineTo(...next);
      context.stroke();
      last = next;
      drawn.set(role, true);
      event.preventDefault();
    });
    const end = () => { last = null; };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    form.querySelector(`[data-clear="${role}"]`).addEventListener("click", () => {
      context.clearRect(0, 0, canvas.width, canvas.height);
      drawn.delete(role);
    });
  }

  form.addEventListener("submit", (event) => {
    const error = form.querySelector("[data-sign-error]");
    const names = [...form.querySelectorAll("input[name$=_name]")].every((i) => i.value.trim());
    if (drawn.size < 2 || !names) {
      event.preventDefault();
      error.hidden = false;
      return;
    }
    if (!window.confirm(form.querySelector("[data-confirm-text]").dataset.confirmText)) {
      event.preventDefault();
      return;
    }
    for (const canvas of form.querySelectorAll("canvas[data-pad]")) {
      form.querySelector(`[data-signature="${canvas.dataset.pad}"]`).value = canvas.toDataURL("image/png");
    }
  }, true);
})();
