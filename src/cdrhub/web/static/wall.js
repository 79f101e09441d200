// The wallboard reloads itself every data-refresh seconds (a TV has no one to press F5). A
// script rather than <meta http-equiv="refresh">: it waits while someone is typing in the
// page's form, and a page showing a new screen link (no data-refresh) stays until copied.
"use strict";

(function () {
  const seconds = Number(document.body.dataset.refresh);
  if (!(seconds > 0)) return;
  function reload() {
    if (document.activeElement && document.activeElement.matches("input, button")) {
      setTimeout(reload, seconds * 1000);
      return;
    }
    location.reload();
  }
  setTimeout(reload, seconds * 1000);
})();
