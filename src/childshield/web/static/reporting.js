// childshield reporting console (provider): removal orders and complaints.
// Forms call the provider API (csSend: the session's CSRF token and a fresh
// Idempotency-Key), so the console and the API are one code path; the page reloads after.
// Pending orders count down to their deadline and turn urgent before it.
(function () {
  "use strict";

  function status(message) {
    var el = document.querySelector("[data-status]");
    if (el) { el.textContent = message; }
  }

  function lines(text) {
    return (text || "").split("\n").map(function (r) { return r.trim(); })
      .filter(function (r) { return r; });
  }

  function field(form, name) {
    var checked = form.querySelector('input[name="' + name + '"]:checked');
    if (checked) { return checked.value; }
    var el = form.querySelector('[name="' + name + '"]');
    return el ? el.value : "";
  }

  function orderBody(form) {
    if (field(form, "executed") === "yes") {
      return { executed: true, details: field(form, "details").trim() || null };
    }
    var reasons = lines(field(form, "reasons"));
    if (!reasons.length) { throw new Error("Give the reasons the order cannot be executed."); }
    return { executed: false, reasons: reasons, details: field(form, "details").trim() || null };
  }

  function complaintBody(form) {
    var reasons = field(form, "reasons").trim();
    if (!reasons) { throw new Error("Give the reasons (the user is told)."); }
    return { outcome: field(form, "outcome"), reasons: reasons };
  }

  function submit(form, build) {
    var body;
    try { body = build(form); } catch (error) { status(error.message); return; }
    var button = form.querySelector("button[type=submit]");
    if (button) { button.disabled = true; }
    status("saving…");
    window.csSend("POST", form.getAttribute("data-api"), body).then(function () {
      status("saved");
      window.location.reload();
    }).catch(function (error) {
      status(error.message);
      if (button) { button.disabled = false; }
    });
  }

  function countdown() {
    var section = document.querySelector("[data-alert-before]");
    var alertBefore = section ? Number(section.getAttribute("data-alert-before")) : 14400;
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var left = Math.floor((Date.parse(el.getAttribute("data-deadline")) - Date.now()) / 1000);
      var row = el.closest("tr");
      if (left <= 0) {
        el.textContent = "OVERDUE by " + Math.floor(-left / 3600) + " h " +
          Math.floor((-left % 3600) / 60) + " min";
      } else {
        el.textContent = Math.floor(left / 3600) + " h " + Math.floor((left % 3600) / 60) +
          " min " + (left % 60) + " s left";
      }
      if (row) { row.classList.toggle("is-urgent", left <= alertBefore); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-order-form]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        submit(form, orderBody);
      });
    });
    document.querySelectorAll("[data-complaint-form]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        submit(form, complaintBody);
      });
    });
    countdown();
    window.setInterval(countdown, 1000);
  });
})();
