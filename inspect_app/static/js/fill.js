// Filling a checklist on a tablet, online or not.
//
// Every change is written first to an outbox in IndexedDB, then sent. An entry is removed only when
// the server has acknowledged it, so a reload, a closed tab or a restarted tablet loses nothing.
// Each write carries a UUID of its own: a write sent twice (say, the answer to the first try was
// lost) is stored once. Entries are kept per user and inspection, and wait while the user logs in
// again after a session expires.
"use strict";

(() => {
  const root = document.querySelector(".fill");
  if (!root) return;

  const inspectionId = Number(root.dataset.inspection);
  const userId = root.dataset.user;
  const text = root.querySelector("[data-messages]").dataset;
  const bar = document.querySelector("[data-sync-bar]");
  const forms = new Map([...root.querySelectorAll("form.item")].map((f) => [Number(f.dataset.item), f]));
  let csrfToken = root.querySelector("input[name=csrf_token]").value;
  let sending = false;
  let loginNeeded = false;
  let stopped = null; // a message when the server refuses every write (locked, not a member)
  let retryDelay = 2000;
  let retryTimer = null;
  let orderCounter = 0;

  const format = (template, values) => template.replace(/%\((\w+)\)s/g, (_, k) => String(values[k]));
  const keyOf = (itemId) => `${userId}:${inspectionId}:${itemId}`;
  const nextOrder = () => Date.now() * 1000 + (orderCounter++ % 1000);

  // IndexedDB ---------------------------------------------------------------------------------

  const dbReady = new Promise((resolve, reject) => {
    const request = indexedDB.open("inspect-offline", 1);
    request.onupgradeneeded = () => {
      const db = request.result;
      db.createObjectStore("writes", { keyPath: "key" });
      db.createObjectStore("photos", { keyPath: "uuid" });
      db.createObjectStore("answers", { keyPath: "key" });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });

  async function tx(store, mode, work) {
    const db = await dbReady;
    return new Promise((resolve, reject) => {
      const transaction = db.transaction(store, mode);
      let result;
      Promise.resolve(work(transaction.objectStore(store))).then((r) => { result = r; });
      transaction.oncomplete = () => resolve(result);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
  }
  const req = (request) => new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const getOne = (store, key) => tx(store, "readonly", (s) => req(s.get(key)));
  const putOne = (store, value) => tx(store, "readwrite", (s) => req(s.put(value)));
  const deleteOne = (store, key) => tx(store, "readwrite", (s) => req(s.delete(key)));
  const mine = (record) => record.userId === userId && record.inspectionId === inspectionId;
  const allMine = async (store) => (await tx(store, "readonly", (s) => req(s.getAll()))).filter(mine);

  // Read, change and write back one outbox entry in a single IndexedDB transaction, so that an edit, a
  // reply from the server and a tap on "keep mine" never overwrite each other. `change` returns the
  // entry to keep, or null to remove it.
  const updateEntry = (key, change) => tx("writes", "readwrite", async (store) => {
    const next = change(await req(store.get(key)));
    if (next === null) await req(store.delete(key));
    else await req(store.put(next));
    return next;
  });

  // Reading and showing a form ------------------------------------------------------------------

  function payloadOf(form) {
    const checked = form.querySelector("input[name=value]:checked");
    const field = form.querySelector("input[name=value]:not([type=radio]), textarea[name=value]");
    const value = checked ? checked.value : (field && field.value.trim() !== "" ? field.value.trim() : null);
    const read = (name) => {
      const el = form.elements.namedItem(name);
      return el && el.value.trim() !== "" ? el.value.trim() : null;
    };
    const failing = value === "partial" || value === "noncompliant";
    const sample = read("sample"); // a draw from a register (sampling.js), on an item that samples one
    return {
      value,
      note: read("note"),
      finding_text: failing ? read("finding_text") : null,
      severity: failing ? (read("severity") || form.dataset.suggestedSeverity) : null,
      na_reason: value === "not_applicable" ? read("na_reason") : null,
      sample: sample ? JSON.parse(sample) : null,
    };
  }

  function show(form, answer) {
    for (const radio of form.querySelectorAll("input[type=radio][name=value]")) {
      radio.checked = radio.value === answer.value;
    }
    const field = form.querySelector("input[name=value]:not([type=radio]), textarea[name=value]");
    if (field && document.activeElement !== field) field.value = answer.value ?? "";
    for (const name of ["note", "finding_text", "na_reason"]) {
      const el = form.elements.namedItem(name);
      if (el && document.activeElement !== el && (answer[name] !== null || name === "note")) el.value = answer[name] ?? "";
    }
    const severity = form.elements.namedItem("severity");
    if (severity && answer.severity) severity.value = answer.severity;
    if (answer.note) form.querySelector(".item-note")?.setAttribute("open", "");
    const sample = form.elements.namedItem("sample");
    if (sample && answer.sample) { // a draw, once made, stays: an answer without one says nothing of it
      sample.value = JSON.stringify(answer.sample);
      sample.dispatchEvent(new Event("sample-shown"));
    }
    reveal(form);
  }

  function reveal(form) {
    const value = payloadOf(form).value;
    for (const block of form.querySelectorAll("[data-when]")) {
      block.hidden = !block.dataset.when.split(" ").includes(value);
    }
    form.classList.toggle("answered", value !== null);
  }

  function isComplete(form) {
    const p = payloadOf(form);
    if (p.value === null) return false;
    if (form.dataset.response !== "compliance") return true;
    if (p.value === "partial" || p.value === "noncompliant") return Boolean(p.finding_text && p.severity);
    if (p.value === "not_applicable") return Boolean(p.na_reason);
    return true;
  }

  // The dense layout: an answered item folds to one line (its text, the answer, how many photos); the item
  // being worked on shows everything, and a tap on a folded line opens it. An item that needs the user
  // (a refusal, a conflict, a confirmation, a missing finding text) never folds.
  let openForm = null;
  let foldLater = null; // the item left behind folds at the next answer, not under a finger mid-tap

  function foldable(form) {
    return form.classList.contains("answered") && isComplete(form) && !form.querySelector(".photo-error")
      && !["error", "conflict", "confirm"].includes(form.dataset.state);
  }

  function answerText(form) {
    const checked = form.querySelector("input[type=radio][name=value]:checked");
    if (checked) return checked.nextElementSibling.textContent;
    const field = form.querySelector("input[name=value], textarea[name=value]");
    return field ? field.value : "";
  }

  function updateSummary(form) {
    let line = form.querySelector(".item-summary");
    if (!line) {
      line = document.createElement("button");
      line.type = "button";
      line.className = "item-summary";
      for (const name of ["summary-key", "summary-text", "summary-answer", "summary-photos", "summary-state"]) {
        const part = document.createElement("span");
        part.className = name;
        line.append(part);
      }
      line.querySelector(".summary-key").textContent = form.querySelector(".item-key")?.textContent || "";
      line.querySelector(".summary-text").textContent = form.querySelector(".item-text")?.textContent || "";
      form.querySelector(".item-head").before(line);
    }
    const value = payloadOf(form).value;
    const answer = line.querySelector(".summary-answer");
    answer.textContent = answerText(form);
    answer.className = `summary-answer answer-chip answer-${form.dataset.response === "compliance" ? value : "text"}`;
    const photos = form.querySelectorAll(".thumb").length;
    line.querySelector(".summary-photos").textContent = photos ? format(text.photoCount, { n: photos }) : "";
    line.querySelector(".summary-state").textContent = form.querySelector("[data-item-state]").textContent;
    line.dataset.state = form.dataset.state || "";
    form.classList.toggle("folded", form !== openForm && foldable(form));
  }

  function openItem(form, now) {
    if (form === openForm) return;
    const left = openForm;
    openForm = form;
    updateSummary(form);
    if (left && now) updateSummary(left);
    else if (left) foldLater = left;
  }

  function updateProgress() {
    const sections = new Map();
    let done = 0;
    for (const form of forms.values()) {
      const s = sections.get(form.dataset.section) || { total: 0, done: 0 };
      s.total += 1;
      if (isComplete(form)) { s.done += 1; done += 1; }
      sections.set(form.dataset.section, s);
    }
    for (const [id, s] of sections) {
      const count = root.querySelector(`[data-section-count="${id}"]`);
      if (count) count.textContent = `${s.done}/${s.total}`;
      root.querySelector(`[data-section-link="${id}"]`)?.classList.toggle("done", s.done === s.total);
    }
    const bar = root.querySelector("[data-total-progress]");
    bar.value = done;
    root.querySelector("[data-total-text]").textContent = format(text.doneOf, { done, total: forms.size });
  }

  function setItemState(form, state, message) {
    const label = form.querySelector("[data-item-state]");
    form.dataset.state = state;
    label.textContent = message ?? ({ saved: text.itemSaved, queued: text.itemQueued, conflict: text.conflict,
      confirm: text.needsConfirm }[state] || "");
    updateSummary(form);
  }

  // An item reads as saved only when its answer and every photo put into it are on the server: a photo
  // the server refused says why, a photo still waiting says so.
  async function settle(form) {
    const refused = form.querySelector(".thumb[data-photo-error]");
    if (refused) return setItemState(form, "error", refused.dataset.photoError);
    const entry = await getOne("writes", keyOf(Number(form.dataset.item)));
    if (entry) return; // the answer's own state (waiting, conflict, to confirm, refused) stands
    if (form.querySelector(".thumb[data-queued]")) return setItemState(form, "queued", text.photoQueued);
    setItemState(form, "saved");
  }

  // The outbox: one entry per item ------------------------------------------------------------------
  //
  // `pending` is the newest content not yet sent; `sent` is what went to the server under its UUID and
  // awaits an answer (resent as it is until acknowledged); `base` is the revision the edit started from.

  async function queueWrite(form) {
    const itemId = Number(form.dataset.item);
    const payload = payloadOf(form);
    let dropped = false;
    await updateEntry(keyOf(itemId), (entry) => {
      entry = entry || { key: keyOf(itemId), userId, inspectionId, itemId, order: nextOrder(),
        base: Number(form.dataset.revision), sent: null, pending: null, conflict: null, confirm: null, error: null };
      entry.pending = payload;
      if (entry.confirm || entry.error) {
        // What was refused was never stored: the new content replaces it.
        entry.sent = null;
        entry.confirm = entry.error = null;
        dropped = true;
      }
      return entry;
    });
    if (dropped) form.querySelector(".confirm-classified")?.remove();
    setItemState(form, "queued");
    updateProgress();
    await refreshBar();
    flush();
  }

  const ready = (e) => !e.conflict && !e.confirm && (e.sent || (e.pending && !e.error));

  async function pendingCount() {
    const writes = (await allMine("writes")).filter((e) => e.sent || e.pending);
    const photos = (await allMine("photos")).filter((p) => !p.error);
    return writes.length + photos.length;
  }

  async function refreshBar() {
    const count = await pendingCount();
    localStorage.setItem(`outbox:${userId}`, String(count));
    const state = bar.querySelector("[data-sync-state]");
    const message = bar.querySelector("[data-sync-text]");
    const button = bar.querySelector("[data-sync-now]");
    let kind = "saved";
    let words = text.saved;
    let detail = "";
    if (loginNeeded) {
      kind = "error";
      words = text.offline;
      detail = text.loginNeeded;
    } else if (stopped) {
      kind = "error";
      words = text.error;
      detail = stopped;
    } else if (!navigator.onLine) {
      kind = "offline";
      words = format(text.pending, { n: count });
    } else if (sending) {
      kind = "saving";
      words = text.saving;
    } else if (count > 0) {
      kind = "pending";
      words = format(text.pendingOnline, { n: count });
    }
    state.dataset.syncState = kind;
    state.textContent = words;
    // Redraw the message only when it changes: a tap on the login link blurs the note being typed,
    // whose change event redraws this bar, and a link replaced between touch-down and touch-up loses the tap.
    if (loginNeeded && !message.querySelector("a")) {
      const link = document.createElement("a");
      link.href = root.dataset.login;
      link.textContent = detail;
      message.replaceChildren(link);
    } else if (!loginNeeded && message.textContent !== detail) {
      message.textContent = detail;
    }
    button.hidden = count === 0 || loginNeeded;
  }

  async function api(url, options = {}) {
    const headers = { ...(options.headers || {}), "X-CSRFToken": csrfToken, Accept: "application/json" };
    let response = await fetch(url, { credentials: "same-origin", ...options, headers });
    if (response.status === 400) {
      const body = await response.clone().json().catch(() => ({}));
      if (body.error === "csrf") {
        // The token went with an earlier session: take a fresh one and try once more.
        const fresh = await fetch(root.dataset.csrfApi, { credentials: "same-origin", headers: { Accept: "application/json" } });
        if (fresh.status === 401) return fresh;
        csrfToken = (await fresh.json()).csrf_token;
        headers["X-CSRFToken"] = csrfToken;
        response = await fetch(url, { credentials: "same-origin", ...options, headers });
      }
    }
    return response;
  }

  async function hasWork() {
    return (await allMine("writes")).some(ready) || (await allMine("photos")).some((p) => !p.error);
  }

  async function flush() {
    // Known to be offline: do not even try, so later edits of an item merge into one write.
    if (sending || loginNeeded || stopped || !navigator.onLine) return;
    sending = true; // taken before the first await, so two calls never send the same entry at once
    if (!(await hasWork())) {
      sending = false;
      return;
    }
    clearTimeout(retryTimer);
    await refreshBar();
    let failed = false;
    try {
      for (;;) {
        const writes = (await allMine("writes")).filter(ready).sort((a, b) => a.order - b.order);
        const photos = (await allMine("photos")).filter((p) => !p.error).sort((a, b) => a.order - b.order);
        if (!writes.length && !photos.length) break;
        const ok = (photos.length && (!writes.length || photos[0].order < writes[0].order))
          ? await sendPhoto(photos[0])
          : await sendWrites(writes.slice(0, 50));
        if (!ok) { failed = true; break; }
        retryDelay = 2000;
      }
    } catch (error) {
      failed = true; // a network failure: everything stays in the outbox
    } finally {
      sending = false;
      await refreshBar();
      if (failed && !loginNeeded && !stopped) {
        retryTimer = setTimeout(flush, retryDelay);
        retryDelay = Math.min(retryDelay * 2, 60000);
      }
    }
  }

  function handleRefusal(response, body) {
    if (response.status === 401) {
      loginNeeded = true;
      return false;
    }
    if (response.status === 409 || response.status === 403) {
      stopped = body.message || text.error;
      return false;
    }
    return null;
  }

  async function sendWrites(entries) {
    const batch = [];
    for (const entry of entries) {
      const current = await updateEntry(entry.key, (e) => {
        if (e && !e.sent && e.pending) {
          // Given its UUID before it leaves: if the reply is lost, the same write goes again.
          e.sent = { uuid: crypto.randomUUID(), payload: e.pending, confirm: false };
          e.pending = null;
        }
        return e;
      });
      if (current && current.sent && ready(current)) batch.push(current);
    }
    if (!batch.length) return true;
    const body = { answers: batch.map((e) => ({
      client_uuid: e.sent.uuid, item_id: e.itemId, base_revision: e.base,
      confirm_unclassified: e.sent.confirm, ...e.sent.payload,
    })) };
    const response = await api(root.dataset.answersApi, {
      method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    const result = await response.json().catch(() => ({}));
    if (!response.ok) {
      const refused = handleRefusal(response, result);
      if (refused !== null) return refused;
      return false; // 5xx or something unexpected: retry later
    }
    for (const outcome of result.results) {
      const sent = batch.find((e) => e.sent.uuid === outcome.client_uuid);
      const form = forms.get(sent.itemId);
      const entry = await updateEntry(sent.key, (e) => {
        if (!e || !e.sent || e.sent.uuid !== outcome.client_uuid) return e ?? null;
        if (outcome.status === "saved" || outcome.status === "duplicate") {
          e.base = outcome.answer.revision;
          e.sent = null;
          return e.pending ? e : null;
        }
        if (outcome.status === "conflict") e.conflict = outcome.answer || { revision: 0, value: null };
        else if (outcome.status === "needs_confirmation") e.confirm = outcome.message;
        else {
          e.error = outcome.message;
          e.sent = null; // refused, so never stored
        }
        return e;
      });
      if (outcome.status === "saved" || outcome.status === "duplicate") {
        form.dataset.revision = String(outcome.answer.revision);
        form.elements.namedItem("base_revision").value = String(outcome.answer.revision);
        await putOne("answers", { key: sent.key, answer: outcome.answer });
        if (!entry) await settle(form);
      } else if (outcome.status === "conflict") {
        showConflict(form, entry);
      } else if (outcome.status === "needs_confirmation") {
        showConfirm(form, entry);
      } else {
        setItemState(form, "error", outcome.message);
      }
    }
    return true;
  }

  function showConflict(form, entry) {
    form.querySelector(".conflict")?.remove();
    const box = document.getElementById("conflict-template").content.firstElementChild.cloneNode(true);
    const theirs = entry.conflict;
    box.querySelector("[data-conflict-server]").textContent =
      `${text.serverSays}${theirs.value ?? "—"}${theirs.finding_text ? `：${theirs.finding_text}` : ""}`;
    box.addEventListener("click", async (event) => {
      const choice = event.target.closest("[data-keep]")?.dataset.keep;
      if (!choice) return;
      if (choice === "mine") {
        await updateEntry(entry.key, (e) => {
          e.pending = e.pending || e.sent?.payload;
          e.sent = null;
          e.base = theirs.revision;
          e.conflict = null;
          return e;
        });
        setItemState(form, "queued");
      } else {
        await updateEntry(entry.key, () => null);
        if (theirs.revision) {
          await putOne("answers", { key: entry.key, answer: theirs });
          form.dataset.revision = String(theirs.revision);
          show(form, theirs);
        }
        await settle(form);
      }
      box.remove();
      updateProgress();
      flush();
    });
    form.querySelector(".item-head").after(box);
    setItemState(form, "conflict");
  }

  function showConfirm(form, entry) {
    form.querySelector(".confirm-classified")?.remove();
    const box = document.getElementById("confirm-template").content.firstElementChild.cloneNode(true);
    box.querySelector("[data-confirm-message]").textContent = entry.confirm;
    box.querySelector("[data-confirm-send]").addEventListener("click", async () => {
      if (!box.querySelector("[data-confirm-box]").checked) return;
      await updateEntry(entry.key, (e) => {
        if (e.sent) e.sent.confirm = true;
        e.confirm = null;
        return e;
      });
      box.remove();
      setItemState(form, "queued");
      flush();
    });
    form.querySelector(".item-head").after(box);
    setItemState(form, "confirm");
  }

  // Photos ---------------------------------------------------------------------------------------

  async function shrink(file) {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, 1600 / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("encode"))),
      "image/jpeg", 0.8));
  }

  function addThumbnail(form, src, queued) {
    const figure = document.createElement("figure");
    figure.className = "thumb";
    if (queued) figure.dataset.queued = queued;
    const img = document.createElement("img");
    img.src = src;
    img.alt = "";
    img.width = 96;
    img.height = 72;
    figure.append(img);
    if (queued) {
      const caption = document.createElement("figcaption");
      caption.textContent = text.photoQueued;
      figure.append(caption);
    }
    form.querySelector(".photo-button").before(figure);
    return figure;
  }

  // A file that is not a photo, or one the tablet cannot open, is kept nowhere: the item says so where
  // the photo would have been, and stays as it was.
  function photoProblem(form, message) {
    let note = form.querySelector(".photo-error");
    if (!message) return note?.remove();
    if (!note) {
      note = document.createElement("p");
      note.className = "photo-error";
      note.setAttribute("role", "alert");
      form.querySelector("[data-photos]").append(note);
    }
    note.textContent = message;
  }

  async function takePhoto(form, file) {
    let blob;
    try {
      if (file.type && !file.type.startsWith("image/")) throw new Error("not a photo");
      blob = await shrink(file);
    } catch (error) {
      photoProblem(form, file.type && !file.type.startsWith("image/") ? text.photoNotImage : text.photoTooBig);
      setItemState(form, "error", text.photoNotSaved);
      return;
    }
    photoProblem(form, null);
    const photo = { uuid: crypto.randomUUID(), userId, inspectionId, itemId: Number(form.dataset.item),
      order: nextOrder(), blob, name: file.name || "photo.jpg", error: null };
    await putOne("photos", photo);
    addThumbnail(form, URL.createObjectURL(blob), photo.uuid);
    setItemState(form, "queued", text.photoQueued);
    await refreshBar();
    flush();
  }

  // A refused photo stays on the item, with the reason, until the user takes it away.
  function markRefused(form, figure, photo) {
    figure.dataset.photoError = photo.error;
    figure.querySelector("figcaption").textContent = photo.error;
    if (!figure.querySelector("[data-drop-photo]")) {
      const drop = document.createElement("button");
      drop.type = "button";
      drop.className = "button drop-photo";
      drop.dataset.dropPhoto = photo.uuid;
      drop.textContent = text.dropPhoto;
      drop.addEventListener("click", async () => {
        await deleteOne("photos", photo.uuid);
        figure.remove();
        await settle(form);
        updateSummary(form);
      });
      figure.append(drop);
    }
  }

  async function sendPhoto(photo) {
    const data = new FormData();
    data.append("item_id", String(photo.itemId));
    data.append("client_uuid", photo.uuid);
    data.append("file", photo.blob, photo.name.replace(/\.[^.]*$/, "") + ".jpg");
    const response = await api(root.dataset.photosApi, { method: "POST", body: data });
    const body = await response.json().catch(() => ({}));
    const figure = root.querySelector(`[data-queued="${photo.uuid}"]`);
    const form = forms.get(photo.itemId);
    if (response.ok) {
      await deleteOne("photos", photo.uuid);
      if (figure) {
        delete figure.dataset.queued;
        figure.dataset.photoId = body.id;
        figure.querySelector("figcaption")?.remove();
      }
      if (form) await settle(form);
      return true;
    }
    const refused = handleRefusal(response, body);
    if (refused !== null && response.status !== 409) return refused;
    if (response.status >= 400 && response.status < 500) {
      photo.error = body.message || text.error;
      await putOne("photos", photo);
      if (figure && form) {
        markRefused(form, figure, photo);
        await settle(form);
      }
      return true;
    }
    return false;
  }

  // Other team members' answers, while online -------------------------------------------------------

  async function pullServer() {
    if (!navigator.onLine || document.hidden || loginNeeded) return;
    try {
      const response = await fetch(root.dataset.api, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) {
        response.body?.cancel(); // refused (say, the session ended): nothing to read, nothing left open
        return;
      }
      const state = await response.json();
      const local = new Set((await allMine("writes")).map((e) => e.itemId));
      for (const answer of state.answers) {
        const form = forms.get(answer.item_id);
        if (!form || local.has(answer.item_id) || answer.revision <= Number(form.dataset.revision)) continue;
        form.dataset.revision = String(answer.revision);
        form.elements.namedItem("base_revision").value = String(answer.revision);
        show(form, answer);
        await putOne("answers", { key: keyOf(answer.item_id), answer });
      }
      updateProgress();
    } catch (error) {
      // offline or the server is busy: the next pull tries again
    }
  }

  // Sections as tabs ---------------------------------------------------------------------------------

  const sections = [...root.querySelectorAll(".fill-section")];
  function openSection(id) {
    const target = sections.find((s) => s.dataset.section === id) || sections[0];
    for (const section of sections) section.hidden = section !== target;
    for (const link of root.querySelectorAll("[data-section-link]")) {
      if (link.dataset.sectionLink === target.dataset.section) link.setAttribute("aria-current", "true");
      else link.removeAttribute("aria-current");
    }
  }
  root.querySelector(".section-nav").addEventListener("click", (event) => {
    const link = event.target.closest("[data-section-link]");
    if (!link) return;
    event.preventDefault();
    openSection(link.dataset.sectionLink);
    history.replaceState(null, "", `#section-${link.dataset.sectionLink}`);
    root.querySelector(".section-nav").scrollIntoView({ block: "start" });
  });

  // Wiring -------------------------------------------------------------------------------------------

  root.addEventListener("focusin", (event) => {
    const form = event.target.closest("form.item");
    if (form) openItem(form, event.target.matches(".item-summary"));
  });
  root.addEventListener("click", (event) => {
    const line = event.target.closest(".item-summary");
    if (!line) return;
    const form = line.closest("form.item");
    openItem(form, true);
    form.querySelector("input[type=radio]:checked, input[name=value], textarea[name=value]")?.focus({ preventScroll: true });
  });

  const timers = new Map();
  for (const form of forms.values()) {
    form.addEventListener("submit", (event) => { event.preventDefault(); queueWrite(form); });
    form.addEventListener("change", (event) => {
      if (event.target.matches("[data-photo-input]")) {
        const file = event.target.files[0];
        event.target.value = "";
        if (file) takePhoto(form, file);
        return;
      }
      reveal(form);
      if (foldLater && foldLater !== form) {
        const left = foldLater;
        foldLater = null;
        updateSummary(left);
      }
      updateSummary(form);
      clearTimeout(timers.get(form));
      queueWrite(form);
    });
    form.addEventListener("input", (event) => {
      if (!event.target.matches("textarea, input[type=text], input[type=number]")) return;
      updateProgress();
      clearTimeout(timers.get(form));
      timers.set(form, setTimeout(() => queueWrite(form), 800));
    });
  }
  bar.querySelector("[data-sync-now]").addEventListener("click", () => {
    stopped = null;
    retryDelay = 2000;
    flush();
  });
  window.addEventListener("online", () => { refreshBar(); flush(); pullServer(); });
  window.addEventListener("offline", refreshBar);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) { flush(); pullServer(); } });
  setInterval(pullServer, 30000);

  function keepOffline() {
    if (!("serviceWorker" in navigator)) return;
    const urls = [location.pathname, root.dataset.api,
      ...[...root.querySelectorAll(".thumb img")].map((img) => new URL(img.src).pathname)];
    navigator.serviceWorker.ready.then((registration) => {
      registration.active?.postMessage({ type: "keep", urls });
    }).catch(() => {});
  }

  async function start() {
    if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
    if (navigator.onLine) keepOffline();
    // What the server had at the last acknowledged save, when newer than this (possibly cached) page.
    for (const saved of await allMine("answers")) {
      const form = forms.get(Number(saved.key.split(":")[2]));
      if (form && saved.answer.revision > Number(form.dataset.revision)) {
        form.dataset.revision = String(saved.answer.revision);
        form.elements.namedItem("base_revision").value = String(saved.answer.revision);
        show(form, saved.answer);
      }
    }
    // What is still waiting in the outbox wins over both.
    for (const entry of await allMine("writes")) {
      const form = forms.get(entry.itemId);
      if (!form) continue;
      const payload = entry.pending || entry.sent?.payload;
      if (payload) show(form, payload);
      if (entry.conflict) showConflict(form, entry);
      else if (entry.confirm) showConfirm(form, entry);
      else if (entry.error) setItemState(form, "error", entry.error);
      else setItemState(form, "queued");
    }
    for (const photo of await allMine("photos")) {
      const form = forms.get(photo.itemId);
      if (form) {
        const figure = addThumbnail(form, URL.createObjectURL(photo.blob), photo.uuid);
        if (photo.error) markRefused(form, figure, photo);
        await settle(form);
      }
    }
    for (const form of forms.values()) {
      reveal(form);
      updateSummary(form);
    }
    openSection((location.hash.match(/^#section-(\d+)$/) || [])[1]);
    const itemHash = location.hash.match(/^#item-(\d+)$/);
    if (itemHash && forms.get(Number(itemHash[1]))) {
      openItem(forms.get(Number(itemHash[1])), true);
      openSection(forms.get(Number(itemHash[1]))?.dataset.section);
      document.getElementById(`item-${itemHash[1]}`)?.scrollIntoView();
    }
    updateProgress();
    await refreshBar();
    flush();
  }

  start();
})();
