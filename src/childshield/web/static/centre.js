// childshield analyst console (EU Centre). No build step, no dependencies.
// Decisions call the analysts' API with the session's CSRF token (csFetch) and a fresh
// Idempotency-Key; after a decision the next report is served automatically.
(function () {
  "use strict";

  function status(message) {
    var el = document.querySelector("[data-status]");
    if (el) { el.textContent = message; }
  }

  function post(url, body) { return window.csSend("POST", url, body); }

  function nextReport() {
    post("/centre/v1/analysis/next", {}).then(function (data) {
      window.location.href = data.case ? "/centre/console/reports/" + data.case.case_id
                                       : "/centre/console/queue";
    }).catch(function (error) { status(error.message); });
  }

  // --- queue: row selection -------------------------------------------------------------
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("[data-row]")); }
  function selectedRow() { return document.querySelector("[data-row].is-selected"); }
  function selectRow(row) {
    rows().forEach(function (r) { r.classList.toggle("is-selected", r === row); });
    if (row) { row.focus(); }
  }
  function moveRow(step) {
    var all = rows();
    if (!all.length) { return; }
    var index = all.indexOf(selectedRow());
    selectRow(all[(index + step + all.length) % all.length]);
  }

  // --- report: decision forms -----------------------------------------------------------
  function form(name) { return document.querySelector('[data-decision="' + name + '"]'); }
  function openForm(name) {
    document.querySelectorAll("[data-decision]").forEach(function (f) {
      f.hidden = f.getAttribute("data-decision") !== name;
    });
    var area = form(name).querySelector("textarea");
    if (area) { area.focus(); }
  }

  function decide(name, values) {
    var panel = document.querySelector("[data-decisions]");
    var base = panel.getAttribute("data-api");
    var request;
    if (name === "forward") {
      request = post(base + "/forward", { notes: values.notes || null });
    } else if (name === "unfounded") {
      request = post(base + "/unfounded", {
        reasons: values.reasons.split("\n").filter(function (r) { return r.trim(); })
      });
    } else {
      request = post(base + "/info-requests", { question: values.question });
    }
    status("sending...");
    request.then(function () {
      status(name === "ask" ? "question sent" : "decision recorded; next report...");
      if (name === "ask") { window.location.reload(); } else { nextReport(); }
    }).catch(function (error) { status(error.message); });
  }

  var actions = window.csActions || {};
  actions["centre-next"] = nextReport;
  actions["centre-open"] = function () {
    var row = selectedRow() || rows()[0];
    if (row) { window.location.href = row.getAttribute("data-href"); }
  };
  actions["centre-decide-forward"] = function () { openForm("forward"); };
  actions["centre-decide-unfounded"] = function () { openForm("unfounded"); };
  actions["centre-decide-ask"] = function () { openForm("ask"); };

  document.addEventListener("DOMContentLoaded", function () {
    if (rows().length) { selectRow(rows()[0]); }
    rows().forEach(function (row) {
      row.addEventListener("click", function () { selectRow(row); });
      row.addEventListener("dblclick", function () { window.location.href = row.getAttribute("data-href"); });
    });
    document.querySelectorAll("[data-decision]").forEach(function (f) {
      f.addEventListener("submit", function (event) {
        event.preventDefault();
        var values = {};
        f.querySelectorAll("textarea").forEach(function (a) { values[a.name] = a.value; });
        decide(f.getAttribute("data-decision"), values);
      });
    });
    document.addEventListener("keydown", function (event) {
      var target = event.target;
      var typing = target && (target.tagName === "TEXTAREA" || target.tagName === "INPUT");
      if (typing) {
        if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && target.form) {
          event.preventDefault();
          target.form.requestSubmit();
        } else if (event.key === "Escape" && target.form) {
          target.form.hidden = true;
          target.blur();
        }
        return;
      }
      if (!rows().length || event.ctrlKey || event.metaKey || event.altKey) { return; }
      if (event.key === "j") { moveRow(1); event.preventDefault(); }
      else if (event.key === "k") { moveRow(-1); event.preventDefault(); }
      else if (event.key === "Enter" && selectedRow()) { actions["centre-open"](); }
    });
  });
})();
