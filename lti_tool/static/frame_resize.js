// Inside an LMS frame, tell the LMS how tall the page is (lti.frameResize, which Canvas honours), so the
// page grows with its content instead of scrolling inside a frame of fixed height. After a form was sent, bring its
// outcome (a confirmation, a refusal, or the form's problems) into view and give it the focus: the LMS page stays
// scrolled where the button was, which, in a frame as tall as the page, may be far below the message.
(function () {
  "use strict";
  var framed = window.parent !== window;
  var lastHeight = 0;
  // The outcome of the last form: the flashed confirmation or refusal, or the first problem the form shows.
  var OUTCOME = "main .flash, main .error";

  function report() {
    // The html element's own box, not scrollHeight: scrollHeight never drops below the frame's height,
    // so a page could grow its frame but never shrink it again.
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === lastHeight) { return; }
    lastHeight = height;
    // The height says nothing private, and the LMS's origin is not known to the page: any origin may read it.
    window.parent.postMessage({ subject: "lti.frameResize", height: height }, "*");
  }

  function bringOutcomeIntoView() {
    var outcome = document.querySelector(OUTCOME);
    if (!outcome) { return; }
    if (!outcome.hasAttribute("tabindex")) { outcome.setAttribute("tabindex", "-1"); }
    // Focus first, so a screen reader reads the outcome; the scrolling below is for the eyes.
    outcome.focus({ preventScroll: true });
    outcome.scrollIntoView({ block: "nearest" });
    if (framed) {
      // Ask the LMS to scroll its page to the frame's top (Canvas's lti.scrollToTop), where the outcome is: a
      // flash opens the page, and a form's problems follow its title. The height goes first, so the LMS scrolls
      // the page as it now is.
      window.parent.postMessage({ subject: "lti.scrollToTop" }, "*");
    }
  }

  if (framed) {
    report();
    if (window.ResizeObserver) {
      new ResizeObserver(report).observe(document.documentElement);
    } else {
      window.addEventListener("load", report);
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", bringOutcomeIntoView);
  } else {
    bringOutcomeIntoView();
  }
})();
