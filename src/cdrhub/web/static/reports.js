// The Reports page's chart: figures from the page's JSON data block, drawn by Chart.js, right
// to left in Hebrew. Redrawn after htmx swaps the results in.
(function () {
  "use strict";
  var drawn = null;

  function draw() {
    var block = document.getElementById("chart-data");
    var canvas = document.getElementById("report-chart");
    if (drawn) { drawn.destroy(); drawn = null; }
    if (!block || !canvas || typeof Chart === "undefined") return;
    var given = JSON.parse(block.textContent);
    var data = { labels: given.labels, datasets: given.datasets };
    // a line runs over time (days), left to right or right to left; bars turn sideways when many
    var line = given.type === "line";
    var rtl = document.documentElement.dir === "rtl";
    var sideways = !line && data.labels.length > 8;
    canvas.dir = rtl ? "rtl" : "ltr";
    drawn = new Chart(canvas, {
      type: line ? "line" : "bar",
      data: data,
      options: {
        animation: false,
        indexAxis: sideways ? "y" : "x",
        locale: document.documentElement.lang === "he" ? "he-IL" : "en-IL",
        scales: line
          ? { x: { reverse: rtl }, y: { min: 0, max: 100 } }
          : { x: { reverse: rtl && !sideways } },
        plugins: {
          legend: { rtl: rtl, textDirection: rtl ? "rtl" : "ltr" },
          tooltip: { rtl: rtl, textDirection: rtl ? "rtl" : "ltr" }
        }
      }
    });
  }

  // Empty filters stay out of the URL (disabled fields are not sent): a shared link names only
  // what was chosen. Runs before htmx's own submit handler (capture phase).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || form.id !== "report-filters") return;
    var emptied = [];
    Array.prototype.forEach.call(form.elements, function (field) {
      if (field.name && field.value === "" && !field.disabled) {
        field.disabled = true;
        emptied.push(field);
      }
    });
    setTimeout(function () {
      emptied.forEach(function (field) { field.disabled = false; });
    }, 0);
  }, true);

  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:after:swap", draw);   // htmx 4
  document.addEventListener("htmx:afterSwap", draw);    // htmx 2's name
})();
