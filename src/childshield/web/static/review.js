// childshield review console (provider). No build step, no dependencies.
// Decisions call the review API with the session's CSRF token (csFetch) and a fresh
// Idempotency-Key; after a decision the next case is served automatically.
// Conversations are fetched as JSON and rendered with textContent (never as HTML).
(function () {
  "use strict";

  function status(message) {
    var el = document.querySelector("[data-status]");
    if (el) { el.textContent = message; }
  }

  function send(method, url, body) { return window.csSend(method, url, body); }

  function filters() {
    var el = document.querySelector("[data-filter]") || document.querySelector("[data-case]");
    var out = {};
    if (el && document.querySelector("[data-filter]")) {
      if (el.getAttribute("data-abuse-type")) { out.abuse_type = el.getAttribute("data-abuse-type"); }
      if (el.getAttribute("data-source")) { out.source = el.getAttribute("data-source"); }
    }
    return out;
  }

  function nextCase() {
    status("");
    send("POST", "/provider/v1/review/next", filters()).then(function (data) {
      window.location.href = data ? "/provider/console/review/cases/" + data.id
                                  : "/provider/console/review/?empty=1";
    }).catch(function (error) { status(error.message); });
  }

  function decide(decision, abuseType) {
    var panel = document.querySelector("[data-decisions]");
    if (!panel) { return; }
    var note = panel.querySelector("[data-note]");
    var body = { decision: decision, note: note ? note.value : "" };
    if (abuseType) { body.abuse_type = abuseType; }
    status("saving…");
    send("POST", panel.getAttribute("data-api") + "/decisions", body).then(function () {
      nextCase();
    }).catch(function (error) { status(error.message); });
  }

  function skip() {
    var panel = document.querySelector("[data-decisions]");
    if (!panel) { nextCase(); return; }
    send("POST", panel.getAttribute("data-api") + "/release", {}).then(function () {
      window.location.href = "/provider/console/review/";
    }).catch(function (error) { status(error.message); });
  }

  // --- queue rows ---------------------------------------------------------------------
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("[data-row]")); }
  function selectedRow() { return document.querySelector("[data-row].is-selected"); }
  function selectRow(row) {
    rows().forEach(function (r) { r.classList.toggle("is-selected", r === row); });
    if (row) { row.focus(); }
  }
  function moveRow(step) {
    var all = rows();
    if (!all.length) { return false; }
    var index = all.indexOf(selectedRow());
    selectRow(all[(index + step + all.length) % all.length]);
    return true;
  }

  // --- conversation evidence ----------------------------------------------------------
  function loadChats() {
    var marked = {};
    document.querySelectorAll("[data-indicator-message]").forEach(function (el) {
      var index = el.getAttribute("data-indicator-message");
      (marked[index] = marked[index] || []).push(el.textContent.split(" — ")[0]);
    });
    document.querySelectorAll("[data-chat]").forEach(function (figure) {
      var list = figure.querySelector("[data-chat-messages]");
      window.csFetch(figure.getAttribute("data-chat")).then(function (r) {
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json();
      }).then(function (data) {
        list.textContent = "";
        (data.messages || []).forEach(function (m) {
          var li = document.createElement("li");
          var who = document.createElement("strong");
          who.textContent = m.author + ": ";
          li.appendChild(who);
          li.appendChild(document.createTextNode(m.text));
          if (marked[String(m.index)]) {
            li.classList.add("is-flagged");
            var tag = document.createElement("span");
            tag.className = "cs-chat-tag";
            tag.textContent = " [" + marked[String(m.index)].join(", ") + "]";
            li.appendChild(tag);
          }
          li.setAttribute("data-message-index", m.index);
          list.appendChild(li);
        });
      }).catch(function (error) { list.textContent = "could not load: " + error.message; });
    });
  }

  // --- colour preference (stored with the user's account) ------------------------------
  function setupPreference() {
    var box = document.querySelector('[data-server-pref="colour"]');
    if (!box) { return; }
    document.body.classList.toggle("cs-pref-colour", box.checked);
    box.addEventListener("change", function () {
      document.body.classList.toggle("cs-pref-colour", box.checked);
      send("PUT", "/provider/v1/review/preferences", { colour: box.checked })
        .catch(function (error) { status(error.message); });
    });
  }

  var actions = window.csActions || {};
  actions["review-next"] = nextCase;
  actions["review-open"] = function () {
    var row = selectedRow() || rows()[0];
    if (row) { window.location.href = row.getAttribute("data-href"); }
  };
  actions["review-confirm-known"] = function () { decide("confirm", "known"); };
  actions["review-confirm-new"] = function () { decide("confirm", "new"); };
  actions["review-confirm-solicitation"] = function () { decide("confirm", "solicitation"); };
  actions["review-not-abuse"] = function () { decide("not_abuse"); };
  actions["review-escalate"] = function () { decide("escalate"); };
  actions["review-needs-context"] = function () { decide("needs_context"); };
  actions["review-skip"] = skip;
  // j/k move between queue rows on the queue page, between media items on a case page
  if (document.querySelector("[data-queue]")) {
    actions["next"] = function () { moveRow(1); };
    actions["previous"] = function () { moveRow(-1); };
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupPreference();
    loadChats();
    if (document.querySelector("[data-queue]")) {
      document.addEventListener("keydown", function (event) {
        if (event.target && event.target.tagName === "TEXTAREA") { return; }
        if (event.key === "j") { moveRow(1); event.preventDefault(); }
        if (event.key === "k") { moveRow(-1); event.preventDefault(); }
      });
      if (window.location.search.indexOf("empty=1") >= 0) { status("No more cases in this queue."); }
    }
  });
})();
