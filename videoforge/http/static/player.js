// Playing outputs (finished ones, and HLS while it is encoded): files through the <video> element itself, HLS through hls.js
// (Safari's own player without it), DASH through dash.js. A ladder gets a quality menu that
// marks the rung on screen; a CMAF result (HLS and DASH over the same segments) lets the
// viewer choose the protocol. Loaded after app.js, whose helpers ($, showError, formatBytes)
// it uses; app.js calls play() from clicks and finished jobs, playLive() once a job is playable.
"use strict";

// dash.js is as big as everything else together and most outputs never need it: it loads
// on the first DASH playback.
const DASH_JS = "/static/vendor/dash.all.min.js";
const PROTOCOLS = { hls: "HLS", dash: "DASH" };
let stream = null; // {stop()} of the streaming library playing now
let turn = 0; // each start takes a turn, so a late-loading dash.js cannot start a stale one
let dashLoading = null; // the promise of dash.js loading, once asked for

function play(status, title) {
  const manifests = status.result.manifests || {};
  const protocols = Object.keys(PROTOCOLS).filter((kind) => manifests[kind]);
  showCard(title);
  showFinished(status);
  if (protocols.length) {
    // Both protocols (CMAF): the viewer picks, HLS first since every browser plays it; a
    // switch goes on from where the other one was.
    const video = $("#player");
    const switchTo = (kind) => startStream(kind, manifests[kind], { time: video.currentTime, playing: !video.paused });
    renderChoice("#protocol", protocols.length > 1 ? protocols.map((kind) =>
      ({ key: kind, label: PROTOCOLS[kind] })) : [], protocols[0], switchTo);
    startStream(protocols[0], manifests[protocols[0]]);
  } else {
    renderChoice("#protocol", [], null, null);
    startStream(status.format === "hls" ? "hls" : "file", status.result.stream_url);
  }
}

// An HLS job (a ladder too) is playable from its first published segment: its playlists
// grow (EVENT) while the job runs. hls.js follows it from the start, not from the live edge, and plays
// on when the playlist ends (VOD); showFinished then fills in what the result says.
// Returns the stream's turn: the caller may touch the player later only while it holds.
function playLive(status, title) {
  showCard(title);
  $("#output-info").textContent = "Playing while it is being encoded";
  $("#download-link").hidden = true;
  renderChoice("#protocol", [], null, null);
  startStream("hls", status.stream_url, { time: 0, playing: true, live: true });
  return turn;
}

function isPlaying(streamTurn) {
  return streamTurn === turn; // nothing else was started since
}

function showCard(title) {
  $("#player-card").hidden = false;
  $("#player-title").textContent = title || "Result";
  $("#player-card").scrollIntoView({ behavior: "smooth", block: "nearest" });
}

function showFinished(status) {
  const result = status.result;
  $("#output-info").textContent = describeResult(status);
  $("#download-link").hidden = false;
  $("#download-link").href = result.download_url;
  $("#download-link").textContent = downloadLabel(status.format);
  showStoryboard(status);
}

function describeResult(status) {
  const result = status.result;
  const size = formatBytes(result.size_bytes);
  if (!result.renditions) return `${result.width}×${result.height} ${status.format.toUpperCase()} · ${size}`;
  const rungs = result.renditions.map((r) => sizeLabel(r.width, r.height)).join(", ");
  return `${status.format.toUpperCase()} ladder: ${rungs} · ${size}`;
}

function downloadLabel(format) {
  // A streaming output is a manifest plus segments: its download is the manifest alone.
  if (format === "dash") return "Manifest (.mpd)";
  return format === "hls" || format === "cmaf" ? "Playlist (.m3u8)" : "Download";
}

function sizeLabel(width, height) {
  return `${Math.min(width, height)}p`; // the short side, so upright phone videos read alike
}

function formatBitrate(bitsPerSecond) {
  return bitsPerSecond >= 1e6 ? `${(bitsPerSecond / 1e6).toFixed(1)} Mbps` : `${Math.round(bitsPerSecond / 1e3)} kbps`;
}

function stopStream() {
  turn += 1;
  if (stream) { stream.stop(); stream = null; }
  const video = $("#player");
  video.removeAttribute("src");
  video.load();
  renderChoice("#quality", [], null, null);
}

async function startStream(kind, url, from = { time: 0, playing: false }) {
  stopStream();
  markChosen("#protocol", kind);
  const mine = turn;
  const video = $("#player");
  try {
    if (kind === "dash") {
      await loadDash();
      if (mine === turn) stream = startDash(video, url, from);
    } else if (kind === "hls" && window.Hls && window.Hls.isSupported()) {
      stream = startHls(video, url, from);
    } else if (kind === "hls" && !video.canPlayType("application/vnd.apple.mpegurl")) {
      showError("This browser cannot play HLS, and hls.js did not load (run `make install` on the server).");
    } else {
      video.src = url; // a file, or HLS in Safari's own player (no quality menu there)
    }
  } catch (err) {
    showError(err.message);
  }
}

function startHls(video, url, from) {
  const Hls = window.Hls;
  // A growing playlist plays from its start; a finished one from where the viewer was.
  const hls = new Hls({ startPosition: from.live ? 0 : from.time || -1 });
  hls.on(Hls.Events.ERROR, (_, data) => data.fatal && showError(`Playback failed: ${data.details}`));
  hls.on(Hls.Events.MANIFEST_PARSED, (_, data) => {
    // hls.js orders levels by bitrate; the menu lists them largest first, by index.
    const rungs = data.levels.map((level, index) => ({
      key: String(index), width: level.width, height: level.height,
      label: `${sizeLabel(level.width, level.height)} · ${formatBitrate(level.averageBitrate || level.bitrate)}`,
    }));
    renderQualities(rungs, (key) => {
      // A pick switches now (the buffer is dropped); Auto lets the next segments adapt.
      if (key === "auto") hls.loadLevel = -1;
      else hls.currentLevel = Number(key);
    });
    if (from.playing) video.play().catch(() => {}); // a refused autoplay leaves it paused
  });
  hls.on(Hls.Events.LEVEL_SWITCHED, (_, data) => markPlaying(String(data.level)));
  hls.loadSource(url);
  hls.attachMedia(video);
  return { stop: () => hls.destroy() };
}

function startDash(video, url, from) {
  const dashjs = window.dashjs;
  if (!dashjs || !dashjs.supportsMediaSource()) throw new Error("This browser cannot play DASH.");
  const dash = dashjs.MediaPlayer().create();
  const events = dashjs.MediaPlayer.events;
  let rungs = [];
  // dash.js reports a quality as rendered when it is asked for, well before it reaches the
  // screen: the picture's own size tells which rung is playing.
  const onResize = () => {
    const rung = rungs.find((r) => r.width === video.videoWidth && r.height === video.videoHeight);
    if (rung) markPlaying(rung.key);
  };
  dash.on(events.ERROR, (e) => showError(`Playback failed: ${(e.error && e.error.message) || "DASH error"}`));
  dash.on(events.STREAM_INITIALIZED, () => {
    rungs = dash.getRepresentationsByType("video").map((r) => ({
      key: r.id, width: r.width, height: r.height,
      label: `${sizeLabel(r.width, r.height)} · ${formatBitrate(r.bandwidth)}`,
    }));
    renderQualities(rungs, (key) => {
      // dash.js adapts only while automatic switching is on; a pick turns it off.
      dash.updateSettings({ streaming: { abr: { autoSwitchBitrate: { video: key === "auto" } } } });
      if (key !== "auto") dash.setRepresentationForTypeById("video", key, true);
    });
    onResize();
  });
  video.addEventListener("resize", onResize);
  // An absolute address: dash.js's CMCD reporter cannot parse segment URLs otherwise.
  dash.initialize(video, new URL(url, document.baseURI).href, from.playing, from.time || undefined);
  return { stop: () => { video.removeEventListener("resize", onResize); dash.destroy(); } };
}

function loadDash() {
  // One <script> however many plays ask while it loads; a failure lets the next play retry.
  dashLoading = dashLoading || new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = DASH_JS;
    script.onload = resolve;
    script.onerror = () => {
      script.remove();
      dashLoading = null;
      reject(new Error("dash.js did not load (run `make install` on the server)."));
    };
    document.head.append(script);
  });
  return dashLoading;
}

// ---- the menus under the player -----------------------------------------------------------

function renderQualities(rungs, onPick) {
  // One rung (a single HLS rendition) leaves nothing to choose.
  const sorted = [...rungs].sort((a, b) => b.width * b.height - a.width * a.height);
  const items = rungs.length > 1 ? [{ key: "auto", label: "Auto" }, ...sorted] : [];
  renderChoice("#quality", items, "auto", onPick);
}

function renderChoice(selector, items, chosen, onPick) {
  // A row of toggle buttons; the pressed one is the viewer's choice.
  const box = $(selector);
  const group = box.querySelector("[role=group]");
  group.replaceChildren();
  box.hidden = items.length === 0;
  for (const item of items) {
    const b = document.createElement("button");
    b.type = "button";
    b.dataset.key = item.key;
    b.textContent = item.label;
    b.setAttribute("aria-pressed", String(item.key === chosen));
    b.addEventListener("click", () => {
      if (b.getAttribute("aria-pressed") === "true") return; // already the choice
      markChosen(selector, item.key);
      onPick(item.key);
    });
    group.append(b);
  }
  if (selector === "#quality") $("#quality-now").textContent = "";
}

function markChosen(selector, key) {
  for (const b of document.querySelectorAll(`${selector} button`)) b.setAttribute("aria-pressed", String(b.dataset.key === key));
}

function markPlaying(key) {
  // The rung on screen: marked in the menu, and named beside it.
  let playing = null;
  for (const b of document.querySelectorAll("#quality button")) {
    b.classList.toggle("playing", b.dataset.key === key);
    if (b.dataset.key === key) playing = b;
  }
  $("#quality-now").textContent = playing ? `Playing ${playing.textContent.split(" · ")[0]}` : "";
}

$("#player").addEventListener("error", (e) => {
  const err = e.target.error;
  // Emptying the element between outputs is not a failure.
  if (err && e.target.hasAttribute("src")) showError(`Playback failed: ${err.message || `media error ${err.code}`}`);
});
