// Evidence pack page: follow the background generation until it ends, then reload.
(function () {
  "use strict";
  var box = document.getElementById("pack-progress");
  if (!box) { return; }
  var url = box.getAttribute("data-status-url");
  var bar = document.getElementById("pack-bar");
  var running = { queued: true, running: true };
  if (!running[box.getAttribute("data-state")]) { return; }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (s) {
        bar.value = s.progress || 0;
        var stage = document.getElementById("pack-stage");
        var percent = document.getElementById("pack-percent");
        if (stage) { stage.textContent = s.stage || ""; }
        if (percent) { percent.textContent = String(s.progress || 0); }
        if (running[s.status]) { window.setTimeout(poll, 1000); } else { window.location.reload(); }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
}());
