// The dashboard of `mongrate serve`: reads the status and history from this server's JSON API,
// and runs dry-run, up, down 1 and lock release with the API token the user typed in. Every text
// from the server goes into the page as text (textContent), never as markup.
"use strict";

const TOKEN_KEY = "mongrate.apiToken";
const REFRESH_EVERY_MS = 10000;
const HISTORY_LIMIT = 50;

const $ = (id) => document.getElementById(id);

/** An element with a class and children (strings become text). */
function el(tag, className, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function badge(text, state) {
  return el("span", `badge state-${state || text}`, text);
}

// ---- formatting ------------------------------------------------------------------------------

function pad(n) {
  return String(n).padStart(2, "0");
}

/** A timestamp of the API (RFC 3339) in the browser's time zone, to the second. */
function formatTime(iso) {
  if (!iso) return "";
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  return (
    `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ` +
    `${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`
  );
}

/** A table cell with a timestamp, the API's own text in its tooltip. */
function timeCell(iso) {
  const cell = el("td", "mono", formatTime(iso));
  if (iso) cell.title = iso;
  return cell;
}

/** Milliseconds as people read them: 12 ms, 3.5 s, 2 min 5 s. */
function formatDuration(ms) {
  if (ms === null || ms === undefined) return "";
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60000);
  return `${minutes} min ${Math.round((ms % 60000) / 1000)} s`;
}

function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

// ---- the API -----------------------------------------------------------------------------------

/** The token typed in, else the one kept for this tab. */
function token() {
  return $("token").value.trim() || sessionStorage.getItem(TOKEN_KEY) || "";
}

/** An API call's failure, worded from the server's JSON error body when it sent one. */
class ApiError extends Error {
  constructor(status, message, report) {
    super(message);
    this.status = status;
    this.report = report;
  }
}

/** Calls the API. Paths are relative to the page, so that the dashboard works wherever the
 *  service is mounted (`/`, or `/migrations/` in an app of its own). */
async function api(method, path) {
  const headers = { Accept: "application/json" };
  const bearer = token();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  let response;
  let text;
  try {
    response = await fetch(path, { method, headers, cache: "no-store" });
    text = await response.text();
  } catch (e) {
    throw new ApiError(0, `The server did not answer (${e.message}). Is mongrate serve still running?`);
  }
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch (_) {
    // Not JSON: the text itself is the best words there are.
  }
  if (!response.ok) {
    const error = body && body.error;
    const message =
      (error && error.message) ||
      (typeof error === "string" && error) ||
      text.trim() ||
      `${response.status} ${response.statusText}`;
    throw new ApiError(response.status, message, body && body.report);
  }
  if (body === null) throw new ApiError(response.status, `The server's answer to ${path} is not JSON.`);
  return body;
}

// ---- the status --------------------------------------------------------------------------------

/** One row per migration: the status's own `entries` when it has them, else its lists merged. */
function migrationRows(status) {
  if (Array.isArray(status.entries)) {
    return status.entries.map((entry) => ({ ...entry, state: entry.state || entry.status || "unknown" }));
  }
  const rows = new Map();
  for (const entry of status.applied || []) rows.set(entry.version, { ...entry, state: "applied" });
  for (const entry of status.pending || []) rows.set(entry.version, { ...entry, state: "pending" });
  for (const entry of status.failed || []) {
    rows.set(entry.version, { ...rows.get(entry.version), ...entry, state: entry.status || "failed" });
  }
  for (const entry of status.drift || []) {
    // As `mongrate status` shows it: an applied file that changed is "changed".
    const row = rows.get(entry.version) || { version: entry.version, name: "", state: "drift" };
    if (row.state === "applied") row.state = "changed";
    row.problem = entry.problem;
    rows.set(entry.version, row);
  }
  return [...rows.values()].sort((a, b) =>
    String(a.version).localeCompare(String(b.version), undefined, { numeric: true }),
  );
}

function renderDatabase(status) {
  $("database-url").textContent = status.database || "–";
  const server = status.server || {};
  $("database-server").textContent = [server.kind, server.version].filter(Boolean).join(" ") || "–";
  $("database-transactions").textContent =
    server.transactions === undefined ? "–" : server.transactions ? "yes" : "no";
}

function renderLock(locked) {
  const state = $("lock-state");
  const facts = $("lock-facts");
  facts.replaceChildren();
  if (!locked) {
    state.replaceChildren(el("span", "badge free", "free"), " no run holds the lock");
    facts.hidden = true;
    return;
  }
  const holder = `${locked.host || "an unknown host"}${locked.pid ? ` (pid ${locked.pid})` : ""}`;
  state.replaceChildren(
    el("span", locked.expired ? "badge state-failed" : "badge held", locked.expired ? "expired" : "held"),
    ` by ${holder}`,
  );
  const fact = (name, value) => {
    if (value === null || value === undefined || value === "") return;
    facts.append(el("dt", null, name), el("dd", null, value));
  };
  fact("Reason", locked.reason);
  fact("Owner", locked.owner);
  fact("Since", formatTime(locked.lockedAt));
  fact("Heartbeat", formatTime(locked.heartbeatAt));
  fact("Expires", formatTime(locked.expiresAt));
  facts.hidden = false;
}

function renderSummary(summary, phase, phased) {
  const box = $("summary");
  box.replaceChildren();
  // Where the database stands in expand → migrate → contract, once a migration declares a phase.
  const advice = $("phase-advice");
  advice.textContent = phased && phase && phase.advice ? `Phase: ${phase.advice}` : "";
  advice.hidden = !advice.textContent;
  if (!summary) return;
  const order = ["total", "applied", "pending", "failed", "drift"];
  for (const key of order.concat(Object.keys(summary).filter((k) => !order.includes(k)))) {
    if (!(key in summary)) continue;
    const state = key === "total" ? "other" : summary[key] ? key : "other";
    box.append(el("span", `badge state-${state}`, `${summary[key]} ${key}`));
  }
}

function renderMigrations(status) {
  const body = $("migrations").tBodies[0];
  const rows = migrationRows(status);
  if (rows.length === 0) {
    body.replaceChildren(el("tr", null, el("td", "empty", "No migration files and nothing applied.")));
    body.rows[0].cells[0].colSpan = 6;
    return;
  }
  body.replaceChildren(
    ...rows.map((row) => {
      const tr = el("tr", row.state === "failed" ? "row-failed" : null);
      tr.dataset.version = row.version;
      const name = el("td", "name", row.name || row.file || "");
      if (row.file && row.name) name.title = row.file;
      if (row.phase && row.phase !== "expand") name.append(" ", el("span", "badge phase", row.phase));
      const detail = row.error || row.problem;
      if (detail) name.append(el("div", "detail", detail));
      // How far the batch loops of an unfinished migration got (the next `up` resumes there).
      if (row.progress && typeof row.progress.processed === "number") {
        name.append(el("div", "progress muted", progressText(row.progress)));
      }
      // The commands that resolve a failed or unfinished migration, as `mongrate status` lists them.
      for (const choice of Array.isArray(row.choices) ? row.choices : []) {
        name.append(el("div", "choice muted", el("code", null, choice.command), ` ${choice.meaning || ""}`));
      }
      const state = el("td", "state", badge(row.state, row.state));
      const reversible =
        row.reversible === undefined || row.reversible === null ? "" : row.reversible ? "yes" : "no";
      tr.append(
        el("td", "version", row.version),
        name,
        state,
        timeCell(row.appliedAt),
        el("td", "duration", formatDuration(row.executionTime)),
        el("td", "reversible", reversible),
      );
      return tr;
    }),
  );
}

function renderHistory(history) {
  const body = $("history").tBodies[0];
  if (!Array.isArray(history) || history.length === 0) {
    body.replaceChildren(el("tr", null, el("td", "empty", "Nothing has run yet.")));
    body.rows[0].cells[0].colSpan = 7;
    return;
  }
  body.replaceChildren(
    ...history.map((entry) => {
      const tr = el("tr", entry.status === "failed" ? "row-failed" : null);
      const name = el("td", null, entry.name || "");
      if (entry.error) name.append(el("div", "detail", entry.error));
      const by = entry.appliedBy
        ? `${entry.appliedBy.user || "?"}@${entry.appliedBy.host || "?"}${entry.appliedBy.pid ? ` (pid ${entry.appliedBy.pid})` : ""}`
        : "";
      tr.append(
        timeCell(entry.at),
        el("td", "version", entry.version),
        name,
        el("td", "action", entry.action || ""),
        el("td", null, entry.status ? badge(entry.status, entry.status) : ""),
        el("td", "duration", formatDuration(entry.executionTime)),
        el("td", "by muted", by),
      );
      return tr;
    }),
  );
}

function showLoadError(message) {
  const banner = $("load-error");
  banner.textContent = message;
  banner.hidden = !message;
}

let refreshes = Promise.resolve();

/** Whether the last status was read without a token: then the server has none, and what it
 *  answers a button (read-only, how to set a token) says more than asking for one. */
let readsWithoutToken = false;

/** Reads the status and the history again. Refreshes run one after another, so the one asked for
 *  after an action reads what the action left, not an older answer still on its way. */
function refresh() {
  refreshes = refreshes.then(load);
  return refreshes;
}

async function load() {
  try {
    const [status, history] = await Promise.all([
      api("GET", "api/migrations/status"),
      api("GET", `api/migrations/history?limit=${HISTORY_LIMIT}`),
    ]);
    renderDatabase(status);
    renderLock(status.locked);
    const phased = migrationRows(status).some((row) => row.phase && row.phase !== "expand");
    renderSummary(status.summary, status.phase, phased);
    renderMigrations(status);
    renderHistory(history);
    showLoadError("");
    readsWithoutToken = !token();
    $("refreshed").textContent = `updated ${formatTime(new Date().toISOString()).slice(11)}`;
  } catch (e) {
    if (e.status === 401) {
      refuseToken();
      showLoadError(`The server needs its API token to show the status: ${e.message.replace(/\.$/, "")}. Enter it above.`);
    } else {
      showLoadError(`Could not read the status: ${e.message}`);
    }
    $("refreshed").textContent = "not up to date";
    for (const id of ["migrations", "history"]) {
      const waiting = $(id).querySelector("td.empty");
      if (waiting) waiting.textContent = "not read yet";
    }
  }
}

// ---- actions -----------------------------------------------------------------------------------

function operationLine(operation) {
  const where = operation.line ? `line ${operation.line}: ` : "";
  const affected =
    operation.affected === null || operation.affected === undefined
      ? ""
      : ` [${plural(operation.affected, "row", "rows")}]`;
  return el("li", "operation mono", `${where}${operation.summary || ""}${affected}`);
}

/** A list of steps (done, or previewed) with their operations. */
function stepList(steps, withTime) {
  const list = el("ul");
  for (const step of steps) {
    const head = `${step.direction || ""} ${step.version} ${step.name || ""}`.trim();
    const time = withTime && step.executionTime !== undefined ? ` (${formatDuration(step.executionTime)})` : "";
    const item = el("li", "step", el("strong", null, head), time);
    if (step.error) item.append(el("div", "detail", step.error));
    const operations = step.operations || [];
    if (operations.length) item.append(el("ul", null, ...operations.map(operationLine)));
    list.append(item);
  }
  return list;
}

/** What a run report says, as elements: the preview of a dry-run, or the steps of a run. */
function reportParts(report) {
  const parts = [];
  if (report.dryRun) {
    const preview = report.preview || [];
    parts.push(
      el(
        "p",
        "message",
        preview.length
          ? `Dry-run: ${plural(preview.length, "migration", "migrations")} would run. Nothing was changed.`
          : "Dry-run: nothing would run. Nothing was changed.",
      ),
    );
    if (preview.length) parts.push(stepList(preview, false));
  } else {
    const steps = report.steps || [];
    const down = steps.length && steps.every((s) => s.direction === "down");
    parts.push(
      el(
        "p",
        "message",
        steps.length
          ? `${down ? "Reverted" : "Applied"} ${plural(steps.length, "migration", "migrations")}.`
          : "Nothing to do: no migration ran.",
      ),
    );
    if (steps.length) parts.push(stepList(steps, true));
  }
  const failures = report.failures || [];
  if (failures.length) {
    parts.push(el("p", "message", `${plural(failures.length, "failure", "failures")}:`));
    parts.push(
      el(
        "ul",
        null,
        ...failures.map((f) =>
          el("li", "detail", typeof f === "string" ? f : [f.version, f.name, f.error || f.message].filter(Boolean).join(" ")),
        ),
      ),
    );
  }
  if (report.error && report.error.message) parts.push(el("p", "message detail", report.error.message));
  return parts;
}

/** `37%, 412,000 of 1,100,000 documents processed`, or the count alone without a total. */
function progressText(progress) {
  const count = (n) => Number(n).toLocaleString("en-US");
  if (typeof progress.total === "number" && progress.total > 0) {
    const percent = Math.min(100, Math.floor((progress.processed * 100) / progress.total));
    return `${percent}%, ${count(progress.processed)} of ${count(progress.total)} documents processed; mongrate up resumes it`;
  }
  return `${count(progress.processed)} documents processed; mongrate up resumes it`;
}

/** What a failed run did (or a failed dry-run would have done) before it failed; its error is
 *  shown already. */
function failedRunParts(report) {
  if (report.dryRun) {
    const preview = report.preview || [];
    return preview.length ? [el("p", "message", "The preview up to the failure:"), stepList(preview, false)] : [];
  }
  const steps = report.steps || [];
  if (steps.length === 0) return [el("p", "message", "No migration ran.")];
  return [
    el("p", "message", `Before the failure: ${plural(steps.length, "step", "steps")} done.`),
    stepList(steps, true),
  ];
}

function showResult(title, ok, parts) {
  const box = $("result");
  box.className = `result ${ok ? "ok" : "error"}`;
  box.replaceChildren(el("h3", null, title), ...parts);
  box.hidden = false;
}

/** Words for an error status, before the server's own message. */
function errorTitle(action, error) {
  if (error.status === 401) return `${action}: the API token was refused`;
  if (error.status === 403) return `${action}: not allowed`;
  if (error.status === 422) return `${action} refused`;
  if (error.status === 409 || error.status === 423) return `${action}: the lock is held`;
  if (error.status === 0) return `${action}: no answer`;
  return `${action} failed`;
}

const ACTIONS = {
  "dry-run": { title: "Dry-run", method: "POST", path: "api/migrations/up?dryRun=true" },
  up: { title: "Up", method: "POST", path: "api/migrations/up?dryRun=false" },
  down: {
    title: "Down 1",
    method: "POST",
    path: "api/migrations/down?steps=1",
    confirm: "Revert the newest applied migration?",
  },
  release: {
    title: "Release lock",
    method: "POST",
    path: "api/migrations/lock/release",
    confirm: "Remove the lock whoever holds it? A run still going on would lose it.",
  },
};

function releaseParts(body) {
  const released = body.released;
  if (!released) return [el("p", "message", "The lock was not held: nothing to release.")];
  const holder = `${released.host || "an unknown host"}${released.pid ? ` (pid ${released.pid})` : ""}`;
  const since = released.lockedAt ? ` since ${formatTime(released.lockedAt)}` : "";
  return [el("p", "message", `Released the lock held by ${holder}${since}.`)];
}

function setBusy(busy) {
  for (const id of Object.keys(ACTIONS)) $(id).disabled = busy;
}

async function runAction(id) {
  const action = ACTIONS[id];
  if (!token() && !readsWithoutToken) {
    const input = $("token");
    input.classList.add("wanted");
    input.focus();
    showResult(`${action.title}: the API token is needed`, false, [
      el("p", "message", "Enter the API token (MONGRATE_API_TOKEN of the server) at the top, then click again."),
    ]);
    return;
  }
  keepToken();
  if (action.confirm && !window.confirm(action.confirm)) return;
  setBusy(true);
  showResult(`${action.title}: running…`, true, []);
  try {
    const body = await api(action.method, action.path);
    showResult(action.title, true, id === "release" ? releaseParts(body) : reportParts(body));
  } catch (e) {
    const parts = [el("p", "message", e.message)];
    if (e.report) parts.push(...failedRunParts(e.report));
    showResult(errorTitle(action.title, e), false, parts);
    if (e.status === 401) refuseToken();
  } finally {
    setBusy(false);
    await refresh();
  }
}

// ---- the token -----------------------------------------------------------------------------------

function keepToken() {
  const typed = $("token").value.trim();
  if (typed) sessionStorage.setItem(TOKEN_KEY, typed);
  $("token").classList.remove("wanted");
  showTokenNote();
}

/** The server refused the token: it is not kept (a reload would only send it again), and the
 *  field asks for another. */
function refuseToken() {
  sessionStorage.removeItem(TOKEN_KEY);
  showTokenNote();
  $("token").classList.add("wanted");
}

function showTokenNote() {
  $("token-note").textContent = sessionStorage.getItem(TOKEN_KEY) ? "kept for this tab" : "";
}

// ---- start -------------------------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", () => {
  $("token").value = sessionStorage.getItem(TOKEN_KEY) || "";
  showTokenNote();
  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    keepToken();
    refresh();
  });
  $("forget-token").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    $("token").value = "";
    showTokenNote();
  });
  $("refresh").addEventListener("click", () => refresh());
  for (const id of Object.keys(ACTIONS)) $(id).addEventListener("click", () => runAction(id));
  refresh();
  setInterval(() => {
    if (document.visibilityState === "visible") refresh();
  }, REFRESH_EVERY_MS);
});
