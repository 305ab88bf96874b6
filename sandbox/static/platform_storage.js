// The course page's side of LTI platform storage (lti.capabilities, lti.put_data, lti.get_data): it keeps
// key/value pairs for the tool in memory for as long as the page is open, and answers only the tool's origin.
(function () {
  "use strict";
  var config = document.getElementById("lti-platform-storage");
  if (!config) { return; }
  var toolOrigin = config.dataset.toolOrigin;
  var mode = config.dataset.mode;
  var frameName = config.dataset.frame;
  var relay = document.getElementById("storage-relay");
  var stored = {};  // per tool origin, as the specification asks: one tool never reads another's data
  var relayReady = false;
  var relayQueue = [];

  function relayAnswer(relayed) {
    if (!relayReady) { relayQueue.push(relayed); return; }
    relay.contentWindow.postMessage(relayed, config.dataset.relayOrigin);
  }

  var SUPPORTED = ["lti.capabilities", "lti.put_data", "lti.get_data"];

  function answer(message, origin) {
    var reply = { subject: message.subject + ".response", message_id: message.message_id };
    var data = stored[origin] = stored[origin] || {};
    if (SUPPORTED.indexOf(message.subject) < 0) {
      reply.error = { code: "unsupported_subject", message: "This platform does not handle " + message.subject };
    } else if (message.subject === "lti.capabilities") {
      reply.supported_messages = SUPPORTED.map(function (subject) { return { subject: subject, frame: "_parent" }; });
    } else if (typeof message.key !== "string" || !message.key) {
      reply.error = { code: "bad_request", message: "A key is required." };
    } else if (message.subject === "lti.put_data") {
      data[message.key] = String(message.value);
      reply.key = message.key;
      reply.value = data[message.key];
    } else if (!Object.prototype.hasOwnProperty.call(data, message.key)) {
      reply.error = { code: "bad_request", message: "Nothing is stored under this key." };
    } else {
      reply.key = message.key;
      reply.value = mode === "tampered" ? data[message.key] + "-tampered" : data[message.key];
    }
    return reply;
  }

  window.addEventListener("message", function (event) {
    var message = event.data;
    if (relay && event.origin === config.dataset.relayOrigin && message === "storage-relay-ready") {
      relayReady = true;
      relayQueue.splice(0).forEach(relayAnswer);
      return;
    }
    if (event.origin !== toolOrigin || !message || typeof message !== "object" ||
        typeof message.subject !== "string" || message.subject.indexOf("lti.") !== 0 ||
        /\.response$/.test(message.subject) || message.subject === "lti.frameResize") { return; }  // frame_resize.js
    var reply = answer(message, event.origin);
    if (mode === "other-origin" && relay) {
      relayAnswer({ answer: reply, toolOrigin: event.origin, frame: frameName });
      return;
    }
    event.source.postMessage(reply, event.origin);
  });
})();
