// Inside an LMS frame, tell the LMS how tall the page is (lti.frameResize, which Canvas honours), so the
// page grows with its content instead of scrolling inside a frame of fixed height.
(function () {
  "use strict";
  if (window.parent === window) { return; }
  var lastHeight = 0;

  function report() {
    // The html element's own box, not scrollHeight: scrollHeight never drops below the frame's height,
    // so a page could grow its frame but never shrink it again.
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === lastHeight) { return; }
    lastHeight = height;
    // The height says nothing private, and the LMS's origin is not known to the page: any origin may read it.
    window.parent.postMessage({ subject: "lti.frameResize", height: height }, "*");
  }

  report();
  if (window.ResizeObserver) {
    new ResizeObserver(report).observe(document.documentElement);
  } else {
    window.addEventListener("load", report);
  }
})();
