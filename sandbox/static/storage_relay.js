// The "other-origin" fault: answers reach the tool from this frame's origin instead of the course page's.
(function () {
  "use strict";
  // The course page holds its answers until this frame is listening.
  window.parent.postMessage("storage-relay-ready", "*");
  window.addEventListener("message", function (event) {
    var data = event.data;
    if (event.source !== window.parent || !data || !data.answer || !data.toolOrigin) { return; }
    var tool = window.parent.frames[data.frame];
    if (tool) { tool.postMessage(data.answer, data.toolOrigin); }
  });
})();
