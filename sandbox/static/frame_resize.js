// The course page's side of lti.frameResize: the tool's frame takes the height its page asks for; and of
// lti.scrollToTop (as Canvas): the course page scrolls so the frame's top is in view.
(function () {
  "use strict";
  var frame = document.getElementById("tool-frame");
  if (!frame || !frame.dataset.toolOrigin) { return; }
  var MIN_HEIGHT = 240;
  var MAX_HEIGHT = 20000;  // a runaway page must not make the course page endless

  window.addEventListener("message", function (event) {
    var message = event.data;
    if (event.origin !== frame.dataset.toolOrigin || event.source !== frame.contentWindow) { return; }
    if (!message || typeof message !== "object") { return; }
    if (message.subject === "lti.scrollToTop") {
      frame.scrollIntoView({ block: "start" });
      return;
    }
    if (message.subject !== "lti.frameResize") { return; }
    var height = Number(message.height);
    if (!isFinite(height)) { return; }
    frame.style.height = Math.min(MAX_HEIGHT, Math.max(MIN_HEIGHT, Math.ceil(height))) + "px";
  });
})();
