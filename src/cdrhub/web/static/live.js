// The Live page: pop-ups for missed customer contacts over Server-Sent Events, the open
// callbacks kept current, and the buttons that act on them. Data is only ever put in the page
// as text (textContent), never as HTML.
"use strict";

(function () {
  const csrf = document.querySelector('meta[name="csrf"]').content;
  const messages = document.getElementById("messages").dataset;
  const popups = document.getElementById("popups");
  const table = document.querySelector("#callbacks tbody");
  const state = document.getElementById("stream-state");
  const shown = new Map(); // item id -> pop-up element
  let alerts = false;

  function post(url, fields) {
    const body = new URLSearchParams({ csrf: csrf, ...fields });
    return fetch(url, {
      method: "POST",
      body: body,
      headers: { Accept: "application/json", "X-CSRF-Token": csrf },
      credentials: "same-origin",
    }).then(function (answer) {
      return answer.json().then(function (data) {
        return { status: answer.status, data: data };
      });
    });
  }

  function say(box, result) {
    const error = result.data && result.data.error;
    let text = messages.failed;
    if (error === "no_extension") text = messages.noExtension;
    else if (error === "no_channel") text = messages.noChannel;
    else if (result.status === 202) text = result.data.queued ? messages.queued : messages.already;
    else if (result.status < 300) text = "";
    box.textContent = text;
  }

  function act(item, what, button, resultBox, extra) {
    button.disabled = true; // one click, one request
    return post("/callbacks/" + item + "/" + what, extra || {})
      .then(function (result) {
        if (resultBox) say(resultBox, result);
        if (what !== "call") button.disabled = false;
        return result;
      })
      .catch(function () {
        if (resultBox) resultBox.textContent = messages.failed;
        button.disabled = false;
      });
  }

  function localTime(iso) {
    if (!iso) return "";
    return new Date(iso).toLocaleString(document.documentElement.lang, {
      dateStyle: "short",
      timeStyle: "short",
    });
  }

  function beep() {
    try {
      const audio = new AudioContext();
      const tone = audio.createOscillator();
      tone.frequency.value = 880;
      tone.connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + 0.2);
    } catch (e) {
      /* no sound on this browser */
    }
  }

  function upsertRow(event) {
    let row = table.querySelector('tr[data-item="' + event.item_id + '"]');
    if (!row && table.closest("table").dataset.live !== "rows") return; // a filtered list
    if (!row) {
      row = document.getElementById("row-template").content.firstElementChild.cloneNode(true);
      row.dataset.item = event.item_id;
      row.querySelector(".r-number").textContent = event.number_display;
      row.querySelector(".r-number").title = event.number;
      row.querySelector(".r-queue").textContent = event.queue || "";
      row.querySelector(".r-since").textContent = localTime(event.opened_at);
      row.querySelectorAll("form[data-action]").forEach(function (form) {
        form.action = "/callbacks/" + event.item_id + "/" + form.dataset.action;
      });
      row.querySelector('input[name="request"]').value =
        event.item_id + "-" + event.missed_count + "-" + Date.now();
      const note = row.querySelector('input[name="note"]');
      note.id = "note-" + event.item_id;
      note.previousElementSibling.htmlFor = note.id;
      table.appendChild(row);
    }
    row.querySelector(".missed").textContent = String(event.missed_count);
  }

  function popUp(event) {
    upsertRow(event);
    let box = shown.get(event.item_id);
    if (!box) {
      box = document.getElementById("popup-template").content.firstElementChild.cloneNode(true);
      box.dataset.item = event.item_id;
      box.querySelector(".p-number").textContent = event.number_display;
      box.querySelector(".p-number").title = event.number;
      box.querySelector(".p-contact").textContent = event.contact_name || "";
      box.querySelector(".p-queue").textContent = event.queue || "";
      box.querySelector(".p-since").textContent = localTime(event.opened_at);
      const request = event.item_id + "-" + event.missed_count + "-" + Date.now();
      box.addEventListener("click", function (click) {
        const button = click.target.closest("button[data-do]");
        if (!button) return;
        const what = button.dataset.do;
        const result = box.querySelector(".popup-result");
        if (what === "dismiss") return remove(event.item_id);
        if (what === "call") return act(event.item_id, "call", button, result, { request: request });
        return act(event.item_id, what, button, result);
      });
      popups.appendChild(box);
      shown.set(event.item_id, box);
    }
    box.querySelector(".p-missed").textContent = String(event.missed_count);
    box.querySelector(".p-calls").textContent = String(event.calls_30d);
    if (alerts) {
      beep();
      if (document.hidden && "Notification" in window && Notification.permission === "granted") {
        new Notification(messages.notifyTitle, {
          body: event.number_display + (event.contact_name ? " · " + event.contact_name : ""),
          tag: "cdrhub-callback-" + event.item_id,
        });
      }
    }
  }

  function remove(item) {
    const box = shown.get(item);
    if (box) box.remove();
    shown.delete(item);
  }

  function closed(event) {
    remove(event.item_id);
    const row = table.querySelector('tr[data-item="' + event.item_id + '"]');
    if (row) row.remove();
  }

  function assigned(event) {
    const cell = table.querySelector('tr[data-item="' + event.item_id + '"] .assigned bdi');
    if (cell) cell.textContent = event.assigned_to || "";
  }

  // The table's forms work without script; with it, they act in place.
  table.addEventListener("submit", function (submit) {
    const form = submit.target;
    const row = form.closest("tr");
    if (!row || !form.dataset.action) return;
    submit.preventDefault();
    const fields = Object.fromEntries(new FormData(form));
    delete fields.csrf;
    act(row.dataset.item, form.dataset.action, form.querySelector("button"), null, fields).then(
      function (result) {
        if (result && form.dataset.action === "close" && result.status === 200) row.remove();
      }
    );
  });

  document.getElementById("enable-alerts").addEventListener("click", function () {
    alerts = true;
    beep();
    if ("Notification" in window && Notification.permission === "default") {
      Notification.requestPermission();
    }
  });

  function parse(handler) {
    return function (message) {
      handler(JSON.parse(message.data));
    };
  }

  const source = new EventSource("/live/stream");
  source.addEventListener("open", function () {
    state.textContent = state.dataset.on;
  });
  source.addEventListener("error", function () {
    state.textContent = state.dataset.off;
  });
  source.addEventListener("opened", parse(popUp));
  source.addEventListener("missed", parse(popUp));
  source.addEventListener("closed", parse(closed));
  source.addEventListener("assigned", parse(assigned));
})();
