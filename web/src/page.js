// The reporter's page: the screens around the engine (reporter.js). The page's words come from the
// server already in the reader's language (the template, and the JSON in #sanad-config); nothing here
// is in any language.
//
// What a searched phone should not show: nothing is written to cookies, storage, the URL or the
// history (screens change in place, and the language links replace the page rather than add to the
// history); the secret lives in script and on screen only while it is needed; every screen's content
// is wiped when the reporter leaves it, quits or exits, and veiled while the page is in the background.

import { ApiError, PowError, TooLong, addEvidence, checkStatus, followUp, submitReport, withdraw } from "./reporter.js";
import { MAX_PHOTO_BYTES, isPhoto, stripped } from "./photo.js";

const config = JSON.parse(document.getElementById("sanad-config").textContent);
const T = config.strings;
const language = config.language;

// A worker is a URL on the server, or, in the self-contained file, "#id" of the JSON holding its source.
function workerUrl(value) {
  if (!value.startsWith("#")) return value;
  const source = JSON.parse(document.getElementById(value.slice(1)).textContent);
  return URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
}
const engine = {
  base: config.api,
  language,
  workerUrl: workerUrl(config.powWorker),
  keyWorkerUrl: workerUrl(config.keyWorker),
  pinnedKeys: config.pinnedKeys || null,
};
// Room for the evidence's header line and HPKE's encapsulated key and tag within the server's cap.
const EVIDENCE_OVERHEAD = 4096;

const $ = (selector, root = document) => root.querySelector(selector);
const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

// The one piece of state that matters: the reporter's secret while a screen needs it. Every task takes
// its own copy when it starts, and `generation` (raised by every wipe) tells a task that finishes
// after the reporter moved on that its screen is gone: it then shows nothing.
let secret = null;
let generation = 0;
let running = null; // the AbortController of the work under way
let uploading = false; // files still going after the report, with its secret on screen or just hidden
let guarded = false; // leaving now would lose a secret not yet written down, or work under way

function fill(template, values) {
  return template.replace(/%\((\w+)\)s/g, (_, name) => (name in values ? String(values[name]) : ""));
}

function plural(forms, n) {
  let category = "other";
  try {
    category = new Intl.PluralRules(language).select(n);
  } catch {
    // an old browser without Intl.PluralRules: "other" reads acceptably in all three languages
  }
  return fill(forms[category] || forms.other, { n });
}

// ---- screens --------------------------------------------------------------------------------------

function alertShow(message) {
  const box = $("#alert");
  box.textContent = message;
  box.hidden = !message;
  if (message) box.scrollIntoView({ block: "center" });
}

function clearFieldErrors(form) {
  $$(".field-error", form).forEach((p) => {
    p.textContent = "";
    p.hidden = true;
  });
  $$("[data-field]", form).forEach((field) => field.classList.remove("refused"));
}

function clearForm(form) {
  form.reset(); // fires no "change": what a choice showed is hidden again here
  clearFieldErrors(form);
  $$("[data-files]", form).forEach(resetFiles);
  $$("#contact-value, #contact-value-label", form).forEach((element) => (element.hidden = true));
}

function wipe() {
  secret = null;
  generation += 1;
  if (running) running.abort();
  running = null;
  uploading = false;
  guard(false);
  $("#secret").textContent = "";
  $("#secret-box").hidden = false;
  $("#secret-evidence").replaceChildren();
  $("#replies").replaceChildren();
  $("#status-text").textContent = "";
  $("#status-updated").textContent = "";
  $("#followup-progress").textContent = "";
  $("#withdrawn-text").textContent = "";
  $("#withdraw-confirm").hidden = true;
  $$("form").forEach(clearForm);
  alertShow("");
}

// While work runs or a secret waits to be written down, the browser asks before the page is left (a
// back gesture, a reload, a language tap): leaving would lose the report or its only secret.
function onBeforeUnload(event) {
  event.preventDefault();
  event.returnValue = "";
}

function guard(on) {
  if (on === guarded) return;
  guarded = on;
  if (on) window.addEventListener("beforeunload", onBeforeUnload);
  else window.removeEventListener("beforeunload", onBeforeUnload);
}

function show(name) {
  $$("[data-view]").forEach((view) => (view.hidden = view.id !== `view-${name}`));
  // No way off the page while a report is going or its secret is on screen, but Exit.
  $("header nav").hidden = name === "working" || name === "secret";
  const heading = $(`#view-${name} h1`);
  window.scrollTo(0, 0);
  if (heading) heading.focus({ preventScroll: true });
}

function go(name) {
  // Leaving for the start or a form wipes what the last screen held (a secret, replies, a draft).
  if (name === "start" || name === "report" || name === "check") wipe();
  show(name);
}

// ---- errors ---------------------------------------------------------------------------------------

function explain(error) {
  if (error instanceof PowError) return T.errors[`pow_${error.error}`] || T.errors.unexpected;
  if (error instanceof TooLong) return T.errors.too_long;
  if (error instanceof ApiError) {
    if (error.status === 0 || error.error === "unreadable_answer") return T.errors[error.error] || T.errors.unexpected;
    if (error.detail) return error.detail; // the server's sentence, in the reader's language
    return T.errors.server;
  }
  if (error instanceof TypeError) return T.errors.network; // fetch's way of saying "no connection"
  return T.errors.unexpected;
}

function fieldError(form, path, message) {
  const field = $$("[data-field]", form).find((element) => path === element.dataset.field || path.startsWith(`${element.dataset.field}.`) || path.startsWith(`${element.dataset.field}[`));
  if (!field) return false;
  const slot = $(".field-error", field);
  slot.textContent = slot.textContent ? `${slot.textContent} ${message}` : message;
  slot.hidden = false;
  field.classList.add("refused");
  return true;
}

function clearErrors(form) {
  clearFieldErrors(form);
  alertShow("");
}

function firstRefused(form) {
  const field = $(".refused", form);
  if (field) {
    field.scrollIntoView({ block: "center" });
    const input = $("input, select, textarea", field);
    if (input) input.focus({ preventScroll: true });
  }
}

// ---- files ----------------------------------------------------------------------------------------

function filesOf(box) {
  return Array.from($("input[type=file]", box).files || []);
}

function resetFiles(box) {
  $("input[type=file]", box).value = "";
  $(".files", box).replaceChildren();
  $(".as-is", box).hidden = true;
  $(".as-is input", box).checked = false;
}

function listFiles(box) {
  const items = filesOf(box).map((file) => {
    const item = document.createElement("li");
    const name = document.createElement("bdi");
    name.textContent = file.name;
    item.append(name, " — ", isPhoto(file) ? T.photo_kept : T.file_as_is);
    if (!isPhoto(file)) item.className = "warning-text";
    return item;
  });
  $(".files", box).replaceChildren(...items);
  $(".as-is", box).hidden = filesOf(box).every(isPhoto);
  $(".as-is input", box).checked = false; // a new choice of files is ticked anew
}

// The chosen files, checked before anything is sent (the count, "send as is" for what is not a photo,
// sizes by what the file says); each is read, and a photo stripped, only as it is sent, one at a time,
// so a phone never holds them all in memory at once. Null, with the reason beside the field, if not.
function checkedFiles(box, form) {
  const files = filesOf(box);
  if (files.length > config.maxFiles) return fieldError(form, "files", T.too_many_files) && null;
  if (files.some((file) => !isPhoto(file)) && !$(".as-is input", box).checked) {
    return fieldError(form, "files", T.as_is_needed) && null;
  }
  const limit = config.maxEvidenceBytes - EVIDENCE_OVERHEAD;
  const megabytes = (bytes) => Math.floor(bytes / (1024 * 1024));
  for (const file of files) {
    const most = isPhoto(file) ? MAX_PHOTO_BYTES : limit;
    if (file.size > most) return fieldError(form, "files", fill(T.too_big, { name: file.name, size: megabytes(most) })) && null;
  }
  let photos = 0;
  let others = 0;
  return files.map((file) => ({ file, index: isPhoto(file) ? ++photos : ++others }));
}

// Photos are stripped before anything is sent, one at a time, keeping only the small JPEG each gives:
// decoding a large photo takes memory, and a tab that runs out must lose a draft, never a secret on
// screen. A photo the browser cannot decode is refused here, beside the field, with nothing sent.
async function strippedFirst(files, form) {
  for (const entry of files) {
    if (!isPhoto(entry.file)) continue;
    try {
      entry.ready = await stripped(entry.file, entry.index);
    } catch {
      fieldError(form, "files", fill(T.not_an_image, { name: entry.file.name }));
      return false;
    }
    if (entry.ready.data.length > config.maxEvidenceBytes - EVIDENCE_OVERHEAD) {
      fieldError(form, "files", fill(T.too_big, { name: entry.file.name, size: Math.floor((config.maxEvidenceBytes - EVIDENCE_OVERHEAD) / (1024 * 1024)) }));
      return false;
    }
  }
  return true;
}

// {filename, mediaType, data}: a photo as stripped above, anything else read as it is, only now (its
// name made neutral, as the Python client sends it: the original can name a phone or a moment).
async function readied({ file, index, ready }) {
  if (ready) return ready;
  const extension = /\.([A-Za-z0-9]{1,8})$/.exec(file.name);
  const filename = `file-${index}${extension ? `.${extension[1].toLowerCase()}` : ""}`;
  return { data: new Uint8Array(await file.arrayBuffer()), mediaType: file.type || "application/octet-stream", filename };
}

async function sendFiles(files, list, { mine, held, signal }) {
  const limit = config.maxEvidenceBytes - EVIDENCE_OVERHEAD;
  for (const entry of files) {
    if (mine !== generation) return;
    const item = document.createElement("li");
    const name = document.createElement("bdi");
    name.textContent = entry.file.name;
    list.append(item);
    const say = (template, extra = {}) => {
      const parts = fill(template, { ...extra, name: "\u0000" }).split("\u0000");
      item.replaceChildren(parts[0], name, parts.slice(1).join(""));
    };
    say(T.evidence_sending);
    try {
      const ready = await readied(entry);
      entry.ready = null; // sent or failed, its bytes need not stay
      if (mine !== generation) return;
      if (ready.data.length > limit) throw new Error(fill(T.too_big, { name: entry.file.name, size: Math.floor(limit / (1024 * 1024)) }));
      await addEvidence({ ...engine, secret: held, filename: ready.filename, mediaType: ready.mediaType, data: ready.data, signal });
      if (mine !== generation) return;
      say(T.evidence_sent);
      item.className = "sent";
    } catch (error) {
      if (mine !== generation) return;
      say(T.evidence_failed, { reason: error instanceof Error && !(error instanceof ApiError || error instanceof PowError || error instanceof TypeError) && error.message ? error.message : explain(error) });
      item.className = "warning-text";
    }
  }
}

// ---- progress -------------------------------------------------------------------------------------

function working(phaseSlot, bar, eta, stop) {
  let phase = null;
  return {
    phase: () => phase,
    onPhase(name) {
      phase = name;
      phaseSlot.textContent = T.phase[name] || "";
      if (bar) {
        if (name === "pow") bar.value = 0;
        else bar.removeAttribute("value"); // indeterminate: no honest fraction to show
      }
      if (eta) eta.textContent = "";
      // Once the report is on its way it cannot be called back: Stop would only pretend.
      if (stop) stop.disabled = name === "send";
    },
    onProgress({ fraction, expectedSeconds }) {
      if (bar) bar.value = fraction;
      // Finding a nonce has no memory: the time to expect is the whole expected time at the rate
      // measured so far, however long it has run. So it is said as it is, not counted down.
      if (eta && expectedSeconds !== null) eta.textContent = plural(T.seconds_left, Math.max(1, Math.round(expectedSeconds)));
    },
  };
}

// A failure once the report (or a follow-up) was on its way: unless the server answered with a refusal
// of its own (a 4xx that says what it refused), it may have arrived, and the reporter must hear that
// rather than "try again": a second report would leave the first without its secret.
function explainSent(error, phase, sentence) {
  const refused = error instanceof ApiError && error.status >= 400 && error.status < 500 && (error.error || Object.keys(error.fields).length);
  if (phase === "send" && !refused) return sentence;
  return explain(error);
}

// ---- report ---------------------------------------------------------------------------------------

function lines(text) {
  return text.split(/\r?\n/).map((line) => line.trim()).filter(Boolean);
}

function readReport(form) {
  const data = new FormData(form);
  const indicators = [
    ...lines(data.get("phones") || "").map((value) => ({ type: "phone", value })),
    ...lines(data.get("telegram") || "").map((value) => ({ type: "telegram", value })),
  ];
  const method = data.get("contact_method");
  const contactValue = (data.get("contact_value") || "").trim();
  return {
    triage: {
      category: data.get("category") || "",
      governorate: data.get("governorate") || "",
      incident_month: data.get("month") || "",
      immediate_danger: data.get("immediate_danger") === "on",
      needs_relocation: data.get("needs_relocation") === "on",
      flags: data.getAll("flag"),
      indicators,
    },
    content: {
      narrative: (data.get("narrative") || "").trim(),
      locationText: (data.get("location") || "").trim(),
      contact: method && method !== "none" && contactValue ? { method, value: contactValue } : undefined,
    },
  };
}

function checkReport(form, { triage, content }) {
  let ok = true;
  if (!triage.category) ok = fieldError(form, "triage.category", T.choose) && false;
  if (!triage.governorate) ok = fieldError(form, "triage.governorate", T.choose) && false;
  if (!triage.incident_month) ok = fieldError(form, "triage.incident_month", T.choose) && false;
  if (!content.narrative) ok = fieldError(form, "narrative", T.required) && false;
  return ok;
}

// A refused field by its wire-format path, beside the field; an indicator by its value.
function showRefusal(form, error, indicators = []) {
  let placed = false;
  for (const [path, sentence] of Object.entries(error.fields || {})) {
    const match = /^triage\.indicators\[(\d+)\]/.exec(path) || /^triage\.indicators\.(\d+)/.exec(path);
    const indicator = match ? indicators[Number(match[1])] : null;
    const message = indicator ? fill(T.indicator, { value: indicator.value, reason: sentence }) : sentence;
    placed = fieldError(form, path, message) || placed;
  }
  if (!placed) alertShow(explain(error));
  firstRefused(form);
}

async function onReport(event) {
  event.preventDefault();
  const form = event.currentTarget;
  clearErrors(form);
  const report = readReport(form);
  const box = $("[data-files]", form);
  const valid = checkReport(form, report);
  const files = checkedFiles(box, form);
  if (!valid || !files) return firstRefused(form);
  const mine = generation;
  const controller = new AbortController();
  running = controller;
  const progress = working($("#phase"), $("#progress"), $("#eta"), $("#cancel"));
  $("#cancel").disabled = false;
  show("working");
  guard(true);
  if (files.some((entry) => isPhoto(entry.file))) {
    progress.onPhase("photo");
    const ok = await strippedFirst(files, form);
    if (mine !== generation) return;
    if (!ok || controller.signal.aborted) {
      running = null;
      guard(false);
      show("report");
      if (ok) alertShow(T.errors.pow_cancelled);
      return firstRefused(form);
    }
  }
  let done;
  try {
    done = await submitReport({ ...engine, triage: report.triage, content: report.content, signal: controller.signal, ...progress });
  } catch (error) {
    if (mine !== generation) return;
    running = null;
    guard(false);
    show("report");
    if (error instanceof ApiError && Object.keys(error.fields).length) showRefusal(form, error, report.triage.indicators);
    else alertShow(explainSent(error, progress.phase(), T.errors.unreadable_answer));
    return;
  }
  if (mine !== generation) return;
  // Received: the secret is shown before anything else can fail, then the files go one by one.
  secret = done.secret;
  const held = done.secret;
  clearForm(form);
  $("#secret").textContent = held;
  $("#written").checked = false;
  uploading = files.length > 0;
  secretButtons();
  show("secret");
  try {
    await sendFiles(files, $("#secret-evidence"), { mine, held, signal: controller.signal });
  } finally {
    if (mine === generation) {
      running = null;
      uploading = false;
      secretButtons();
    }
  }
}

// "Hide it" takes the secret off the screen once the box is ticked, even while files are still going
// (they go on, the secret held only in script); "Close" ends the page's hold on it once they are sent.
function secretButtons() {
  const shown = !$("#secret-box").hidden;
  $("#secret-done").hidden = !shown;
  $("#secret-done").disabled = !$("#written").checked;
  $("#secret-close").hidden = shown;
  $("#secret-close").disabled = uploading;
  guard(shown || uploading);
}

function hideSecret() {
  $("#secret").textContent = "";
  $("#secret-box").hidden = true;
  if (!uploading) return go("start");
  secretButtons();
  $("#secret-close").focus();
}

// ---- the reporter's own report --------------------------------------------------------------------

// Direction overrides and isolates in a reply would make a number or a name read backwards.
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/g;

function renderStatus(status) {
  $("#status-text").textContent = T.status[status.status] || "";
  $("#status-updated").textContent = status.updated ? fill(T.updated, { updated: String(status.updated).slice(0, 10) }) : "";
  const replies = (Array.isArray(status.replies) ? status.replies : []).map((reply) => {
    const item = document.createElement("article");
    item.className = "reply";
    if (reply.unreadable) {
      item.classList.add("warning-text");
      item.textContent = T.reply_unreadable;
      return item;
    }
    if (reply.sent_at) {
      const when = document.createElement("p");
      when.className = "small";
      when.dir = "ltr";
      when.textContent = String(reply.sent_at).replace("T", " ").slice(0, 16);
      item.append(when);
    }
    const body = document.createElement("p");
    body.dir = "auto";
    body.textContent = String(reply.body ?? "").replace(BIDI_CONTROLS, "");
    item.append(body);
    return item;
  });
  if (!replies.length) {
    const none = document.createElement("p");
    none.textContent = T.no_replies;
    replies.push(none);
  }
  $("#replies").replaceChildren(...replies);
}

async function onCheck(event) {
  event.preventDefault();
  const form = event.currentTarget;
  clearErrors(form);
  const typed = $("#secret-input").value;
  if (!typed.trim()) return fieldError(form, "secret", T.required) && firstRefused(form);
  const mine = generation;
  const button = $("button[type=submit]", form);
  button.disabled = true;
  const phase = document.createElement("p");
  phase.textContent = T.phase.open;
  form.append(phase);
  try {
    const status = await checkStatus({ ...engine, secret: typed });
    if (mine !== generation) return; // the reporter left meanwhile: nothing is shown
    secret = typed;
    $("#secret-input").value = "";
    renderStatus(status);
    show("status");
  } catch (error) {
    if (mine !== generation) return;
    if (error instanceof ApiError && error.error === "malformed_secret") fieldError(form, "secret", T.errors.malformed_secret);
    else if (error instanceof ApiError && error.status === 401) fieldError(form, "secret", explain(error));
    else alertShow(explain(error));
    firstRefused(form);
  } finally {
    phase.remove();
    button.disabled = false;
  }
}

async function onFollowUp(event) {
  event.preventDefault();
  const form = event.currentTarget;
  clearErrors(form);
  const narrative = $("#followup").value.trim();
  const box = $("[data-files]", form);
  if (!narrative && !filesOf(box).length) return fieldError(form, "narrative", T.required) && firstRefused(form);
  const files = checkedFiles(box, form);
  if (!files) return firstRefused(form);
  const mine = generation;
  const held = secret;
  const controller = new AbortController();
  running = controller;
  const button = $("button[type=submit]", form);
  const slot = $("#followup-progress");
  const progress = working(slot, null, null, null);
  button.disabled = true;
  guard(true);
  try {
    if (files.some((entry) => isPhoto(entry.file))) progress.onPhase("photo");
    if (!(await strippedFirst(files, form))) {
      slot.textContent = "";
      return firstRefused(form);
    }
    if (mine !== generation) return;
    if (narrative) {
      await followUp({ ...engine, secret: held, narrative, signal: controller.signal, onPhase: progress.onPhase });
      if (mine !== generation) return;
      $("#followup").value = "";
    }
    const list = document.createElement("ul");
    list.className = "files";
    slot.replaceChildren(list);
    await sendFiles(files, list, { mine, held, signal: controller.signal });
    if (mine !== generation) return;
    resetFiles(box);
    const done = document.createElement("li");
    done.className = "done";
    done.textContent = T.followup_sent;
    list.append(done);
  } catch (error) {
    if (mine !== generation) return;
    slot.textContent = "";
    if (error instanceof ApiError && Object.keys(error.fields).length) showRefusal(form, error);
    else alertShow(explainSent(error, progress.phase(), T.errors.unreadable_followup));
  } finally {
    if (mine === generation) {
      running = null;
      guard(false);
      button.disabled = false;
    }
  }
}

async function onWithdraw() {
  const mine = generation;
  const button = $("#withdraw-yes");
  button.disabled = true;
  try {
    await withdraw({ ...engine, secret });
    if (mine !== generation) return;
    wipe();
    $("#withdrawn-text").textContent = T.withdrawn;
    show("withdrawn");
  } catch (error) {
    if (mine === generation) alertShow(explain(error));
  } finally {
    button.disabled = false;
    $("#withdraw-confirm").hidden = true;
  }
}

// ---- wiring ---------------------------------------------------------------------------------------

function quickExit(event) {
  event.preventDefault();
  wipe();
  document.body.replaceChildren();
  // replace(), not a link: the page leaves the history, so "back" does not come here.
  window.location.replace(event.currentTarget.href);
}

// This month and the ones before it, by the phone's own date, named in the reader's language.
function fillMonths() {
  const select = $("#month");
  const now = new Date();
  let year = now.getFullYear();
  let month = now.getMonth() + 1;
  for (let index = 0; index < config.monthsOffered; index++) {
    const option = document.createElement("option");
    option.value = `${year}-${String(month).padStart(2, "0")}`;
    option.textContent = `${config.monthNames[month - 1]} ${year}`;
    select.append(option);
    month -= 1;
    if (month === 0) [month, year] = [12, year - 1];
  }
}

function start() {
  $("#exit").addEventListener("click", quickExit); // first: whatever fails below, Exit still works
  document.body.classList.toggle("veiled", document.hidden);
  fillMonths();
  // Another language replaces this page in the history too: Exit then leaves no Sanad page behind.
  $$("header nav a").forEach((link) =>
    link.addEventListener("click", (event) => {
      event.preventDefault();
      window.location.replace(link.href);
    }),
  );
  $$("[data-go]").forEach((button) => button.addEventListener("click", () => go(button.dataset.go)));
  $("#report-form").addEventListener("submit", onReport);
  $("#check-form").addEventListener("submit", onCheck);
  $("#followup-form").addEventListener("submit", onFollowUp);
  $$("[data-files] input[type=file]").forEach((input) => input.addEventListener("change", () => listFiles(input.closest("[data-files]"))));
  $("#contact-method").addEventListener("change", (event) => {
    const value = $("#contact-value");
    value.hidden = $("#contact-value-label").hidden = event.currentTarget.value === "none";
    if (value.hidden) value.value = "";
  });
  $("#cancel").addEventListener("click", () => running && running.abort());
  $("#written").addEventListener("change", secretButtons);
  $("#secret-done").addEventListener("click", hideSecret);
  $("#secret-close").addEventListener("click", () => go("start"));
  $("#withdraw").addEventListener("click", () => {
    $("#withdraw-confirm").hidden = false;
    $("#withdraw-no").focus();
  });
  $("#withdraw-no").addEventListener("click", () => ($("#withdraw-confirm").hidden = true));
  $("#withdraw-yes").addEventListener("click", onWithdraw);
  $("#status-close").addEventListener("click", () => go("start"));
  // Leaving the page (a link, closing the tab): nothing stays in a page the browser might keep.
  window.addEventListener("pagehide", wipe);
  // Back from the browser's page cache (wiped on the way out): start afresh, not on an emptied screen.
  window.addEventListener("pageshow", (event) => event.persisted && go("start"));
  // In the background (the app switcher's picture of it, a glance over a shoulder) the page shows nothing.
  document.addEventListener("visibilitychange", () => document.body.classList.toggle("veiled", document.hidden));
  go(document.body.dataset.start === "check" ? "check" : "start");
}

start();
