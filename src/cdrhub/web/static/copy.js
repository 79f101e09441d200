// Copy buttons: <button data-copy="ID"> copies the text of the element with that id.
"use strict";

document.addEventListener("click", function (click) {
  const button = click.target.closest("button[data-copy]");
  if (!button) return;
  const text = document.getElementById(button.dataset.copy).textContent;
  navigator.clipboard.writeText(text).then(function () {
    button.textContent = button.dataset.done;
  });
});
