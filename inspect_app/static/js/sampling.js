// Sampling a unit's register on the fill page (抽查), online or not.
//
// The tablet draws the entries itself from a random seed and the register's entries (kept offline with the
// page), and the server, drawing again from the same seed, must get the same: the generator below is written the
// same way in services/registers/sampling.py. The draw and each entry's 符合 / 不符合 live in the item's hidden
// "sample" field, so they travel with the item's answer through fill.js's outbox. A failed entry goes into the
// item's finding. The rules the unit's registers break show on the items they serve, as pre-findings.
"use strict";

(() => {
  const root = document.querySelector(".fill");
  const wordsBox = document.querySelector("[data-sample-words]");
  if (!root || !root.dataset.registersApi || !wordsBox) return;
  const words = wordsBox.dataset;
  const url = root.dataset.registersApi;
  const boxes = [...root.querySelectorAll(".sample[data-sample]")];
  const known = new Map(); // "register:id" → { number, title, details }
  let data = null;

  const format = (template, values) => template.replace(/%\((\w+)\)s/g, (_, k) => String(values[k]));
  const formOf = (box) => box.closest("form.item");
  const field = (box) => box.querySelector("input[name=sample]");

  // Mulberry32 and the first steps of a Fisher–Yates shuffle, as services/registers/sampling.py draws.
  function numbers(seed) {
    let state = seed >>> 0;
    return () => {
      state = (state + 0x6D2B79F5) >>> 0;
      let t = Math.imul(state ^ (state >>> 15), state | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return (t ^ (t >>> 14)) >>> 0;
    };
  }

  function draw(seed, population, size) {
    const pool = [...new Set(population)].sort((a, b) => a - b);
    const next = numbers(seed);
    const count = Math.min(size, pool.length);
    for (let i = 0; i < count; i += 1) {
      const j = i + Math.floor(next() * (pool.length - i) / 4294967296);
      [pool[i], pool[j]] = [pool[j], pool[i]];
    }
    return pool.slice(0, count);
  }

  // The field holds what the tablet sends: { seed, population?, entries: [ids], checks }. The server shows a
  // draw with its entries named; those names are remembered and the field keeps the ids.
  function read(box) {
    const text = field(box).value;
    if (!text) return null;
    const sample = JSON.parse(text);
    const register = box.dataset.sample;
    const entries = sample.entries.map((e) => {
      if (typeof e !== "object") return e;
      if (!known.has(`${register}:${e.id}`)) known.set(`${register}:${e.id}`, { number: e.number, title: e.title, details: "" });
      return e.id;
    });
    const state = { seed: sample.seed, entries, checks: (sample.checks || []).map((c) => ({
      entry_id: c.entry_id, result: c.result, note: c.note || null })) };
    if (sample.population) state.population = sample.population;
    return state;
  }

  function write(box, state) {
    field(box).value = JSON.stringify(state);
  }

  // A draw as fill.js or the server handed it over: kept as the tablet sends it, its finding line remembered.
  function adopt(box) {
    const state = read(box);
    if (state) write(box, state);
    box.dataset.line = state ? findingLine(box, state) : "";
    render(box);
  }

  function entryOf(box, id) {
    return known.get(`${box.dataset.sample}:${id}`) || { number: `#${id}`, title: "", details: "" };
  }

  // The finding's line about the sample: replaced in place when the checks change, added first otherwise.
  function findingLine(box, state) {
    const failed = state.checks.filter((c) => c.result === "noncompliant");
    if (!failed.length) return "";
    return format(words.summary, { register: box.dataset.registerName, n: state.entries.length, failed: failed.length })
      + failed.map((c) => entryOf(box, c.entry_id).number + (c.note ? `（${c.note}）` : "")).join("；") + "。";
  }

  function applyToAnswer(box, state) {
    const form = formOf(box);
    const line = findingLine(box, state);
    const textarea = form.querySelector("textarea[name=finding_text]");
    const previous = box.dataset.line || "";
    if (textarea && line !== previous) {
      let text = textarea.value;
      if (previous && text.includes(previous)) text = text.replace(previous, line);
      else if (line) text = text.trim() ? `${line}\n${text}` : line;
      textarea.value = text.trim();
    }
    box.dataset.line = line;
    if (line) {
      const chosen = form.querySelector("input[name=value]:checked");
      if (!chosen || !["partial", "noncompliant"].includes(chosen.value)) {
        form.querySelector("input[name=value][value=noncompliant]").checked = true;
      }
    }
  }

  // A change the author made: kept in the field, then fill.js sees the form change and queues the answer. Once
  // the outbox is empty again, the registers are read afresh, so the page kept offline knows of the draw.
  let unsaved = false;
  function changed(box, state) {
    unsaved = true;
    write(box, state);
    applyToAnswer(box, state);
    render(box);
    field(box).dispatchEvent(new Event("change", { bubbles: true }));
  }

  function setCheck(box, entryId, result, note) {
    const state = read(box);
    const others = state.checks.filter((c) => c.entry_id !== entryId);
    const before = state.checks.find((c) => c.entry_id === entryId);
    state.checks = [...others, { entry_id: entryId, result, note: note === undefined ? (before?.note ?? null) : note }];
    changed(box, state);
  }

  function problem(box, message) {
    const line = box.querySelector("[data-sample-problem]");
    line.textContent = message || "";
    line.hidden = !message;
  }

  function render(box) {
    const state = read(box);
    const button = box.querySelector("[data-sample-draw]");
    const list = box.querySelector("[data-sample-entries]");
    const population = data?.registers?.[box.dataset.sample]?.entries;
    button.hidden = Boolean(state);
    button.disabled = !population || population.length === 0;
    problem(box, state ? "" : !population ? words.noData : population.length === 0 ? words.empty : "");
    list.replaceChildren();
    if (!state) return;
    const head = document.createElement("li");
    head.className = "muted";
    head.textContent = format(words.drawn, { n: state.entries.length, seed: state.seed });
    list.append(head);
    for (const id of state.entries) {
      const entry = entryOf(box, id);
      const check = state.checks.find((c) => c.entry_id === id);
      const item = document.createElement("li");
      item.className = "sample-entry";
      item.dataset.entry = String(id);
      item.dataset.result = check?.result || "";
      const name = document.createElement("span");
      name.className = "sample-entry-name";
      name.textContent = `${entry.number} ${entry.title}`;
      item.append(name);
      if (entry.details) {
        const details = document.createElement("span");
        details.className = "sample-entry-details";
        details.textContent = entry.details;
        item.append(details);
      }
      const results = document.createElement("div");
      results.className = "sample-results";
      for (const result of ["compliant", "noncompliant"]) {
        const choice = document.createElement("button");
        choice.type = "button";
        choice.className = "button";
        choice.dataset.result = result;
        choice.setAttribute("aria-pressed", String(check?.result === result));
        choice.textContent = words[result];
        choice.addEventListener("click", () => setCheck(box, id, result));
        results.append(choice);
      }
      item.append(results);
      if (check?.result === "noncompliant") {
        const note = document.createElement("input");
        note.type = "text";
        note.className = "sample-note";
        note.maxLength = 500;
        note.placeholder = words.note;
        note.setAttribute("aria-label", words.note);
        note.value = check.note || "";
        note.addEventListener("input", () => {
          const current = read(box);
          current.checks = current.checks.map((c) => (c.entry_id === id ? { ...c, note: note.value.trim() || null } : c));
          write(box, current);
          applyToAnswer(box, current);
        });
        item.append(note);
      }
      list.append(item);
    }
  }

  function drawNow(box) {
    const population = data.registers[box.dataset.sample].entries.map((e) => e.id);
    const seed = crypto.getRandomValues(new Uint32Array(1))[0] >>> 1;
    const entries = draw(seed, population, Number(box.dataset.sampleSize));
    changed(box, { seed, population, entries, checks: [] });
  }

  function showPrefindings() {
    for (const old of root.querySelectorAll(".prefinding")) old.remove();
    for (const found of data.prefindings) {
      const form = root.querySelector(`form.item[data-item="${found.item_id}"]`);
      if (!form) continue;
      const note = document.createElement("p");
      note.className = "prefinding";
      note.dataset.rule = found.rule;
      const heading = document.createElement("strong");
      heading.textContent = `${words.prefinding}：${found.text}`;
      note.append(heading, document.createTextNode(found.entries.join("；")));
      form.querySelector(".item-head").after(note);
    }
  }

  async function load() {
    try {
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) return;
      data = await response.json();
    } catch (error) {
      return; // offline, and never kept: the boxes say so
    } finally {
      for (const box of boxes) render(box);
    }
    for (const [key, register] of Object.entries(data.registers)) {
      for (const e of register.entries) known.set(`${key}:${e.id}`, { number: e.number, title: e.title, details: e.details });
    }
    for (const box of boxes) {
      const stored = data.samples[formOf(box).dataset.item];
      if (!field(box).value && stored) field(box).value = JSON.stringify(stored);
      adopt(box);
    }
    showPrefindings();
  }

  for (const box of boxes) {
    box.querySelector("[data-sample-draw]").addEventListener("click", () => drawNow(box));
    // fill.js put an answer into the form (from its outbox, its last save, or the server): show its draw.
    field(box).addEventListener("sample-shown", () => adopt(box));
    render(box);
  }
  const syncState = document.querySelector("[data-sync-state]");
  if (syncState) {
    new MutationObserver(() => {
      if (unsaved && syncState.dataset.syncState === "saved" && navigator.onLine) {
        unsaved = false;
        load();
      }
    }).observe(syncState, { attributes: true, attributeFilter: ["data-sync-state"] });
  }
  if ("serviceWorker" in navigator && navigator.onLine) {
    navigator.serviceWorker.ready.then((registration) => {
      registration.active?.postMessage({ type: "keep", urls: [url] });
    }).catch(() => {});
  }
  window.addEventListener("online", load);
  load();
})();
