// nlpkit demo page: no framework, no network beyond this server.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { models: [], model: null };
const TEXT_TASKS = { classification: "Text to classify", ner: "Sentence to tag", translation: "Sentence to translate" };
const TASK_NAMES = { classification: "text classification", ner: "named entities", translation: "translation",
  chargen: "character generator", music: "music generator", unknown: "unknown task" };

function el(tag, attrs = {}, children = []) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") e.textContent = v; else if (k === "style") e.style.cssText = v; else e.setAttribute(k, v);
  }
  for (const c of [].concat(children)) e.append(c);
  return e;
}

function setStatus(msg, isError = false) {
  const s = $("status");
  s.textContent = msg;
  s.className = isError ? "error" : "";
}

async function api(path, body) {
  const opts = body === undefined ? {} : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  const res = await fetch(path, opts);
  let data;
  try { data = await res.json(); } catch (e) { data = { error: `HTTP ${res.status}` }; }
  if (!res.ok) throw new Error(data.error || `HTTP ${res.status}`);
  return data;
}

async function loadModels() {
  try {
    const data = await api("/api/models");
    if (!data.ready) { setStatus("Models are loading…"); setTimeout(loadModels, 1000); return; }
    state.models = data.models;
    const sel = $("model");
    sel.replaceChildren();
    for (const m of data.models) {
      sel.append(el("option", { value: m.name, text: `${m.name} (${TASK_NAMES[m.task] || m.task}, v${m.version})` }));
    }
    const failed = Object.keys(data.failed || {});
    if (!data.models.length) { setStatus("No models are served. Start the server on a folder of exports (nlpkit serve saved_models/).", true); return; }
    setStatus(`${data.models.length} model(s) ready` + (failed.length ? `; failed to load: ${failed.join(", ")}` : "") + ".");
    const wanted = new URLSearchParams(location.search).get("model");
    if (wanted && data.models.some((m) => m.name === wanted)) sel.value = wanted;
    selectModel();
  } catch (e) {
    setStatus(`Could not list models: ${e.message}`, true);
  }
}

function selectModel() {
  const m = state.models.find((x) => x.name === $("model").value);
  state.model = m;
  $("result").hidden = true;
  $("result-body").replaceChildren();
  const isText = m && m.task in TEXT_TASKS;
  const isGen = m && (m.task === "chargen" || m.task === "music");
  $("panel-text").hidden = !isText;
  $("panel-gen").hidden = !isGen;
  if (!m) return;
  const sig = m.signatures[m.task_signature] || { inputs: {}, outputs: {} };
  $("model-help").textContent = `Task: ${TASK_NAMES[m.task] || m.task}. Signature: ${m.task_signature}. ` +
    `Outputs: ${Object.keys(sig.outputs).sort().join(", ")}.`;
  if (isText) $("text-label").textContent = TEXT_TASKS[m.task];
  if (isGen) {
    const music = m.task === "music";
    document.querySelectorAll(".prompt-field").forEach((x) => { x.hidden = music; });
    $("gen-length-label").textContent = music ? "Steps (events)" : "Max length (characters)";
    if (music && Number($("gen-length").value) < 32) $("gen-length").value = 64;
  }
}

function textInputName(m) {
  const sig = m.signatures[m.task_signature];
  return Object.keys(sig.inputs).find((k) => sig.inputs[k].dtype === "string");
}

async function runText(ev) {
  ev.preventDefault();
  const m = state.model;
  const text = $("text-input").value;
  if (!text.trim()) { setStatus("Type some text first.", true); $("text-input").focus(); return; }
  await busy($("text-run"), async () => {
    const data = await api(`/v1/models/${encodeURIComponent(m.name)}:predict`, {
      signature_name: m.task_signature, instances: [{ [textInputName(m)]: text }],
    });
    const p = data.predictions[0];
    if (m.task === "classification") showBars(m, p);
    else if (m.task === "ner") showEntities(text, p);
    else showTranslation(text, p);
  });
}

async function busy(button, fn) {
  button.disabled = true;
  setStatus("Running…");
  try { await fn(); setStatus("Done."); }
  catch (e) { setStatus(e.message, true); }
  finally { button.disabled = false; }
}

function showResult(title, nodes) {
  $("result-title").textContent = title;
  $("result-body").replaceChildren(...nodes);
  $("result").hidden = false;
}

function showBars(m, p) {
  const scores = p.scores;
  const labels = m.labels || scores.map((_, i) => `class ${i}`);
  const top = scores.indexOf(Math.max(...scores));
  const list = el("ul", { class: "bars", "aria-label": "Probability of each label" });
  const order = scores.map((s, i) => i).sort((a, b) => scores[b] - scores[a]);
  for (const i of order) {
    const pct = (100 * scores[i]).toFixed(1);
    list.append(el("li", { class: i === top ? "top" : "" }, [
      el("span", { class: "bar-label", text: labels[i] }),
      el("span", { class: "bar-track", role: "meter", "aria-valuemin": "0", "aria-valuemax": "100",
        "aria-valuenow": pct, "aria-label": `${labels[i]} probability` },
        [el("span", { class: "bar", style: `width:${pct}%;display:block` })]),
      el("span", { class: "bar-value", text: `${pct}%` }),
    ]));
  }
  showResult(`Label: ${p.label}`, [list]);
}

function showEntities(text, p) {
  // Offsets count Unicode code points, as the exported model returns them.
  const chars = Array.from(text);
  const box = el("p", { class: "ents" });
  let pos = 0;
  const n = p.entity_counts;
  for (let j = 0; j < n; j++) {
    const [a, b, label] = [p.entity_starts[j], p.entity_ends[j], p.entity_labels[j]];
    if (a < pos) continue;
    box.append(chars.slice(pos, a).join(""));
    box.append(el("mark", { class: `ent ent-${label}`, "data-label": label, title: label },
      [chars.slice(a, b).join(""), el("span", { class: "ent-label", text: label })]));
    pos = b;
  }
  box.append(chars.slice(pos).join(""));
  const summary = n ? `${n} entit${n === 1 ? "y" : "ies"}: ` +
    Array.from({ length: n }, (_, j) => `${p.entity_texts[j]} (${p.entity_labels[j]})`).join(", ") : "No entities found.";
  showResult("Entities", [box, el("p", { class: "help", text: summary })]);
}

function showTranslation(text, p) {
  const nodes = [el("p", { class: "translation", lang: "", text: p.translation })];
  if (typeof p.score === "number") nodes.push(el("p", { class: "help", text: `log-probability ${p.score.toFixed(3)}` }));
  let att = p.attention || p.attention_weights || p.alignment;
  if (Array.isArray(att) && att.length) {
    let src = p.source_tokens || text.split(/\s+/).filter(Boolean);
    let tgt = p.target_tokens || p.translation.split(/\s+/).filter(Boolean);
    // A batch pads every row to its longest member: "" tokens are padding, not part of this one.
    if (p.source_tokens) { const n = src.indexOf(""); if (n > 0) { src = src.slice(0, n); att = att.map((r) => r.slice(0, n)); } }
    if (p.target_tokens) { const n = tgt.indexOf(""); if (n > 0) { tgt = tgt.slice(0, n); att = att.slice(0, n); } }
    nodes.push(heatmap(att, src, tgt));
  } else {
    nodes.push(el("p", { class: "help", text: "No attention heatmap: this export's signature returns no attention weights (an 'attention' output)." }));
  }
  showResult("Translation", nodes);
}

function heatmap(att, src, tgt) {
  const table = el("table", { class: "heatmap", "aria-label": "Attention weights: rows are output tokens, columns input tokens" });
  const head = el("tr", {}, [el("th", { scope: "col", text: "" })]);
  const cols = att[0].length;
  for (let j = 0; j < cols; j++) head.append(el("th", { scope: "col", text: src[j] ?? "·" }));
  table.append(el("thead", {}, [head]));
  const body = el("tbody");
  att.forEach((row, i) => {
    const tr = el("tr", {}, [el("th", { scope: "row", text: tgt[i] ?? "·" })]);
    row.forEach((w, j) => tr.append(el("td", { title: `${tgt[i] ?? ""} → ${src[j] ?? ""}: ${Number(w).toFixed(2)}`,
      style: `background: rgba(11, 87, 208, ${Math.max(0, Math.min(1, w)).toFixed(3)})` })));
    body.append(tr);
  });
  table.append(body);
  return el("div", { class: "heatmap-wrap" }, [table]);
}

function syncTemperature(from) {
  const v = from.value;
  if (from.id === "gen-temperature") $("gen-temperature-range").value = v; else $("gen-temperature").value = v;
}

async function runGen(ev) {
  ev.preventDefault();
  const m = state.model;
  const sig = m.signatures[m.task_signature];
  const count = Math.max(1, Math.min(10, parseInt($("gen-count").value, 10) || 1));
  const length = Math.max(1, parseInt($("gen-length").value, 10) || 1);
  const temperature = Math.max(0, Number($("gen-temperature").value) || 0);
  const seed = Math.max(0, parseInt($("gen-seed").value, 10) || 0);
  const inputs = { temperature, seed };
  if (m.task === "chargen") {
    inputs.prompts = Array(count).fill($("gen-prompt").value);
    inputs.max_length = length;
    if ("top_k" in sig.inputs) inputs.top_k = 0;
    if ("top_p" in sig.inputs) inputs.top_p = 1.0;
  } else {
    inputs.primer = Array.from({ length: count }, () => []);
    // `max_length`; music exports written before nlpkit 0.2 call it `steps`
    inputs["max_length" in sig.inputs ? "max_length" : "steps"] = length;
  }
  await busy($("gen-run"), async () => {
    const data = await api(`/v1/models/${encodeURIComponent(m.name)}:predict`, { signature_name: m.task_signature, inputs });
    const out = data.outputs;
    if (m.task === "chargen") {
      const texts = Array.isArray(out) ? out : out.text;
      showResult(`Samples (temperature ${temperature}, seed ${seed})`,
        [el("ol", { class: "samples" }, texts.map((t) => el("li", { text: t || "(empty)" })))]);
    } else {
      showMusic(out, temperature, seed);
    }
  });
}

// ---------------------------------------------------------------- music: piano roll + MIDI
function notesFromTokens(tokens) {
  const notes = []; let t = 0;
  for (const tok of tokens) {
    const m = /^(?:n(\d+)|r):([0-9.]+)$/.exec(tok);
    if (!m) continue;
    const dur = Number(m[2]);
    if (m[1] !== undefined) notes.push({ pitch: Number(m[1]), start: t, dur });
    t += dur;
  }
  return { notes, length: t };
}

function notesFromRoll(roll, stepLength = 1.0) {
  // roll: steps x 88 (0/1), key k is MIDI pitch 21 + k; held keys merge into one note.
  const notes = []; const open = new Map();
  roll.forEach((step, t) => {
    for (let k = 0; k < step.length; k++) {
      if (step[k] && !open.has(k)) open.set(k, t);
      if (!step[k] && open.has(k)) { notes.push({ pitch: 21 + k, start: open.get(k) * stepLength, dur: (t - open.get(k)) * stepLength }); open.delete(k); }
    }
  });
  for (const [k, s] of open) notes.push({ pitch: 21 + k, start: s * stepLength, dur: (roll.length - s) * stepLength });
  return { notes, length: roll.length * stepLength };
}

function drawRoll(canvas, { notes, length }) {
  const ctx = canvas.getContext("2d");
  const W = canvas.width, H = canvas.height;
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, W, H);
  if (!notes.length) { ctx.fillStyle = "#57606a"; ctx.fillText("(silence)", 8, 16); return; }
  let lo = Math.min(...notes.map((n) => n.pitch)) - 2, hi = Math.max(...notes.map((n) => n.pitch)) + 2;
  const rows = hi - lo + 1, rowH = H / rows, xs = W / Math.max(length, 1);
  for (let p = lo; p <= hi; p++) {
    if ([1, 3, 6, 8, 10].includes(p % 12)) { ctx.fillStyle = "#f3f4f6"; ctx.fillRect(0, H - (p - lo + 1) * rowH, W, rowH); }
  }
  ctx.fillStyle = "#0b57d0";
  for (const n of notes) ctx.fillRect(n.start * xs + 0.5, H - (n.pitch - lo + 1) * rowH + 0.5, Math.max(n.dur * xs - 1, 1), Math.max(rowH - 1, 1));
}

function midiBytes(notes, tempoQpm = 120) {
  const TPQ = 480, ev = [];
  for (const n of notes) {
    const p = Math.max(0, Math.min(127, n.pitch));
    ev.push({ t: Math.round(n.start * TPQ), on: true, p }, { t: Math.round((n.start + n.dur) * TPQ), on: false, p });
  }
  ev.sort((a, b) => a.t - b.t || (a.on === b.on ? 0 : a.on ? 1 : -1));
  const vlq = (x) => { const out = [x & 0x7f]; while ((x >>= 7)) out.unshift((x & 0x7f) | 0x80); return out; };
  const us = Math.round(60000000 / tempoQpm);
  const track = [0, 0xff, 0x51, 0x03, (us >> 16) & 255, (us >> 8) & 255, us & 255];
  let last = 0;
  for (const e of ev) { track.push(...vlq(e.t - last), e.on ? 0x90 : 0x80, e.p, e.on ? 80 : 0); last = e.t; }
  track.push(0, 0xff, 0x2f, 0x00);
  const u32 = (x) => [(x >>> 24) & 255, (x >>> 16) & 255, (x >>> 8) & 255, x & 255];
  const header = [0x4d, 0x54, 0x68, 0x64, ...u32(6), 0, 0, 0, 1, (TPQ >> 8) & 255, TPQ & 255];
  return new Uint8Array([...header, 0x4d, 0x54, 0x72, 0x6b, ...u32(track.length), ...track]);
}

function musicTiming(m) {
  // The export's assets.extra/music.json (served in /api/models as `music`): quarter notes per
  // piano-roll step and the tempo its MIDI files are written at.
  const t = (m && m.music) || {};
  const known = typeof t.step_length === "number" && t.step_length > 0;
  return { stepLength: known ? t.step_length : 1.0, known, tempo: Number(t.tempo_qpm) > 0 ? Number(t.tempo_qpm) : 120 };
}

function showMusic(out, temperature, seed) {
  // A piano-roll export has one output, which TF Serving's columnar answer gives bare.
  if (Array.isArray(out)) out = { piano_roll: out };
  const timing = musicTiming(state.model);
  const rows = out.tokens ? out.tokens.map(notesFromTokens) : out.piano_roll.map((r) => notesFromRoll(r, timing.stepLength));
  const nodes = rows.map((music, i) => {
    const canvas = el("canvas", { class: "roll", width: "720", height: "180", role: "img",
      "aria-label": `Piano roll of sample ${i + 1}: ${music.notes.length} notes over ${music.length} quarter notes` });
    drawRoll(canvas, music);
    const url = URL.createObjectURL(new Blob([midiBytes(music.notes, timing.tempo)], { type: "audio/midi" }));
    const link = el("a", { class: "download", href: url, download: `nlpkit-sample-${i + 1}.mid`, text: `Download MIDI (sample ${i + 1})` });
    const steps = out.tokens ? 0 : out.piano_roll[i].length;
    const seconds = (music.length * 60 / timing.tempo).toFixed(1);
    const caption = out.tokens ? el("p", { class: "help", text: out.tokens[i].join(" ") })
      : el("p", { class: "help", text: `${music.notes.length} notes, ${steps} steps of ${timing.stepLength} quarter note${timing.stepLength === 1 ? "" : "s"} ` +
          `(${music.length} quarter notes, ${seconds} s at ${timing.tempo} per minute)` +
          (timing.known ? "" : "; this export does not record its step length, 1 quarter note per step assumed") });
    return el("div", { class: "sample" }, [canvas, link, caption]);
  });
  showResult(`Music (temperature ${temperature}, seed ${seed})`, nodes);
}

document.addEventListener("DOMContentLoaded", () => {
  $("model").addEventListener("change", selectModel);
  $("text-form").addEventListener("submit", runText);
  $("gen-form").addEventListener("submit", runGen);
  $("text-input").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); $("text-form").requestSubmit(); }
  });
  $("gen-temperature").addEventListener("input", (e) => syncTemperature(e.target));
  $("gen-temperature-range").addEventListener("input", (e) => syncTemperature(e.target));
  loadModels();
});
