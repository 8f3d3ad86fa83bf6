// Documents: follow a big render's progress; scan a verification QR code where the browser can.
"use strict";

(() => {
  // Progress of a render in the worker process: poll the JSON status, open the PDF when it is ready.
  const job = document.getElementById("job");
  if (job) {
    const bar = document.getElementById("job-progress");
    const text = document.getElementById("job-text");
    const failed = document.getElementById("job-failed");
    const say = (key, values) => {
      let message = job.dataset[key] || "";
      for (const [name, value] of Object.entries(values || {})) message = message.replace(`{${name}}`, value);
      text.textContent = message;
    };
    const poll = async () => {
      let status;
      try {
        const response = await fetch(job.dataset.statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" });
        if (!response.ok) throw new Error(String(response.status));
        status = await response.json();
      } catch (error) {
        setTimeout(poll, 3000); // the network blinked; keep trying
        return;
      }
      bar.value = status.progress || 0;
      if (status.state === "done" && status.url) {
        bar.value = 100;
        say("textDone");
        window.location.assign(status.url);
        return;
      }
      if (status.state === "failed") {
        text.textContent = status.message || "";
        failed.hidden = false;
        return;
      }
      if (status.progress >= 92) say("textWriting");
      else if (status.pages_done) say("textRunning", { done: status.pages_done, total: status.estimated_pages });
      else say("textQueued");
      setTimeout(poll, 1000);
    };
    if (failed.hidden) setTimeout(poll, 500);
  }

  // Scanning: where the browser has a barcode detector (Chrome on Android, for one), read the QR code with
  // the camera. Elsewhere the tablet's camera app opens the verify link the QR code holds, or a handheld
  // scanner types it into the field; the server accepts the link as well as the bare code.
  const start = document.getElementById("scan-start");
  if (!start || !("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  const input = document.getElementById("code");
  const scanner = document.getElementById("scanner");
  const video = document.getElementById("scanner-video");
  const stop = document.getElementById("scan-stop");
  let stream = null;
  let timer = null;
  const end = () => {
    if (timer) clearTimeout(timer);
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
    scanner.hidden = true;
  };
  // Show the button only where the detector reads QR codes (some browsers have the API and no formats).
  Promise.resolve(window.BarcodeDetector.getSupportedFormats ? window.BarcodeDetector.getSupportedFormats() : [])
    .then((formats) => { start.hidden = !formats.includes("qr_code"); })
    .catch(() => { start.hidden = true; });
  start.addEventListener("click", async () => {
    let detector;
    try {
      detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    } catch (error) {
      end();
      start.hidden = true; // no camera, or no permission: typing the code still works
      return;
    }
    scanner.hidden = false;
    video.srcObject = stream;
    await video.play();
    const look = async () => {
      if (!stream) return;
      try {
        const codes = await detector.detect(video);
        if (codes.length) {
          input.value = codes[0].rawValue;
          end();
          input.form.submit();
          return;
        }
      } catch (error) { /* a frame that could not be read; try the next */ }
      timer = setTimeout(look, 250);
    };
    look();
  });
  stop.addEventListener("click", end);
})();
