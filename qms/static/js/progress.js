// Progress of a background job: a register export being built, a survey file being
// imported. Driven by data attributes, so one script serves every such page:
//
//   <div data-status-url="…/estado" data-state="running">   the job's JSON status and
//                                                            the state the page shows
//     <progress data-progress-bar max="100">                 moved to done / total
//     <span data-progress-count="rows">                      set to that status field
//
// While the job is queued or running it polls the status every second (every 3 s after
// a failed request). Once the job has ended it reloads the page, which the server renders
// with the outcome: the download link, the import summary or the error, in the page's
// live region. A status the user may no longer read (4xx: expired, signed out) reloads
// too, so the page says why instead of polling forever.
(function () {
  "use strict";
  var RUNNING = { queued: true, running: true };

  function watch(box) {
    var url = box.getAttribute("data-status-url");
    if (!url || !RUNNING[box.getAttribute("data-state")]) { return; }
    var bar = box.querySelector("[data-progress-bar]");
    var counts = box.querySelectorAll("[data-progress-count]");

    function show(s) {
      if (bar && s.total) { bar.value = Math.min(100, Math.round(100 * (s.done || 0) / s.total)); }
      Array.prototype.forEach.call(counts, function (el) {
        el.textContent = String(s[el.getAttribute("data-progress-count")] || 0);
      });
    }

    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) {
          if (r.ok) { return r.json(); }
          if (r.status >= 400 && r.status < 500 && r.status !== 429) { return { state: "gone" }; }
          return Promise.reject(r.status);
        })
        .then(function (s) {
          if (RUNNING[s.state]) {
            show(s);
            window.setTimeout(poll, 1000);
          } else {
            if (s.state !== "gone") { show(s); }
            window.location.reload();
          }
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    }
    window.setTimeout(poll, 500);
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-status-url]"), watch);
}());
