// The registration frame: when the tool says it is done (LTI Dynamic Registration), close it and show the tools.
(function () {
  "use strict";
  var frame = document.getElementById("tool-frame");
  if (!frame) { return; }
  window.addEventListener("message", function (event) {
    // Only the tool's own page may close its registration.
    if (event.origin !== frame.getAttribute("data-registration-origin")) { return; }
    if (event.data && event.data.subject === "org.imsglobal.lti.close") {
      window.location.href = frame.getAttribute("data-tools-url");
    }
  });
})();
