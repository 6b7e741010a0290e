// Previews on the page: a poster for each file in the files list (its animation while the
// pointer is over it), and a seek strip under the player that shows the storyboard tile of
// the time under the pointer. Loaded before app.js, whose helpers ($, authHeaders) it uses
// only once called; app.js calls poster() and player.js showStoryboard().
"use strict";

const POSTER_WIDTH = 160;
// The server makes two previews at once and answers 503 past a short wait: the page asks for
// no more than that, so a long list fills in turn instead of failing.
const IMAGE_LOADS = 2;
// A busy server refuses for a while (503); tries back off 2, 4, 6 ... s, about a minute.
const IMAGE_TRIES = 8;
const STORYBOARD_TRIES = 3; // answers of 202 (not made yet) waited out before giving up
const posters = new Map(); // file_id -> its poster (the same <img> across list refreshes)
const queue = [];
let loading = 0;

// ---- images, with or without an API key ----------------------------------------------------

function inTurn(work, first = false) {
  // Runs work() when fewer than IMAGE_LOADS run; a hover goes before the list's posters.
  return new Promise((resolve, reject) => {
    const job = () => {
      loading += 1;
      work().then(resolve, reject).finally(() => { loading -= 1; next(); });
    };
    if (first) queue.unshift(job); else queue.push(job);
    next();
  });
}

function next() {
  while (loading < IMAGE_LOADS && queue.length) queue.shift()();
}

async function imageSource(url) {
  // An address an <img> or a CSS background can show. <img> sends no API key: with one,
  // the image comes through fetch as a data: URL (the page's CSP allows those, not blob:);
  // a signed URL needs neither.
  const headers = authHeaders();
  if (headers.Authorization && !/[?&]sig=/.test(url)) {
    const response = await fetch(url, { headers });
    if (!response.ok) throw new Error(`the server answered ${response.status}`);
    const blob = await response.blob();
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(reader.result);
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(blob);
    });
  }
  await new Promise((resolve, reject) => {
    const image = new Image(); // loaded here, then shown from the browser's cache
    image.onload = resolve;
    image.onerror = () => reject(new Error(`${url} did not load`));
    image.src = url;
  });
  return url;
}

async function loadImage(url, first) {
  // A preview being made may be refused for a while (503): a later try usually gets it.
  for (let tries = 1; ; tries += 1) {
    try {
      return await inTurn(() => imageSource(url), first);
    } catch (err) {
      if (tries >= IMAGE_TRIES) throw err;
      await new Promise((r) => setTimeout(r, 2000 * tries));
    }
  }
}

// ---- posters in the files list ------------------------------------------------------------

const onScreen = "IntersectionObserver" in window ? new IntersectionObserver((entries) => {
  for (const entry of entries) {
    if (!entry.isIntersecting) continue;
    onScreen.unobserve(entry.target);
    entry.target.showPoster();
  }
}, { rootMargin: "200px" }) : null;

function poster(file) {
  // The poster <img> of a file: a thumbnail once it nears the screen, the animated preview
  // while the pointer is over it. One per file, kept across list refreshes.
  let entry = posters.get(file.file_id);
  if (!entry) {
    entry = makePoster(file);
    posters.set(file.file_id, entry);
  }
  return entry.img;
}

function forgetPosters(fileIds) {
  // Files no longer listed: their posters (and the images kept for them) go.
  const keep = new Set(fileIds);
  for (const [fileId, entry] of posters) {
    if (keep.has(fileId)) continue;
    if (onScreen) onScreen.unobserve(entry.img);
    posters.delete(fileId);
  }
}

function makePoster(file) {
  const base = `/videos/${encodeURIComponent(file.file_id)}`;
  const width = Math.max(2, Math.min(POSTER_WIDTH, file.width)); // never above the video's
  const urls = {
    poster: `${base}/thumbnail.jpg?width=${width}`,
    animated: `${base}/animated.webp?width=${width}`,
  };
  const img = document.createElement("img");
  img.className = "poster";
  img.alt = "";
  img.dataset.showing = "none";
  const entry = { img, sources: {}, hovering: false };
  const source = (kind) => {
    // Each image loads once; a failure lets the next hover try again.
    if (!entry.sources[kind]) {
      const loaded = loadImage(urls[kind], kind === "animated");
      loaded.catch(() => { if (entry.sources[kind] === loaded) delete entry.sources[kind]; });
      entry.sources[kind] = loaded;
    }
    return entry.sources[kind];
  };
  const show = (kind) => source(kind).then((src) => {
    // The pointer moved on, or is still over the animation.
    if (kind === "animated" ? !entry.hovering : entry.hovering && img.dataset.showing === "animated") return;
    img.src = src;
    img.dataset.showing = kind;
  }, () => {
    // No picture yet: the gray box stays. Still under the pointer, the animation is asked
    // for again; otherwise the next hover or leave tries again.
    if (kind === "animated" && entry.hovering) setTimeout(() => show("animated"), 2000);
  });
  img.showPoster = () => show("poster");
  img.addEventListener("pointerenter", () => { entry.hovering = true; show("animated"); });
  img.addEventListener("pointerleave", () => { entry.hovering = false; show("poster"); });
  if (onScreen) onScreen.observe(img); else img.showPoster();
  return entry;
}

// ---- the storyboard over the seek strip ---------------------------------------------------

let board = null; // the storyboard of what plays: {sprite, tiles, width, height, offset}
let boardTurn = 0; // each playback takes a turn, so a late answer cannot show another's tiles

function showStoryboard(status) {
  // Called by play(): the strip shows times at once, pictures once the storyboard loads.
  boardTurn += 1;
  board = null;
  $("#seek").hidden = false;
  $("#seek-tip").hidden = true;
  // A clip's output starts at start_s of its source, whose storyboard this is.
  loadStoryboard(status.file_id, status.start_s || 0, boardTurn).catch(() => {});
}

async function loadStoryboard(fileId, offset, mine) {
  const base = new URL(`/videos/${encodeURIComponent(fileId)}/`, document.baseURI);
  for (let tries = 1; tries <= STORYBOARD_TRIES + 1; tries += 1) {
    const response = await fetch(new URL("storyboard.json", base), { headers: authHeaders() });
    if (mine !== boardTurn) return;
    if (response.status === 202 && tries <= STORYBOARD_TRIES) {
      // Not made yet: the worker is on it.
      const wait = Number(response.headers.get("Retry-After")) || 5;
      await new Promise((r) => setTimeout(r, 1000 * Math.min(Math.max(wait, 1), 60)));
      if (mine !== boardTurn) return;
      continue;
    }
    if (response.status !== 200) return; // the strip works without pictures
    const json = await response.json();
    const sprite = await imageSource(new URL(json.url, base).href);
    if (mine !== boardTurn) return;
    board = {
      sprite, offset, width: json.tile_width, height: json.tile_height,
      tiles: [...json.tiles].sort((a, b) => a.start - b.start),
    };
    const frame = $("#seek-frame");
    frame.style.backgroundImage = `url("${sprite}")`;
    frame.style.width = `${board.width}px`;
    frame.style.height = `${board.height}px`;
    return;
  }
}

function tileAt(seconds) {
  // The last tile that starts at or before `seconds` of the source.
  let found = board.tiles[0];
  for (const tile of board.tiles) {
    if (tile.start <= seconds) found = tile;
    else break;
  }
  return found;
}

function pointed(event) {
  // Where the pointer is along the strip, as a fraction and a time of the output.
  const video = $("#player");
  const rect = $("#seek").getBoundingClientRect();
  const fraction = Math.min(Math.max((event.clientX - rect.left) / rect.width, 0), 1);
  const duration = Number.isFinite(video.duration) ? video.duration : null;
  return { rect, fraction, time: duration === null ? null : fraction * duration };
}

function formatClock(seconds) {
  const s = Math.floor(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function hoverStrip(event) {
  const { rect, fraction, time } = pointed(event);
  const tip = $("#seek-tip");
  if (time === null) { tip.hidden = true; return; }
  const frame = $("#seek-frame");
  frame.hidden = !board || !board.tiles.length;
  if (!frame.hidden) {
    const tile = tileAt(board.offset + time);
    frame.style.backgroundPosition = `${-tile.x}px ${-tile.y}px`;
    tip.dataset.start = String(tile.start);
  } else {
    delete tip.dataset.start;
  }
  $("#seek-time").textContent = formatClock(time);
  tip.dataset.time = time.toFixed(3);
  tip.hidden = false;
  // Above the pointer, kept inside the strip's width.
  const half = tip.offsetWidth / 2;
  const x = Math.min(Math.max(fraction * rect.width, half), Math.max(rect.width - half, half));
  tip.style.left = `${x}px`;
}

function wireSeekStrip() {
  const strip = $("#seek");
  const video = $("#player");
  strip.addEventListener("pointermove", hoverStrip);
  strip.addEventListener("pointerenter", hoverStrip);
  strip.addEventListener("pointerleave", () => { $("#seek-tip").hidden = true; });
  strip.addEventListener("click", (event) => {
    const { time } = pointed(event);
    if (time !== null) video.currentTime = time;
  });
  const fill = () => {
    const done = Number.isFinite(video.duration) && video.duration > 0 ? video.currentTime / video.duration : 0;
    $("#seek-fill").style.width = `${(100 * done).toFixed(2)}%`;
  };
  for (const type of ["timeupdate", "durationchange", "seeked", "emptied"]) video.addEventListener(type, fill);
}

document.addEventListener("DOMContentLoaded", wireSeekStrip);
