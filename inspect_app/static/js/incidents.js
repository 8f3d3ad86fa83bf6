// The incident report form: the reporter's own time zone chosen for them, and the 24-hour deadline shown as soon
// as the time found is entered. The form works without it (the bureau's zone, the deadline on the next page).
"use strict";

const form = document.querySelector("form[data-incident-form]");
if (form) {
  const zone = form.querySelector("select[name=zone]");
  const found = form.querySelector("input[name=found_at]");
  const hint = form.querySelector("[data-deadline]");
  const bureauZone = zone.dataset.bureauZone;
  const own = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const untouched = !form.querySelector(".flash-error");
  if (own && own !== bureauZone && untouched) {
    if (![...zone.options].some((option) => option.value === own)) zone.add(new Option(own, own));
    zone.value = own;
  }
  const show = () => {
    // The browser reads the picker's value in its own zone: the preview is right only when that zone is chosen.
    if (!found.value || zone.value !== own) return;
    const due = new Date(new Date(found.value).getTime() + 24 * 3600 * 1000);
    if (Number.isNaN(due.getTime())) return;
    const text = due.toLocaleString("zh-CN", { timeZone: bureauZone, year: "numeric", month: "2-digit",
      day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false });
    hint.textContent = hint.dataset.template.replace("%(when)s", text);
  };
  found.addEventListener("change", show);
  zone.addEventListener("change", show);
  show();
}
