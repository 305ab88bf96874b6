// Moments marked <time data-local-time> are written by the server in the assignment's time zone; this rewrites
// them in the reader's own zone and the page's language, keeping the server's text as a tooltip.
(function () {
  "use strict";
  var lang = document.documentElement.lang || undefined;
  var format;
  try {
    format = new Intl.DateTimeFormat(lang, {
      weekday: "short", day: "numeric", month: "short", year: "numeric",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short"
    });
  } catch (unsupported) {
    return; // the server's text stays
  }
  // Zones named only by their offset read as the server writes them (lti_tool/i18n.py zone_label): "UTC", "UTC+5:30",
  // never "GMT" on one page and "UTC" on another.
  function zoneLabel(name) {
    return name.replace(/^GMT(?=$|[+\-\u2212])/, "UTC").replace(/\u2212/g, "-");
  }
  document.querySelectorAll("time[data-local-time]").forEach(function (element) {
    var moment = new Date(element.getAttribute("datetime"));
    if (isNaN(moment.getTime())) {
      return;
    }
    var original = element.textContent.trim();
    var local = format.formatToParts(moment).map(function (part) {
      return part.type === "timeZoneName" ? zoneLabel(part.value) : part.value;
    }).join("");
    if (local !== original) {
      element.title = original;
      element.textContent = local;
    }
  });
})();
