/* subvox review page of one file: plays the source with its VTT, a cue list that seeks, a
   timeline (waveform, cue bars by speaker, current position) and the dub as a second source.
   Runs from file:// with no network; the page's data sits in <script id="review-data">. */
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("review-data").textContent);
  const media = document.getElementById("media");
  const dub = document.getElementById("dub");
  const trackEl = document.getElementById("subs");
  const list = document.getElementById("cues");
  const items = list ? list.children : [];
  const canvas = document.getElementById("timeline");
  const now = document.getElementById("now");
  const cues = data.cues; // [start, end, speaker index or -1]
  const starts = cues.map(function (c) { return c[0]; });
  const duration = data.duration || 1e-3;
  let active = -1;
  let useDub = false;
  let background = null;

  // The track is the file's VTT (data-file, relative to this page). Chromium treats each file://
  // URL as its own origin and refuses such a file (logging an error), so from file:// -- or when
  // the file cannot be loaded -- the track gets the same text, which the page carries, as a Blob.
  function vttFallback() {
    if (!trackEl || trackEl.dataset.fallback) return;
    trackEl.dataset.fallback = "1";
    trackEl.src = URL.createObjectURL(new Blob([data.vtt], { type: "text/vtt" }));
  }
  if (trackEl) {
    trackEl.addEventListener("error", vttFallback);
    if (location.protocol === "file:" || !trackEl.dataset.file) vttFallback(); else trackEl.src = trackEl.dataset.file;
    trackEl.track.mode = media.tagName === "VIDEO" ? "showing" : "hidden";
    trackEl.addEventListener("load", update);
    trackEl.track.addEventListener("cuechange", update);
  }

  function lookup(t) { // the cue on at time t (the last one starting at or before t), or -1
    let lo = 0, hi = starts.length - 1, k = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid] <= t) { k = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    return k >= 0 && t < cues[k][1] ? k : -1;
  }

  function fromTrack() { // the VTT cue the browser has active now: [index, text], or null if not loaded
    const tt = trackEl && trackEl.track;
    if (!tt || trackEl.readyState !== 2 || !tt.activeCues) return null;
    if (!tt.activeCues.length) return [-1, ""];
    const c = tt.activeCues[tt.activeCues.length - 1];
    return [lookup(c.startTime + 0.0005), c.getCueAsHTML().textContent];
  }

  function speakerChip(k) {
    const s = k >= 0 ? cues[k][2] : -1;
    if (s < 0) return "";
    return '<span class="who" style="background:' + data.colours[s] + '">' + escapeHtml(data.speakers[s]) + "</span>";
  }

  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, function (ch) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[ch];
    });
  }

  function update() {
    const seen = fromTrack();
    const k = seen ? seen[0] : lookup(media.currentTime);
    const text = seen ? seen[1] : (k >= 0 && items[k] ? items[k].querySelector(".line").textContent : "");
    now.dataset.source = seen ? "vtt" : "cues";
    if (k !== active || now.dataset.index !== String(k)) {
      if (active >= 0 && items[active]) items[active].classList.remove("active");
      active = k;
      if (k >= 0 && items[k]) {
        items[k].classList.add("active");
        const li = items[k];
        if (li.offsetTop < list.scrollTop || li.offsetTop + li.offsetHeight > list.scrollTop + list.clientHeight) {
          list.scrollTop = li.offsetTop - list.offsetTop - list.clientHeight / 3;
        }
      }
      now.dataset.index = String(k);
      now.innerHTML = k >= 0 ? speakerChip(k) + escapeHtml(text) : "";
    }
    draw();
  }

  function seek(t) {
    media.currentTime = Math.max(0, Math.min(t, media.duration || duration));
    syncDub(0);
    update();
  }

  // --- timeline: waveform envelope and cue bars drawn once, the current position on top ---
  function paintBackground(w, h) {
    const off = document.createElement("canvas");
    off.width = w; off.height = h;
    const g = off.getContext("2d");
    g.fillStyle = "#fff"; g.fillRect(0, 0, w, h);
    const wave = h - 16, mid = wave / 2;
    if (data.peaks && data.peaks.length) {
      g.fillStyle = "#4a6fa5";
      const n = data.peaks.length;
      for (let x = 0; x < w; x++) {
        const p = data.peaks[Math.min(n - 1, Math.floor((x / w) * n))] / 100;
        g.fillRect(x, mid - p * mid, 1, Math.max(1, 2 * p * mid));
      }
    } else {
      g.fillStyle = "#999"; g.font = "12px sans-serif";
      g.fillText("no waveform for this file (report.max_files)", 6, mid);
    }
    for (let k = 0; k < cues.length; k++) {
      const s = cues[k][2];
      g.fillStyle = s >= 0 ? data.colours[s] : (k % 2 ? "#e07a5f" : "#f2cc8f");
      const x0 = (cues[k][0] / duration) * w, x1 = (cues[k][1] / duration) * w;
      g.fillRect(x0, h - 14, Math.max(1, x1 - x0), 12);
    }
    return off;
  }

  function draw() {
    if (!canvas) return;
    const ratio = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(canvas.clientWidth * ratio)), h = Math.max(1, Math.round(canvas.clientHeight * ratio));
    if (canvas.width !== w || canvas.height !== h || !background) {
      canvas.width = w; canvas.height = h; background = paintBackground(w, h);
    }
    const g = canvas.getContext("2d");
    g.drawImage(background, 0, 0);
    if (active >= 0) {
      g.fillStyle = "rgba(255, 200, 0, 0.35)";
      const x0 = (cues[active][0] / duration) * w, x1 = (cues[active][1] / duration) * w;
      g.fillRect(x0, 0, Math.max(2, x1 - x0), h);
    }
    const x = (media.currentTime / duration) * w;
    g.fillStyle = "#d00"; g.fillRect(Math.round(x) - 1, 0, 2 * ratio, h);
  }

  function frame() { update(); if (!media.paused) requestAnimationFrame(frame); }

  // --- the dub: a second <audio>, kept on the source's clock, heard instead of the original ---
  function syncDub(tolerance) {
    if (!dub || !useDub) return;
    if (Math.abs(dub.currentTime - media.currentTime) > tolerance) dub.currentTime = media.currentTime;
    dub.playbackRate = media.playbackRate;
  }

  function chooseVoice(which) {
    useDub = which === "dub" && !!dub;
    media.muted = useDub;
    if (dub) {
      dub.muted = !useDub;
      if (useDub) { syncDub(0); if (!media.paused) dub.play().catch(function () {}); } else { dub.pause(); }
    }
    document.body.dataset.voice = useDub ? "dub" : "original";
  }

  document.querySelectorAll('input[name="voice"]').forEach(function (radio) {
    radio.addEventListener("change", function () { if (radio.checked) chooseVoice(radio.value); });
  });
  function dubMissing() {
    say("dub not found or not playable here: " + dub.getAttribute("src"));
    chooseVoice("original");
  }
  if (dub) {
    dub.addEventListener("error", dubMissing);
  }

  function say(line) { // problems with the media, one per line
    const box = document.getElementById("media-error");
    box.textContent += (box.textContent ? "\n" : "") + line;
  }

  media.addEventListener("play", function () { if (useDub) { syncDub(0); dub.play().catch(function () {}); } requestAnimationFrame(frame); });
  media.addEventListener("pause", function () { if (dub) dub.pause(); update(); });
  media.addEventListener("seeked", function () { syncDub(0); update(); });
  media.addEventListener("timeupdate", function () { syncDub(0.3); update(); });
  media.addEventListener("ratechange", function () { syncDub(0); });
  function mediaMissing() {
    say("media not found or not playable here: " + media.getAttribute("src") +
      " (the page links to the source by a path relative to this page; cues, timeline and QA still work)");
  }
  media.addEventListener("error", mediaMissing);

  if (list) {
    list.addEventListener("click", function (ev) {
      const li = ev.target.closest("li[data-i]");
      if (li) seek(cues[Number(li.dataset.i)][0] + 0.001);
    });
  }
  if (canvas) {
    canvas.addEventListener("click", function (ev) {
      const box = canvas.getBoundingClientRect();
      seek(((ev.clientX - box.left) / box.width) * duration);
    });
  }
  window.addEventListener("resize", function () { background = null; draw(); });
  chooseVoice("original");
  // a missing file can fail before this script listens: its error event has then already fired
  if (media.error) mediaMissing();
  if (dub && dub.error) dubMissing();
  update();
  document.body.dataset.ready = "1";
})();
