// The staff dashboard's student table sorted in place, without a page load, when all of it is on the page.
// Every link also works without this file (the server sorts and filters from the query string).
(function () {
  "use strict";
  var table = document.getElementById("student-table");
  // The filter form is left to its button: submitting on change would move keyboard users on as they browse the list.
  // A table split into pages is sorted by the server, across every page.
  if (!table || !table.tBodies.length || !table.hasAttribute("data-complete")) { return; }

  var body = table.tBodies[0];
  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);

  function valueOf(row, column) {
    var cell = row.cells[column];
    return cell ? (cell.getAttribute("data-value") || "") : "";
  }

  // Numbers compare as numbers, text in the page's language; empty values go last in both directions.
  function compare(a, b, descending) {
    if (a === "" || b === "") { return a === b ? 0 : (a === "" ? 1 : -1); }
    var x = Number(a), y = Number(b);
    var order = (!isNaN(x) && !isNaN(y)) ? x - y : a.localeCompare(b, document.documentElement.lang || undefined);
    return descending ? -order : order;
  }

  function sortBy(column, descending) {
    var rows = Array.prototype.slice.call(body.rows).filter(function (row) { return row.cells.length > 1; });
    rows.forEach(function (row, index) { row.dataset.position = index; });
    rows.sort(function (a, b) {
      return compare(valueOf(a, column), valueOf(b, column), descending) || a.dataset.position - b.dataset.position;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    headers.forEach(function (header, index) {
      var arrow = header.querySelector("span[aria-hidden]");
      if (arrow) { arrow.remove(); }
      if (index === column) {
        header.setAttribute("aria-sort", descending ? "descending" : "ascending");
        var mark = document.createElement("span");
        mark.setAttribute("aria-hidden", "true");
        mark.textContent = descending ? " \u25BC" : " \u25B2";
        header.querySelector("a").appendChild(mark);
      } else {
        header.removeAttribute("aria-sort");
      }
    });
  }

  headers.forEach(function (header, column) {
    var link = header.querySelector("a[data-sort]");
    if (!link) { return; }
    link.addEventListener("click", function (event) {
      event.preventDefault();
      var descending = header.getAttribute("aria-sort") === "ascending";
      sortBy(column, descending);
      // Keep the address in step, so a reload or a shared link shows the same order.
      var url = new URL(link.href, window.location.href);
      url.searchParams.set("dir", descending ? "desc" : "asc");
      window.history.replaceState(null, "", url.toString());
    });
  });
})();
