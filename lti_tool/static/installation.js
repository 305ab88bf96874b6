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
  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    button.addEventListener("click", function () {
      var source = document.getElementById(button.getAttribute("data-copy-target"));
      var text = source ? source.textContent : "";
      var done = function () { button.setAttribute("data-copied", "true"); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done);
        return;
      }
      // Plain-HTTP pages have no clipboard API: select the text so Ctrl+C copies it.
      var range = document.createRange();
      range.selectNodeContents(source);
      window.getSelection().removeAllRanges();
      window.getSelection().addRange(range);
      document.execCommand("copy");
      done();
    });
  });
})();
