// The HugAI page: pick photos, see the people found, make the hug, follow it, play and share.
// Plain JS, no build step. Talks only to this server's /v1 API.
"use strict";

const $ = (id) => document.getElementById(id);
const MAX_PHOTOS = 2;
const STAGES = {
  queued: "Waiting for a free worker…",
  perceive: "Finding the two people…",
  scene: "Cutting them out and filling in the background…",
  rig: "Fitting a skeleton to each person…",
  choreograph: "Planning the hug…",
  render: "Drawing the frames…",
};

const state = { photos: [], detectRun: 0, job: null, busy: false, detectError: null };

// ---- photos --------------------------------------------------------------------------------
function addFiles(fileList) {
  const images = [...fileList].filter((f) => f.type.startsWith("image/") || f.type === "");
  if (!images.length) return showFormError("Those are not photos; choose JPEG, PNG or WebP images.");
  showFormError("");
  for (const file of images) state.photos.push({ file, url: URL.createObjectURL(file), people: null, error: null, info: null });
  if (state.photos.length > MAX_PHOTOS) {
    state.photos.splice(0, state.photos.length - MAX_PHOTOS).forEach((p) => URL.revokeObjectURL(p.url));
    showFormError("Use one photo of two people or two photos; kept the last two.");
  }
  detect();
}

function removePhoto(index) {
  URL.revokeObjectURL(state.photos[index].url);
  state.photos.splice(index, 1);
  detect();
}

function renderThumbs() {
  const ul = $("thumbs");
  ul.replaceChildren();
  state.photos.forEach((p, i) => {
    const li = document.createElement("li");
    li.className = "thumb";
    li.dataset.index = String(i);
    const frame = document.createElement("div");
    frame.className = "frame";
    const img = document.createElement("img");
    img.src = p.url;
    img.alt = `Photo ${i + 1}: ${p.file.name}`;
    frame.append(img);
    if (p.info) {
      for (const person of p.info.people) {
        const [x0, y0, x1, y1] = person.box;
        const box = document.createElement("div");
        box.className = "box" + (person.frontal ? "" : " away");
        box.style.left = `${(100 * x0) / p.info.width}%`;
        box.style.top = `${(100 * y0) / p.info.height}%`;
        box.style.width = `${(100 * (x1 - x0)) / p.info.width}%`;
        box.style.height = `${(100 * (y1 - y0)) / p.info.height}%`;
        frame.append(box);
      }
    }
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "remove";
    remove.setAttribute("aria-label", `Remove photo ${i + 1}`);
    remove.textContent = "×";
    remove.onclick = () => removePhoto(i);
    frame.append(remove);
    const caption = document.createElement("p");
    caption.className = "caption";
    if (p.error) {
      caption.className = "error";
      caption.setAttribute("role", "alert");
      caption.textContent = plain(p.error, p.file.name);
    } else if (p.info) {
      const n = p.info.people.length;
      caption.className = "caption ok";
      caption.textContent = n === 1 ? "1 person found" : `${n} people found`;
    } else {
      caption.textContent = "Looking for people…";
    }
    li.append(frame, caption);
    ul.append(li);
  });
  updateMake();
}

// An error message names the photo first ("IMG_1.jpg: found no person; ..."); beside that very
// photo the name is noise.
function plain(message, name) {
  const prefix = `${name}: `;
  const text = message.startsWith(prefix) ? message.slice(prefix.length) : message;
  return text.charAt(0).toUpperCase() + text.slice(1);
}

async function detect() {
  const run = ++state.detectRun;
  state.detectError = null;
  state.photos.forEach((p) => { p.info = null; p.error = null; });
  renderThumbs();
  if (!state.photos.length) return;
  const body = new FormData();
  state.photos.forEach((p) => body.append("photos", p.file, p.file.name));
  let res, data;
  try {
    res = await fetch("/v1/detect", { method: "POST", body });
    data = await res.json();
  } catch (e) {
    if (run !== state.detectRun) return;
    state.photos.forEach((p) => { p.info = { people: [], width: 1, height: 1 }; });
    renderThumbs();
    return; // the check is a convenience; the server checks again when making the video
  }
  if (run !== state.detectRun) return; // photos changed meanwhile
  if (!res.ok) {
    placeError(data);
  } else {
    data.photos.forEach((info, i) => { state.photos[i].info = info; });
    if (data.error) placeError(data.error);
  }
  renderThumbs();
}

// Put an API error next to the photo it concerns, or under the form.
function placeError(err) {
  const i = Number.isInteger(err.photo) ? err.photo : (state.photos.length === 1 ? 0 : null);
  if (i !== null && state.photos[i]) {
    state.photos[i].error = err.message;
    state.detectError = err;
  } else {
    showFormError(err.message || "Something went wrong; please try again.");
    state.detectError = err;
  }
}

// ---- making the hug -----------------------------------------------------------------------
function updateMake() {
  const ready = state.photos.length > 0 && $("consent").checked && !state.busy && !state.detectError;
  $("make").disabled = !ready;
}

function showFormError(message) {
  const el = $("form-error");
  el.textContent = message;
  el.hidden = !message;
}

async function make(event) {
  event.preventDefault();
  if ($("make").disabled) return;
  const form = new FormData($("options"));
  const body = new FormData();
  state.photos.forEach((p) => body.append("photos", p.file, p.file.name));
  body.append("consent", $("consent").checked ? "true" : "false");
  body.append("style", form.get("style"));
  body.append("duration", form.get("duration"));
  setBusy(true);
  showFormError("");
  showProgress({ status: "queued", progress: 0 });
  let res, data;
  try {
    res = await fetch("/v1/hugs", { method: "POST", body });
    data = await res.json();
  } catch (e) {
    setBusy(false);
    $("progress").hidden = true;
    return showFormError("Could not reach the server; check your connection and try again.");
  }
  if (!res.ok) {
    setBusy(false);
    $("progress").hidden = true;
    placeError(data);
    return renderThumbs();
  }
  follow(data);
}

function setBusy(busy) {
  state.busy = busy;
  document.querySelectorAll("#options input, .remove, #files, #camera").forEach((el) => {
    el.disabled = busy || el.dataset.overPlan === "true";
  });
  updateMake();
}

function showProgress(job) {
  $("progress").hidden = false;
  $("result").hidden = true;
  $("stage").textContent = STAGES[job.status === "running" ? job.stage || "perceive" : job.status] || "Working…";
  $("bar").value = job.progress || 0;
}

// Follow the job with server-sent events, or by polling where they do not work.
function follow(job) {
  state.job = job;
  showProgress(job);
  if (window.EventSource) {
    const events = new EventSource(job.links.events);
    events.addEventListener("job", (e) => {
      const j = JSON.parse(e.data);
      if (!update(j)) events.close();
    });
    events.addEventListener("gone", () => { events.close(); finishFailed({ message: "The job was deleted." }); });
    events.onerror = () => { events.close(); if (state.busy) poll(job.links.job); };
  } else {
    poll(job.links.job);
  }
}

async function poll(url) {
  while (state.busy) {
    try {
      const res = await fetch(url);
      const j = await res.json();
      if (!res.ok) return finishFailed(j);
      if (!update(j)) return;
    } catch (e) { /* a blip: try again */ }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

// Returns whether the job is still going.
function update(job) {
  if (!state.busy || !state.job || job.id !== state.job.id) return false;
  state.job = job;
  if (job.status === "succeeded") { finishOk(job); return false; }
  if (job.status === "failed") { finishFailed(job.error); return false; }
  showProgress(job);
  return true;
}

function finishOk(job) {
  setBusy(false);
  $("progress").hidden = true;
  const video = $("video");
  video.poster = job.links.poster;
  video.src = job.links.video;
  video.play().catch(() => {}); // autoplay may be refused; the controls are there
  $("download").href = job.links.download;
  $("result").hidden = false;
  $("result").scrollIntoView({ behavior: "smooth", block: "start" });
}

function finishFailed(error) {
  setBusy(false);
  $("progress").hidden = true;
  placeError(error || { message: "Something went wrong; please try again." });
  renderThumbs();
}

async function share() {
  try {
    const blob = await (await fetch(state.job.links.video)).blob();
    const file = new File([blob], "hug.mp4", { type: "video/mp4" });
    await navigator.share({ files: [file], title: "A hug" });
  } catch (e) {
    if (e.name !== "AbortError") showFormError("Sharing did not work here; download the video instead.");
  }
}

async function deleteJob() {
  if (!state.job) return;
  await fetch(state.job.links.job, { method: "DELETE" });
  reset();
  showFormError("Deleted: the photos and the video are gone from the server.");
}

function reset() {
  state.job = null;
  $("result").hidden = true;
  $("video").removeAttribute("src");
  $("video").load();
  state.photos.forEach((p) => URL.revokeObjectURL(p.url));
  state.photos = [];
  state.detectError = null;
  showFormError("");
  renderThumbs();
  window.scrollTo({ top: 0, behavior: "smooth" });
}

// ---- the caller's plan -------------------------------------------------------------------
async function loadPlan() {
  try {
    const me = await (await fetch("/v1/me")).json();
    const lengths = [...document.querySelectorAll("#lengths input")];
    for (const input of lengths) {
      input.dataset.overPlan = String(Number(input.value) > me.plan.max_duration);
      input.disabled = input.dataset.overPlan === "true";
    }
    // The default length may be over this plan's: pick the longest one allowed instead.
    const checked = lengths.find((i) => i.checked);
    if (checked && checked.disabled) {
      const allowed = lengths.filter((i) => !i.disabled);
      if (allowed.length) allowed[allowed.length - 1].checked = true;
    }
    if (me.retention_hours) {
      $("privacy").textContent = `Photos are stripped of location data and deleted with the video after ${me.retention_hours} hours, or at once with “Delete now”.`;
    }
  } catch (e) { /* defaults stay */ }
}

// ---- wiring ------------------------------------------------------------------------------
function wire() {
  $("files").addEventListener("change", (e) => { addFiles(e.target.files); e.target.value = ""; });
  $("camera").addEventListener("change", (e) => { addFiles(e.target.files); e.target.value = ""; });
  const drop = $("drop");
  ["dragenter", "dragover"].forEach((t) => drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.add("over"); }));
  ["dragleave", "drop"].forEach((t) => drop.addEventListener(t, () => drop.classList.remove("over")));
  drop.addEventListener("drop", (e) => { e.preventDefault(); addFiles(e.dataTransfer.files); });
  $("consent").addEventListener("change", updateMake);
  $("options").addEventListener("submit", make);
  $("again").addEventListener("click", reset);
  $("delete").addEventListener("click", deleteJob);
  $("share").addEventListener("click", share);
  const probe = new File([""], "hug.mp4", { type: "video/mp4" });
  $("share").hidden = !(navigator.canShare && navigator.canShare({ files: [probe] }));
  loadPlan();
}

wire();
