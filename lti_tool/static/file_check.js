// A hand-in whose file is being checked: ask the server now and then, and reload the page once the check has ended.
// Without this file the page's own link does the same.
(function () {
  "use strict";
  var waiting = Array.prototype.slice.call(document.querySelectorAll("[data-check-status]"));
  if (!waiting.length || !window.fetch) { return; }
  var delay = 1000;

  function status(item) {
    return fetch(item.getAttribute("data-check-status"), {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (response) { return response.ok ? response.json() : {status: "checking"}; });
  }

  function poll() {
    Promise.all(waiting.map(status)).then(function (answers) {
      if (answers.some(function (answer) { return answer.status !== "checking"; })) {
        window.location.reload();
        return;
      }
      delay = Math.min(delay * 1.5, 10000);  // most checks end within seconds; a long one is asked about less often
      window.setTimeout(poll, delay);
    }, function () {
      delay = Math.min(delay * 2, 30000);
      window.setTimeout(poll, delay);
    });
  }

  window.setTimeout(poll, delay);
})();
