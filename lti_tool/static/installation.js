// Installation pages: hand control back to the LMS that opened the registration, and copy values.
(function () {
  "use strict";
  // LTI Dynamic Registration: the platform opened this page in a window or an iframe and waits for this message.
  // It is sent when the administrator is done reading, so the confirmation does not vanish at once.
  function closeRegistration() {
    var platform = window.opener || (window.parent !== window ? window.parent : null);
    if (platform) {
      platform.postMessage({ subject: "org.imsglobal.lti.close" }, "*");
    }
  }
  document.querySelectorAll("[data-lti-close]").forEach(function (button) {
    button.addEventListener("click", closeRegistration);
  });
  // Plain-HTTP pages and frames without clipboard permission: select the text so Ctrl+C copies it.
  function selectForCopying(source) {
    var range = document.createRange();
    range.selectNodeContents(source);
    window.getSelection().removeAllRanges();
    window.getSelection().addRange(range);
    return document.execCommand("copy");
  }
  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    button.addEventListener("click", function () {
      var source = document.getElementById(button.getAttribute("data-copy-target"));
      if (!source) { return; }
      var copied = function () { button.setAttribute("data-copied", "true"); };
      var fallback = function () { if (selectForCopying(source)) { copied(); } };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(source.textContent).then(copied, fallback);
      } else {
        fallback();
      }
    });
  });
})();
