// childshield console behaviour (no build step, no dependencies).
// - media stays blurred and greyscale until revealed; revealing one hides the others;
// - videos never autoplay and are muted;
// - buttons with data-key="x" are pressed by the key x; "?" toggles the legend;
// - fetch() helper csFetch adds the CSRF token for unsafe requests; csSend writes JSON
//   to the API with an Idempotency-Key and turns problem+json into an Error.
(function () {
  "use strict";

  function mediaItems() { return Array.prototype.slice.call(document.querySelectorAll("[data-media]")); }
  function selected() { return document.querySelector("[data-media].is-selected"); }

  function setState(item, revealed) {
    item.classList.toggle("is-revealed", revealed);
    var label = item.querySelector("[data-media-state]");
    if (label) { label.textContent = revealed ? "revealed" : "hidden"; }
    if (!revealed) {
      item.querySelectorAll("video").forEach(function (v) { v.pause(); });
    }
  }

  function select(item) {
    mediaItems().forEach(function (m) { m.classList.toggle("is-selected", m === item); });
    if (item) { item.focus({ preventScroll: false }); }
  }

  function reveal(item) {
    if (!item) { return; }
    mediaItems().forEach(function (m) { setState(m, m === item); });
  }

  function move(step) {
    var items = mediaItems();
    if (!items.length) { return; }
    var index = items.indexOf(selected());
    var next = items[(index + step + items.length) % items.length];
    select(next);
  }

  var actions = {
    "reveal": function () { reveal(selected() || mediaItems()[0]); },
    "hide-all": function () { mediaItems().forEach(function (m) { setState(m, false); }); },
    "next": function () { move(1); },
    "previous": function () { move(-1); }
  };
  window.csActions = actions;

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }
  window.csFetch = function (url, options) {
    options = options || {};
    var method = (options.method || "GET").toUpperCase();
    options.headers = options.headers || {};
    if (["GET", "HEAD", "OPTIONS"].indexOf(method) < 0) {
      options.headers["X-CSRF-Token"] = csrfToken();
    }
    options.credentials = "same-origin";
    return fetch(url, options);
  };
  // A JSON write to the API: CSRF token, a fresh Idempotency-Key, problem+json as an Error.
  window.csNewKey = function () {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    return String(Date.now()) + "-" + String(Math.random()).slice(2);
  };
  window.csSend = function (method, url, body) {
    return window.csFetch(url, {
      method: method,
      headers: { "Content-Type": "application/json", "Idempotency-Key": window.csNewKey() },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      if (response.status === 204) { return null; }
      return response.json().then(function (data) {
        if (!response.ok) { throw new Error(data.detail || ("HTTP " + response.status)); }
        return data;
      });
    });
  };

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("video").forEach(function (v) {
      v.autoplay = false; v.muted = true; v.removeAttribute("autoplay"); v.preload = "metadata";
    });
    mediaItems().forEach(function (m) {
      setState(m, false);
      m.addEventListener("click", function () { select(m); });
    });
    if (mediaItems().length) { select(mediaItems()[0]); }

    document.querySelectorAll("[data-action]").forEach(function (button) {
      button.addEventListener("click", function () {
        var action = actions[button.getAttribute("data-action")];
        if (action) { action(); }
      });
    });

    var colour = document.querySelector('[data-pref="colour"]');
    if (colour) {
      colour.checked = localStorage.getItem("cs-pref-colour") === "1";
      document.body.classList.toggle("cs-pref-colour", colour.checked);
      colour.addEventListener("change", function () {
        localStorage.setItem("cs-pref-colour", colour.checked ? "1" : "0");
        document.body.classList.toggle("cs-pref-colour", colour.checked);
      });
    }

    document.addEventListener("keydown", function (event) {
      var target = event.target;
      if (event.ctrlKey || event.metaKey || event.altKey) { return; }
      if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" ||
                     target.tagName === "SELECT" || target.isContentEditable)) { return; }
      if (event.key === "?") {
        var legend = document.querySelector("[data-legend]");
        if (legend) { legend.hidden = !legend.hidden; }
        event.preventDefault();
        return;
      }
      var button = document.querySelector('[data-key="' + CSS.escape(event.key) + '"]');
      if (button && !button.disabled) { button.click(); event.preventDefault(); }
    });
  });
})();
