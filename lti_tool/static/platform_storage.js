// LTI platform storage (1EdTech "LTI Client Side postMessages"): when the browser refuses the tool's cookies in
// the LMS's frame, the LMS's own window keeps the login's state and nonce for it.
//
// Refusals, decided here so they are the same at both steps:
// 1. Messages are sent only to the LMS's origin (from its OIDC authorisation URL), never to "*".
// 2. An answer is ours only if its subject and message_id match; one from any other origin is ignored (and named
//    on the problem page if no right answer comes), so no other window can feed the tool a state.
// 3. No answer in time, or an error answer: at login, go on with the cookie alone (its own page refuses cleanly
//    if that is lost too); at launch, show the problem and the new-window link. Nothing is posted to the tool.
// 4. The values read back are not judged here: the tool compares them with its signed state and refuses a mismatch.
(function () {
  "use strict";
  var root = document.getElementById("platform-storage");
  if (!root) { return; }
  var platformOrigin = root.dataset.platformOrigin;
  var timeoutMs = parseInt(root.dataset.timeoutMs, 10) || 4000;

  function storageWindow(target) {
    // In the LMS's frame the storage is the parent (or one of its frames); in a window opened by the LMS, the opener.
    var host = window.parent !== window ? window.parent : window.opener;
    if (!host) { return null; }
    if (target === "_parent") { return host; }
    try { return host.frames[target] || null; } catch (error) { return null; }
  }

  function newMessageId() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // One message to the LMS's storage and its answer: resolves with the answer, rejects with why there was none.
  function ask(message) {
    return new Promise(function (resolve, reject) {
      var target = storageWindow(root.dataset.target);
      if (!target) { reject({ kind: "unavailable" }); return; }
      message.message_id = newMessageId();
      var strangers = [];
      var timer = window.setTimeout(function () {
        finish();
        reject(strangers.length ? { kind: "wrong-origin", origin: strangers[0] } : { kind: "unavailable" });
      }, timeoutMs);
      function finish() {
        window.clearTimeout(timer);
        window.removeEventListener("message", onMessage);
      }
      function onMessage(event) {
        var data = event.data;
        if (!data || typeof data !== "object" || data.message_id !== message.message_id ||
            data.subject !== message.subject + ".response") { return; }
        if (event.origin !== platformOrigin) { strangers.push(event.origin); return; }
        finish();
        if (data.error) {
          reject({ kind: "refused", reason: String(data.error.code || "") + " " + String(data.error.message || "") });
        } else {
          resolve(data);
        }
      }
      window.addEventListener("message", onMessage);
      target.postMessage(message, platformOrigin);
    });
  }

  function showProblem(failure) {
    var problem = document.getElementById("storage-problem");
    root.hidden = true;
    problem.hidden = false;
    var line = problem.querySelector('[data-problem="' + failure.kind + '"]') ||
      problem.querySelector('[data-problem="unavailable"]');
    line.hidden = false;
    if (failure.origin) { problem.querySelector("[data-origin]").textContent = failure.origin; }
    if (failure.reason) { problem.querySelector("[data-reason]").textContent = failure.reason.trim(); }
  }

  function keepLogin() {
    var d = root.dataset;
    Promise.all([
      ask({ subject: "lti.put_data", key: d.stateKey, value: d.stateValue }),
      ask({ subject: "lti.put_data", key: d.nonceKey, value: d.nonceValue })
    ]).then(function () {
      window.location.replace(d.next);
    }, function (failure) {
      if (failure.kind === "wrong-origin") { showProblem(failure); return; }
      window.location.replace(d.cookieOnlyNext);
    });
  }

  function finishLaunch() {
    var d = root.dataset;
    var form = document.getElementById("platform-storage-launch");
    Promise.all([
      ask({ subject: "lti.get_data", key: d.stateKey }),
      ask({ subject: "lti.get_data", key: d.nonceKey })
    ]).then(function (answers) {
      form.elements.platform_state.value = answers[0].value == null ? "" : String(answers[0].value);
      form.elements.platform_nonce.value = answers[1].value == null ? "" : String(answers[1].value);
      form.submit();
    }, showProblem);
  }

  if (root.dataset.step === "login") { keepLogin(); } else { finishLaunch(); }
})();
