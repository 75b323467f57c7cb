// Background export progress: polls the status and reloads the page when the file is ready.
(function () {
  "use strict";
  var box = document.getElementById("export-progress");
  if (!box) { return; }
  var url = box.getAttribute("data-status-url");
  var bar = document.getElementById("export-bar");
  var done = document.getElementById("export-done");
  var running = { queued: true, running: true };
  if (!running[box.getAttribute("data-state")]) { return; }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (s) {
        if (s.total) { bar.value = Math.round(100 * (s.done || 0) / s.total); }
        done.textContent = String(s.done || 0);
        if (running[s.state]) { window.setTimeout(poll, 1000); } else { window.location.reload(); }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
}());
