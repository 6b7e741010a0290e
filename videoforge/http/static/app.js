// The videoforge page: upload, transcode with live progress, list, delete (playing is in
// player.js, posters and the storyboard in previews.js). Plain browser JavaScript with no
// build step; the players come from the server's npm install.
"use strict";

const $ = (selector) => document.querySelector(selector);
const ACTIVE = new Set(["PENDING", "STARTED", "PROGRESS", "RETRY"]);
const STATUS_WORDS = {
  PENDING: "Queued", STARTED: "Starting", PROGRESS: "Transcoding", RETRY: "Retrying",
  SUCCESS: "Done", FAILURE: "Failed", REVOKED: "Cancelled",
};
const KEY_STORAGE = "videoforge.apiKey";
const LIST_REFRESH_MS = 5000;
// What a ladder of each format is, for the hint under the form. DASH and CMAF are always
// ladders; HLS is one only with "Ladder: auto" (otherwise one MPEG-TS rendition, as ever).
const LADDERS = {
  hls: "an HLS master playlist over fMP4 segments",
  dash: "a DASH manifest over fMP4 segments",
  cmaf: "one set of CMAF segments with an HLS master playlist and a DASH manifest",
};
const ALWAYS_LADDERS = new Set(["dash", "cmaf"]);

// ---- talking to the API -------------------------------------------------------------------

function authHeaders() {
  const key = localStorage.getItem(KEY_STORAGE);
  return key ? { Authorization: `Bearer ${key}` } : {};
}

function problem(status, body) {
  // The API answers every error as {"detail": "..."}: show that sentence.
  if (status === 401) $("#key-panel").hidden = false;
  const detail = body && typeof body.detail === "string" ? body.detail : null;
  return new Error(detail || `the server answered ${status}`);
}

// Reads that met no server (a dropped connection, a network coming back) are tried again
// after these waits; a write is not, since it may have been done.
const READ_RETRY_DELAYS_MS = [500, 1000, 2000, 4000];

async function api(path, options = {}) {
  const read = !options.method || options.method === "GET";
  let response;
  for (let attempt = 0; ; attempt++) {
    try {
      response = await fetch(path, { ...options, headers: { ...authHeaders(), ...options.headers } });
      break;
    } catch (err) {
      if (!read || attempt >= READ_RETRY_DELAYS_MS.length) {
        throw new Error("cannot reach the videoforge server");
      }
      await new Promise((r) => setTimeout(r, READ_RETRY_DELAYS_MS[attempt]));
    }
  }
  const body = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw problem(response.status, body);
  return body;
}

async function followTask(taskId, onStatus) {
  // Server-Sent Events read through fetch (EventSource cannot send an API key);
  // if the stream breaks, polling takes over until the job ends.
  let last = null;
  try {
    const response = await fetch(`/videos/task/${taskId}/events`, { headers: authHeaders() });
    if (!response.ok) throw problem(response.status, await response.json().catch(() => null));
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const status = parseEvent(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (status) { last = status; onStatus(status); }
      }
    }
  } catch (err) {
    // A broken stream falls back to polling; an `error` event (job deleted) ends the wait.
    if (err.final) throw err;
  }
  while (!last || ACTIVE.has(last.state)) {
    if (last) await new Promise((r) => setTimeout(r, 1000));
    last = await api(`/videos/task/${taskId}`);
    onStatus(last);
  }
  return last;
}

function parseEvent(block) {
  let event = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("event:")) event = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
  }
  if (event === "error") throw Object.assign(new Error(JSON.parse(data.join("\n")).detail), { final: true });
  return event === "status" && data.length ? JSON.parse(data.join("\n")) : null;
}

// ---- the submit flow ----------------------------------------------------------------------

function showError(message) {
  const box = $("#error");
  box.textContent = message;
  box.hidden = !message;
}

function setStage(stage, percent, detail) {
  $(stage).hidden = false;
  $(`${stage} progress`).value = percent;
  if (detail !== undefined) $(`${stage} .stage-head span:last-child`).textContent = detail;
}

function describeProgress(status) {
  const p = status.progress;
  if (status.state === "SUCCESS") {
    const speed = status.result && status.result.speed ? ` · encoded at ${status.result.speed}× real time` : "";
    return `100%${speed}`;
  }
  if (!p) return status.error || "";
  if (status.kind === "import") return describeDownload(status);
  const eta = p.eta_seconds == null ? "" : ` · ${formatDuration(p.eta_seconds)} left`;
  return `${p.percent.toFixed(0)}% · ${p.fps.toFixed(0)} fps · ${p.speed.toFixed(1)}×${eta}`;
}

function showStatus(status) {
  $("#job-status").textContent = STATUS_WORDS[status.state] || status.state;
  const percent = status.state === "SUCCESS" ? 100 : status.progress ? status.progress.percent : 0;
  setStage("#transcode-stage", percent, describeProgress(status));
}

async function submit(event) {
  event.preventDefault();
  const file = $("#file").files[0];
  if (!file) return showError("Choose a video file first.");
  await busy(async () => {
    setStageTitle("Upload");
    setStage("#upload-stage", 0, formatBytes(file.size));
    const note = $("#upload-note");
    note.hidden = true;
    const uploaded = await uploadResumable(file, (sent, total) => setStage("#upload-stage", (100 * sent) / total,
      sent < total ? `${formatBytes(sent)} of ${formatBytes(total)}` : "checking the video…"),
    (text) => { note.textContent = text; note.hidden = false; });
    setStage("#upload-stage", 100, `${formatBytes(file.size)} · ${describeMedia(uploaded)}`);
    await transcodeAndPlay(uploaded.file_id, uploaded.original_name);
  });
}

async function busy(work) {
  // One job at a time from this page: the buttons wait, and any failure is shown in words.
  showError("");
  $("#start").disabled = $("#import-start").disabled = true;
  $("#transcode-stage").hidden = true;
  $("#transcode-progress").value = 0;
  try {
    await work();
  } catch (err) {
    showError(err.message);
  } finally {
    $("#start").disabled = $("#import-start").disabled = false;
    refreshLists();
  }
}

function transcodeBody() {
  // A preset says everything; the server records which version the job used.
  // Default: normal, or the preset's own priority.
  const priority = $("#priority").value ? { priority: $("#priority").value } : {};
  if ($("#preset").value) return { preset: $("#preset").value, ...priority };
  // "auto" is the source-aware ladder; with DASH or CMAF a size caps the ladder's top rung.
  const format = $("#format").value;
  const size = $("#resolution").value;
  if (size === "auto") return { format, ladder: "auto", ...priority };
  return ALWAYS_LADDERS.has(format)
    ? { format, ladder: "auto", resolution: size, ...priority }
    : { format, resolution: size, ...priority };
}

async function loadPresets() {
  // The picker lists every preset (built-ins first); a failure leaves it at "None".
  const picker = $("#preset");
  const page = await api("/presets").catch(() => ({ items: [] }));
  for (const item of page.items) {
    if (picker.querySelector(`option[value="${item.name}"]`)) continue;
    const option = document.createElement("option");
    option.value = item.name;
    option.textContent = item.builtin ? item.name : `${item.name} (v${item.version})`;
    option.dataset.description = item.description || "";
    picker.append(option);
  }
}

function updateChoice() {
  const preset = $("#preset").selectedOptions[0];
  $("#format").disabled = $("#resolution").disabled = Boolean(preset.value);
  if (preset.value) {
    $("#choice-hint").textContent = `Preset ${preset.value}: ${preset.dataset.description || "its own settings"}.`;
    return;
  }
  const format = $("#format").value;
  const size = $("#resolution");
  // MP4 and WebM are one file, never a ladder: the choice goes back to the default size.
  size.querySelector("option[value=auto]").disabled = !(format in LADDERS);
  if (size.selectedOptions[0].disabled) size.value = [...size.options].find((o) => o.defaultSelected).value;
  const top = size.value === "auto" ? "the source's size" : size.selectedOptions[0].textContent.split(" ")[0];
  $("#choice-hint").textContent = size.value === "auto" || ALWAYS_LADDERS.has(format)
    ? `An adaptive ladder of sizes up to ${top}, never upscaled: ${LADDERS[format]}.`
    : `One ${format === "hls" ? "HLS stream (MPEG-TS)" : `${format.toUpperCase()} file`} that fits ${top}.`;
}

async function transcodeAndPlay(fileId, title) {
  const body = transcodeBody();
  const job = await api(`/videos/transcode/${fileId}`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
  showStatus({ state: "PENDING" });
  refreshLists();
  // An HLS output (a CMAF one through its HLS playlists) plays from its first segment: the
  // stream's turn. DASH alone waits for its end: dash.js would join a dynamic MPD at its
  // live edge, not at its start.
  let live = null;
  const followsLive = (status) => status.playable && status.state !== "SUCCESS" && status.format !== "dash";
  const final = await followTask(job.task_id, (status) => {
    showStatus(status);
    if (live === null && followsLive(status)) live = playLive(status, title);
  });
  const stillOurs = live !== null && isPlaying(live); // not if the viewer played another since
  if (final.state !== "SUCCESS") {
    if (stillOurs) stopStream();
    throw new Error(`The transcode ${STATUS_WORDS[final.state].toLowerCase()}: ${final.error || "no reason given"}`);
  }
  if (stillOurs) showFinished(final); // the stream plays on: hls.js sees the playlist end
  else if (live === null) play(final, title);
}

// ---- lists --------------------------------------------------------------------------------

function cell(row, text, className) {
  const td = row.insertCell();
  if (text !== undefined) td.textContent = text;
  if (className) td.className = className;
  return td;
}

function button(parent, label, onClick, className = "link") {
  const b = document.createElement("button");
  b.type = "button";
  b.className = className;
  b.textContent = label;
  b.addEventListener("click", onClick);
  parent.append(b);
  return b;
}

function renderJobs(jobs, names) {
  const body = $("#jobs tbody");
  body.replaceChildren();
  $("#jobs-empty").hidden = jobs.length > 0;
  for (const job of jobs) {
    const row = body.insertRow();
    row.dataset.taskId = job.task_id;
    const file = cell(row, names[job.file_id] || job.file_id.slice(0, 8), "name");
    cell(row, describeOutput(job));
    const state = cell(row);
    const badge = document.createElement("span");
    badge.className = `badge ${job.state}`;
    badge.textContent = STATUS_WORDS[job.state] || job.state;
    state.append(badge);
    const detail = describeProgress(job);
    if (detail && job.state !== "SUCCESS") {
      const sub = document.createElement("span");
      sub.className = "sub";
      sub.textContent = detail;
      state.append(sub);
    }
    cell(row, formatTime(job.created_at));
    const actions = cell(row, undefined, "actions");
    if (job.state === "SUCCESS" && job.kind !== "import") {
      button(actions, "Play", () => play(job, file.textContent));
      const link = document.createElement("a");
      link.href = job.result.download_url;
      link.textContent = downloadLabel(job.format);
      actions.append(link);
    } else if (ACTIVE.has(job.state)) {
      button(actions, "Cancel", () => act(api(`/videos/task/${job.task_id}/cancel`, { method: "POST" })));
    }
  }
}

function describeOutput(job) {
  if (job.kind === "import") return `Import from ${new URL(job.url).host}`; // its file is listed once done
  // A ladder by its rungs (planned ones until it is done), one rendition by its size.
  const format = job.format.toUpperCase();
  const rungs = job.result ? job.result.renditions : job.renditions && job.renditions.map((r) => {
    const [width, height] = r.split("x").map(Number);
    return { width, height };
  });
  if (rungs) return `${format} ${rungs.map((r) => sizeLabel(r.width, r.height)).join(" ")}`;
  return `${format} ${job.result ? `${job.result.width}×${job.result.height}` : job.resolution.replace(":", "×")}`;
}

let shownFiles = null; // the list on screen, to leave the rows alone when nothing changed

function renderFiles(files) {
  // Rows rebuilt under a still pointer would lose its hover (a poster's animation).
  const shown = JSON.stringify(files);
  if (shown === shownFiles) return;
  shownFiles = shown;
  const body = $("#files tbody");
  body.replaceChildren();
  $("#files-empty").hidden = files.length > 0;
  for (const file of files) {
    const row = body.insertRow();
    row.dataset.fileId = file.file_id;
    const name = document.createElement("div");
    name.className = "file-label";
    name.append(poster(file), file.original_name);
    cell(row, undefined, "name").append(name);
    cell(row, describeMedia(file));
    cell(row, formatBytes(file.size_bytes));
    cell(row, formatTime(file.created_at));
    const actions = cell(row, undefined, "actions");
    button(actions, "Transcode", () => busy(() => transcodeAndPlay(file.file_id, file.original_name)));
    button(actions, "Delete", () => {
      if (confirm(`Delete ${file.original_name} and everything made from it?`)) {
        act(api(`/videos/${file.file_id}`, { method: "DELETE" }));
      }
    }, "link danger");
  }
}

async function act(request) {
  try {
    await request;
    showError("");
  } catch (err) {
    showError(err.message);
  }
  refreshLists();
}

async function refreshLists() {
  try {
    const [files, jobs] = await Promise.all([api("/videos?limit=50"), api("/videos/tasks?limit=20")]);
    const names = Object.fromEntries(files.items.map((f) => [f.file_id, f.original_name]));
    renderFiles(files.items);
    forgetPosters(files.items.map((f) => f.file_id));
    renderJobs(jobs.items, names);
    $("#files-count").textContent = countText(files);
    $("#jobs-count").textContent = countText(jobs);
  } catch (err) {
    showError(err.message);
  }
}

function countText(page) {
  return page.total > page.items.length ? `latest ${page.items.length} of ${page.total}` : `${page.total}`;
}

// ---- formatting ---------------------------------------------------------------------------

function formatBytes(bytes) {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  while (bytes >= 1000 && i < units.length - 1) { bytes /= 1000; i += 1; }
  return `${bytes.toFixed(i && bytes < 10 ? 1 : 0)} ${units[i]}`;
}

function formatDuration(seconds) {
  const s = Math.round(seconds);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

function formatTime(epochSeconds) {
  return new Date(epochSeconds * 1000).toLocaleString([], { dateStyle: "short", timeStyle: "short" });
}

function describeMedia(file) {
  const audio = file.audio_codec ? ` + ${file.audio_codec}` : ", no audio";
  return `${file.width}×${file.height} ${file.video_codec}${audio}, ${formatDuration(file.duration_s)}`;
}

// ---- wiring -------------------------------------------------------------------------------

function chooseFile(file) {
  if (!file) return;
  $("#file-name").textContent = `${file.name} (${formatBytes(file.size)})`;
  showError("");
}

const drop = $("#drop");
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  if (e.dataTransfer.files.length) {
    $("#file").files = e.dataTransfer.files;
    chooseFile(e.dataTransfer.files[0]);
  }
});
$("#file").addEventListener("change", (e) => chooseFile(e.target.files[0]));
$("#submit-form").addEventListener("submit", submit);
$("#preset").addEventListener("change", updateChoice);
$("#format").addEventListener("change", updateChoice);
$("#resolution").addEventListener("change", updateChoice);
$("#refresh").addEventListener("click", refreshLists);
$("#key-form").addEventListener("submit", (e) => {
  e.preventDefault();
  localStorage.setItem(KEY_STORAGE, $("#api-key").value.trim());
  $("#key-panel").hidden = true;
  refreshLists();
  loadPresets();
});

updateChoice();
loadPresets();
refreshLists();
setInterval(() => document.visibilityState === "visible" && refreshLists(), LIST_REFRESH_MS);
