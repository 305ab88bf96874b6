// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  // Forms that hand control back to the LMS submit themselves; their button stays as the fallback.
  document.querySelectorAll("form[data-autosubmit]").forEach(function (form) { form.submit(); });
  // The browser's own time zone goes to the top of the list, and is preselected where an instructor has not chosen
  // one yet (the server lists the zone in use, then the LMS locale's country, then the common zones).
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  document.querySelectorAll("select[data-browser-timezone]").forEach(function (select) {
    var own = zone ? select.querySelector('option[value="' + zone + '"]') : null;
    if (!own) { return; }
    var chosen = select.value;
    select.insertBefore(own, select.firstChild);
    select.value = chosen === "UTC" ? zone : chosen;
  });
})();
