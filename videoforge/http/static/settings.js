// Settings on the page: webhook endpoints (add, send a test, see deliveries, retry one,
// delete) and the presets there are. Uses app.js's helpers ($, api); loaded after it.
"use strict";

const EVENT_TYPES = ["file.uploaded", "file.deleted", "job.queued", "job.started", "job.progress",
  "job.succeeded", "job.failed", "job.cancelled"];
const OPT_IN_EVENTS = new Set(["job.progress"]); // frequent: off unless ticked
let deliveriesOf = null; // the endpoint whose deliveries are shown

function settingsError(message) {
  $("#settings-error").textContent = message;
  $("#settings-error").hidden = !message;
}

function settingsCell(row, text) {
  const td = row.insertCell();
  if (text !== undefined) td.textContent = text;
  return td;
}

function settingsButton(parent, label, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "link";
  b.textContent = label;
  b.addEventListener("click", () => onClick().then(() => settingsError(""), (err) => settingsError(err.message)));
  parent.append(b);
}

// ---- webhooks -----------------------------------------------------------------------------

function drawEventChoices() {
  const box = $("#webhook-events");
  for (const type of EVENT_TYPES) {
    const label = document.createElement("label");
    const input = Object.assign(document.createElement("input"), { type: "checkbox", value: type });
    input.checked = !OPT_IN_EVENTS.has(type);
    label.append(input, ` ${type}`);
    box.append(label);
  }
}

async function addWebhook(event) {
  event.preventDefault();
  const events = [...$("#webhook-events").querySelectorAll("input:checked")].map((i) => i.value);
  try {
    const created = await api("/webhooks", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ url: $("#webhook-url").value.trim(), events,
        description: $("#webhook-description").value.trim() }),
    });
    // Shown once: the server keeps it only to sign with.
    const note = $("#webhook-secret");
    note.textContent = `Signing secret of ${created.id} (shown only now): `;
    const code = document.createElement("code");
    code.textContent = created.secret;
    note.append(code);
    note.hidden = false;
    $("#webhook-form").reset();
    settingsError("");
  } catch (err) {
    settingsError(err.message);
  }
  await loadWebhooks();
}

async function loadWebhooks() {
  const page = await api("/webhooks");
  const body = $("#webhooks tbody");
  body.replaceChildren();
  $("#webhooks-empty").hidden = page.items.length > 0;
  for (const hook of page.items) {
    const row = body.insertRow();
    row.dataset.webhookId = hook.id;
    settingsCell(row, hook.url).title = hook.description || "";
    settingsCell(row, hook.events.join(", "));
    settingsCell(row, hook.enabled ? "enabled" : `disabled: ${hook.disabled_reason}`);
    const actions = settingsCell(row);
    actions.className = "actions";
    settingsButton(actions, "Send test", async () => {
      await api(`/webhooks/${hook.id}/test`, { method: "POST" });
      await showDeliveries(hook.id);
    });
    settingsButton(actions, "Deliveries", () => showDeliveries(hook.id));
    if (!hook.enabled) settingsButton(actions, "Enable", () => api(`/webhooks/${hook.id}/enable`, { method: "POST" }).then(loadWebhooks));
    settingsButton(actions, "Delete", async () => {
      if (!confirm(`Stop sending webhooks to ${hook.url}?`)) return;
      await api(`/webhooks/${hook.id}`, { method: "DELETE" });
      if (deliveriesOf === hook.id) { deliveriesOf = null; $("#deliveries").hidden = true; }
      await loadWebhooks();
    });
  }
}

async function showDeliveries(endpointId) {
  deliveriesOf = endpointId;
  const page = await api(`/webhooks/${endpointId}/deliveries?limit=20`);
  if (deliveriesOf !== endpointId) return;
  $("#deliveries").hidden = false;
  $("#deliveries-of").textContent = `${endpointId} · ${page.total}`;
  const body = $("#deliveries-table tbody");
  body.replaceChildren();
  for (const item of page.items) {
    const row = body.insertRow();
    row.dataset.deliveryId = item.id;
    settingsCell(row, item.event);
    settingsCell(row, item.subject || "");
    settingsCell(row, item.status).className = `state ${item.status}`;
    settingsCell(row, String(item.attempts));
    settingsCell(row, item.last_response_code ? String(item.last_response_code) : item.last_error || "");
    settingsButton(settingsCell(row), "Retry", async () => {
      await api(`/webhooks/${endpointId}/deliveries/${item.id}/retry`, { method: "POST" });
      await showDeliveries(endpointId);
    });
  }
}

// ---- presets ------------------------------------------------------------------------------

async function loadPresetTable() {
  const page = await api("/presets");
  const body = $("#presets tbody");
  body.replaceChildren();
  for (const preset of page.items) {
    const row = body.insertRow();
    const s = preset.settings || {};
    settingsCell(row, preset.builtin ? `${preset.name} (built in)` : preset.name);
    settingsCell(row, String(preset.version));
    settingsCell(row, s.format || "");
    settingsCell(row, s.ladder ? `ladder: ${s.ladder}` : s.renditions ? s.renditions.join(", ") : s.resolution || "");
    settingsCell(row, s.priority || "normal");
    settingsCell(row, preset.description || "");
  }
}

function openSettings() {
  // Loaded when opened: the lists are small, and most visits never open them.
  Promise.all([loadWebhooks(), loadPresetTable()]).then(() => settingsError(""), (err) => settingsError(err.message));
  if (deliveriesOf) showDeliveries(deliveriesOf).catch(() => {});
}

document.addEventListener("DOMContentLoaded", () => {
  drawEventChoices();
  $("#webhook-form").addEventListener("submit", addWebhook);
  $("#settings").addEventListener("toggle", () => $("#settings").open && openSettings());
  $("#settings-link").addEventListener("click", () => { $("#settings").open = true; });
  if (location.hash === "#settings") $("#settings").open = true;
});
