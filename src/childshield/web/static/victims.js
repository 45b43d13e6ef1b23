// The victims' page: fingerprints (PDQ, SHA-256) are computed here, in the browser; the files
// are never uploaded. Only {hashes, reference_code, email?} is sent to the centre.
import { pdqFromBlob, pdqFromVideo, sha256Hex } from "./pdq.js";

const API = "/centre/v1/victims/requests";
const $ = (id) => document.getElementById(id);
const state = { hashes: [], files: 0 };

function randomCode() {
  const bytes = crypto.getRandomValues(new Uint8Array(15));
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return hex.match(/.{1,6}/g).join("-");
}

function randomKey() {
  return crypto.randomUUID ? crypto.randomUUID() : randomCode();
}

function cell(row, text) {
  const td = document.createElement("td");
  td.textContent = text;
  row.appendChild(td);
}

async function hashFile(file) {
  const found = [];
  const sha = await sha256Hex(file);
  if (sha) found.push({ signal: "sha256", value: sha });
  let kind = "picture";
  let quality = "";
  if (file.type.startsWith("video/")) {
    kind = "video";
    const frames = await pdqFromVideo(file);
    for (const f of frames) found.push({ signal: "pdq", value: f.hash, quality: f.quality });
    quality = frames.length ? `${Math.min(...frames.map((f) => f.quality))}-${Math.max(...frames.map((f) => f.quality))}` : "";
  } else {
    const r = await pdqFromBlob(file);
    found.push({ signal: "pdq", value: r.hash, quality: r.quality });
    quality = String(r.quality);
  }
  return { kind, found, quality };
}

async function onFiles(event) {
  const files = Array.from(event.target.files || []);
  for (const [i, file] of files.entries()) {
    $("progress").textContent = `Fingerprinting ${i + 1} of ${files.length} on this device...`;
    const row = document.createElement("tr");
    cell(row, file.name);
    try {
      const { kind, found, quality } = await hashFile(file);
      const seen = new Set(state.hashes.map((h) => `${h.signal}:${h.value}`));
      for (const h of found) if (!seen.has(`${h.signal}:${h.value}`)) state.hashes.push(h);
      cell(row, kind);
      cell(row, String(found.length));
      cell(row, quality);
      state.files++;
    } catch (err) {
      cell(row, "-");
      cell(row, `could not read this file: ${err.message}`);
      cell(row, "");
    }
    $("hashed").appendChild(row);
  }
  $("progress").textContent = `${state.hashes.length} fingerprint(s) ready from ${state.files} file(s). Nothing has been sent.`;
  $("progress").dataset.done = "true";
  $("submit").disabled = state.hashes.length === 0;
}

function problemText(body, status) {
  if (body && body.errors && body.errors.length) {
    return body.errors.map((e) => `${e.field}: ${e.problem}`).join("; ");
  }
  return (body && (body.detail || body.title)) || `error ${status}`;
}

function showAnswer(view) {
  const box = $("answer");
  box.replaceChildren();
  const p = document.createElement("p");
  p.dataset.testid = "answer-summary";
  p.textContent = view.matches.length
    ? `The centre found ${view.matches.length} report(s) of matching material.`
    : "The centre found no report of matching material (yet). It searches again when asked.";
  box.appendChild(p);
  if (!view.matches.length) return;
  const table = document.createElement("table");
  table.className = "cs-table";
  table.innerHTML = "<thead><tr><th>Reported by</th><th>When</th><th>Forwarded to police</th><th>Removed</th></tr></thead>";
  const body = document.createElement("tbody");
  for (const m of view.matches) {
    const row = document.createElement("tr");
    cell(row, m.provider);
    cell(row, m.reported_at);
    cell(row, m.forwarded ? `yes (${m.forwarded_at})` : "no");
    cell(row, m.removed ? "yes" : (m.notice ? "removal requested" : "not yet"));
    body.appendChild(row);
  }
  table.appendChild(body);
  box.appendChild(table);
}

async function submit() {
  $("submit").disabled = true;
  $("submit-status").textContent = "Sending the fingerprints (not the files)...";
  const body = { hashes: state.hashes, reference_code: $("reference").textContent };
  const email = $("email").value.trim();
  if (email) body.email = email;
  const response = await fetch(API, {
    method: "POST",
    headers: { "Content-Type": "application/json", "Idempotency-Key": state.key },
    body: JSON.stringify(body),
  });
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    $("submit-status").textContent = `Not sent: ${problemText(data, response.status)}`;
    $("submit").disabled = false;
    return;
  }
  $("submit-status").textContent = `Sent. Keep your reference code: ${body.reference_code}`;
  $("submit-status").dataset.done = "true";
  $("lookup-code").value = body.reference_code;
  showAnswer(data);
}

async function lookup() {
  const code = $("lookup-code").value.trim();
  const response = await fetch(`${API}/mine`, { headers: { "X-Reference-Code": code } });
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    $("answer").textContent = problemText(data, response.status);
    return;
  }
  showAnswer(data);
}

state.key = randomKey();
$("reference").textContent = randomCode();
$("files").addEventListener("change", onFiles);
$("submit").addEventListener("click", submit);
$("lookup").addEventListener("click", lookup);
document.body.dataset.victimsReady = "true";
