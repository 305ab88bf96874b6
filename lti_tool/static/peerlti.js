// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  // Forms that hand control back to the LMS submit themselves; their button stays as the fallback.
  document.querySelectorAll("form[data-autosubmit]").forEach(function (form) { form.submit(); });
  // Preselect the browser's time zone where an instructor has not chosen one yet.
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  document.querySelectorAll("select[data-browser-timezone]").forEach(function (select) {
    if (select.value === "UTC" && zone && select.querySelector('option[value="' + zone + '"]')) {
      select.value = zone;
    }
  });
})();
