// Getting a video in: resumable uploads (tus, through tus-js-client) and imports from a URL.
// Uses app.js's helpers ($, api, authHeaders, problem, setStage, followTask...).
"use strict";

// Each PATCH carries at most this much, so a proxy's body limit never stops an upload and a
// retry resends little.
const TUS_CHUNK_BYTES = 16 * 1024 * 1024;
// Waits between tries while the server is unreachable; going offline waits for the network.
const TUS_RETRY_DELAYS_MS = [0, 1000, 3000, 5000, 10000, 20000];

function uploadResumable(file, onProgress, onNote) {
  // Resolves to the file the upload became. A dropped network waits for the browser to be
  // back online and goes on from the server's offset; a reload finds the earlier upload of
  // the same file (tus-js-client keeps its URL in localStorage) and goes on from there.
  return new Promise((resolve, reject) => {
    let waiting = null; // the `online` listener while the network is down
    const upload = new tus.Upload(file, {
      endpoint: "/videos/tus/",
      headers: authHeaders(),
      metadata: { filename: file.name, filetype: file.type || "application/octet-stream" },
      chunkSize: TUS_CHUNK_BYTES,
      retryDelays: TUS_RETRY_DELAYS_MS,
      removeFingerprintOnSuccess: true,
      onProgress,
      onAfterResponse(request, response) {
        // A HEAD is asked only when resuming: say where the server had got to.
        if (request.getMethod() !== "HEAD" || response.getStatus() !== 200) return;
        const offset = Number(response.getHeader("Upload-Offset"));
        onNote(`resuming at ${formatBytes(offset)} of ${formatBytes(file.size)}, already on the server`);
      },
      onShouldRetry(err, attempt) {
        // tus-js-client's own rule (a 4xx other than 409 or 423 is final), said on the page.
        const status = err.originalResponse ? err.originalResponse.getStatus() : 0;
        const retry = (status < 400 || status >= 500 || status === 409 || status === 423) && navigator.onLine;
        if (retry) onNote(`the connection dropped: trying again (${attempt + 1} of ${TUS_RETRY_DELAYS_MS.length})`);
        return retry;
      },
      onError(err) {
        if (navigator.onLine) return reject(tusProblem(err));
        onNote("the network is down: the upload goes on when it is back");
        waiting = () => { window.removeEventListener("online", waiting); upload.start(); };
        window.addEventListener("online", waiting);
      },
      onSuccess() {
        accepted(upload.url).then(resolve, reject);
      },
    });
    upload.findPreviousUploads().then((previous) => {
      if (previous.length) upload.resumeFromPreviousUpload(previous[0]);
      upload.start();
    }, reject);
  });
}

function tusProblem(err) {
  // tus-js-client's errors carry the server's answer, whose body is {"detail": "..."}.
  const response = err.originalResponse;
  if (!response) return new Error("cannot reach the videoforge server");
  let body = null;
  try { body = JSON.parse(response.getBody()); } catch (_) { /* not JSON: say the status */ }
  return problem(response.getStatus(), body);
}

async function accepted(uploadUrl) {
  // The last PATCH probed the file: the upload says what it became, or why it was refused.
  const upload = await api(new URL(uploadUrl, location.href).pathname);
  if (upload.state !== "done") throw new Error(upload.error || `the upload is ${upload.state}`);
  return api(`/videos/${upload.file_id}`);
}

async function importAndTranscode(event) {
  event.preventDefault();
  const url = $("#import-url").value.trim();
  if (!url) return showError("Paste the URL of a video first.");
  await busy(async () => {
    setStageTitle("Download");
    setStage("#upload-stage", 0, "asking the server…");
    const task = await api("/videos/import", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ url }),
    });
    const final = await followTask(task.task_id, (status) => {
      const p = status.progress;
      setStage("#upload-stage", p ? p.percent : 0, status.state === "PENDING" ? "queued" : describeDownload(status));
    });
    if (final.state !== "SUCCESS") {
      throw new Error(`The import ${STATUS_WORDS[final.state].toLowerCase()}: ${final.error || "no reason given"}`);
    }
    const file = await api(`/videos/${final.result.file_id}`);
    setStage("#upload-stage", 100, `${formatBytes(file.size_bytes)} · ${describeMedia(file)}`);
    await transcodeAndPlay(file.file_id, file.original_name);
  });
}

function describeDownload(status) {
  // An import's progress is bytes; its size is known only when the origin declared it.
  const p = status.progress;
  if (!p || p.received_bytes == null) return status.error || "starting the download…";
  const of = p.total_bytes ? ` of ${formatBytes(p.total_bytes)}` : "";
  return `${formatBytes(p.received_bytes)}${of} downloaded`;
}

function setStageTitle(title) {
  $("#upload-stage .stage-head span:first-child").textContent = title;
}

$("#import-form").addEventListener("submit", importAndTranscode);
