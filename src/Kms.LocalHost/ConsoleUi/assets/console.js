// The KMS operator console: keys and versions, operations (with approvals), and SLI sparklines from /metrics.
// Plain DOM, no framework. Everything the API returns is written with textContent (never innerHTML), and the page is
// served with a Content-Security-Policy that forbids inline script, so API strings cannot run as code.
"use strict";

(() => {
  const TOKEN_KEY = "kms.console.token"; // sessionStorage only: gone when the tab closes, never in a URL
  const POLL_MS = 3000;
  const KEYS_EVERY = 5; // keys are refreshed every 5th poll
  const MAX_SAMPLES = 60; // metrics ring buffer: 3 minutes at 3 s
  const TERMINAL = new Set(["COMPLETED", "FAILED", "CANCELED"]);
  // The steps of each operation type in order (docs/workflows.md): a progress bar for operations without item counts.
  const STEPS = {
    rotation: ["create-version", "canary", "promote", "start-rewrap", "done"],
    revocation: ["revoke", "announce", "replace", "rewrap", "awaiting-approvals", "destroy", "done"],
    deletion: ["waiting-period", "awaiting-approvals", "destroy", "done"],
    rewrap: ["count", "rewrap", "verify", "disable-old-versions", "done"],
    rootrotation: ["create-root", "rewrap", "switch", "grace-period", "final-sweep", "retire-old-root", "done"],
  };
  const ERROR_CLASSES = ["denied", "throttled", "client_error", "server_error"];
  const SVG = "http://www.w3.org/2000/svg";

  const $ = (id) => document.getElementById(id);
  let token = sessionStorage.getItem(TOKEN_KEY) || "";
  let selectedKey = null;
  let timer = null;
  let tick = 0;
  let polling = false;
  const samples = [];

  // ---- DOM helpers -------------------------------------------------------------------------------------------------

  /** An element with text children (strings become text nodes) and attributes set as attributes, never as HTML. */
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value !== undefined && value !== null && value !== false) node.setAttribute(name, String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  /** A CSS class from an API state such as ENABLED: letters and underscores only. */
  const stateClass = (state) => "state state-" + String(state || "").replace(/[^A-Za-z_]/g, "");
  const time = (value) => (value ? String(value).replace("T", " ").replace(/\.\d+/, "").replace(/\+00:00$|Z$/, " UTC") : "");

  function showMessage(text) {
    const box = $("message");
    box.textContent = text || "";
    box.hidden = !text;
  }

  // ---- API ---------------------------------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, code, detail) {
      super(`${code}: ${detail}`);
      this.status = status;
    }
  }

  async function api(method, path, body) {
    const headers = { Authorization: "Bearer " + token, Accept: "application/json" };
    const init = { method, headers, cache: "no-store", credentials: "omit", redirect: "error" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    const text = await response.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    if (!response.ok) {
      // RFC 9457 ProblemDetails: the stable code and the human detail.
      const code = (json && json.code) || "HTTP " + response.status;
      const detail = (json && (json.detail || json.title)) || response.statusText;
      throw new ApiError(response.status, code, detail);
    }
    return json;
  }

  function reportError(what, error) {
    if (error instanceof ApiError) {
      const hint = error.status === 401 ? " (paste a fresh token)" : "";
      showMessage(`${what}: ${error.message}${hint}`);
    } else {
      showMessage(`${what}: ${error && error.message ? error.message : error}`);
    }
  }

  const segment = (value) => encodeURIComponent(String(value));

  // ---- token -------------------------------------------------------------------------------------------------------

  /** Who the token names and when it expires, from its (unsigned, non-secret) payload; for display only. */
  function describeToken(value) {
    try {
      const payload = value.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      const claims = JSON.parse(atob(payload.padEnd(Math.ceil(payload.length / 4) * 4, "=")));
      const who = claims.sub || claims.oid || claims.name || "unknown principal";
      const expires = claims.exp ? ", expires " + time(new Date(claims.exp * 1000).toISOString()) : "";
      return `token for ${who}${expires}`;
    } catch {
      return "token set";
    }
  }

  function setToken(value) {
    token = value.trim();
    if (token) {
      sessionStorage.setItem(TOKEN_KEY, token);
    } else {
      sessionStorage.removeItem(TOKEN_KEY);
    }
    $("token").value = "";
    $("token-status").textContent = token ? describeToken(token) : "no token";
    showMessage("");
    restart();
  }

  // ---- keys and versions -------------------------------------------------------------------------------------------

  async function loadKeys() {
    const keys = [];
    let continuation = null;
    let pages = 0;
    do {
      const query = continuation ? "?continuationToken=" + encodeURIComponent(continuation) : "";
      const page = await api("GET", "/api/keys" + query);
      keys.push(...(page.keys || []));
      continuation = page.continuationToken;
      pages++;
    } while (continuation && pages < 20);
    renderKeys(keys);
  }

  function renderKeys(keys) {
    const rows = keys.map((key) => {
      const open = el("button", { type: "button", class: "link", title: "show versions" }, key.keyId);
      open.addEventListener("click", () => selectKey(key.keyId));
      return el("tr", { "data-key-id": key.keyId, class: key.keyId === selectedKey ? "selected" : null },
        el("td", {}, open),
        el("td", {}, key.keySpec),
        el("td", {}, el("span", { class: stateClass(key.state) }, key.state)),
        el("td", {}, "v" + key.primaryVersion),
        el("td", {}, (key.aliases || []).join(", ")));
    });
    document.querySelector("#keys tbody").replaceChildren(...rows);
    $("keys-empty").hidden = keys.length > 0;
  }

  async function selectKey(keyId) {
    selectedKey = keyId;
    for (const row of document.querySelectorAll("#keys tbody tr")) {
      row.classList.toggle("selected", row.getAttribute("data-key-id") === keyId);
    }
    try {
      await loadVersions(keyId);
    } catch (error) {
      reportError("Versions", error);
    }
  }

  async function loadVersions(keyId) {
    const list = await api("GET", `/api/keys/${segment(keyId)}/versions`);
    if (keyId !== selectedKey) return; // another key was picked meanwhile
    $("versions-key").textContent = keyId;
    const rows = (list.versions || []).map((v) =>
      el("tr", { "data-version": v.version, "data-state": v.state, "data-primary": v.primary ? "true" : "false" },
        el("td", {}, "v" + v.version),
        el("td", {}, el("span", { class: stateClass(v.state) }, v.state)),
        el("td", {}, v.primary ? el("span", { class: "primary" }, "\u2605 primary") : ""),
        el("td", {}, time(v.createdAt)),
        el("td", {}, time(v.stateChangedAt))));
    document.querySelector("#versions tbody").replaceChildren(...rows);
    $("versions-panel").hidden = false;
  }

  // ---- operations --------------------------------------------------------------------------------------------------

  async function loadOperations() {
    const operations = [];
    let continuation = null;
    let pages = 0;
    do {
      const query = continuation ? "?continuationToken=" + encodeURIComponent(continuation) : "";
      const page = await api("GET", "/api/operations" + query);
      operations.push(...(page.operations || []));
      continuation = page.continuationToken;
      pages++;
    } while (continuation && pages < 5);
    const showFinished = $("operations-finished").checked;
    const shown = operations
      .filter((op) => showFinished || !TERMINAL.has(op.state))
      .sort((a, b) => String(b.lastUpdatedAt).localeCompare(String(a.lastUpdatedAt)));
    $("operations").replaceChildren(...shown.map(renderOperation));
    $("operations-empty").hidden = shown.length > 0;
  }

  /** value/max for the bar (value null: indeterminate) and a label. */
  function progressOf(op) {
    const p = op.progress;
    if (p && p.total > 0) {
      const handled = p.done + p.skipped + p.failed;
      let label = `${handled} of ${p.total} items (pass ${p.pass})`;
      if (p.failed) label += `, ${p.failed} failed`;
      if (p.itemsPerSecond) label += `, ${p.itemsPerSecond.toFixed(1)} items/s`;
      if (p.etaSeconds !== null && p.etaSeconds !== undefined) label += `, ETA ${Math.round(p.etaSeconds)} s`;
      return { value: Math.min(handled, p.total), max: p.total, label };
    }
    if (op.state === "COMPLETED") return { value: 1, max: 1, label: "done" };
    const steps = STEPS[op.type];
    const index = steps && op.step ? steps.indexOf(op.step) : -1;
    if (index >= 0) {
      return { value: index, max: steps.length - 1, label: `step ${index + 1} of ${steps.length}: ${op.step}` };
    }
    return { value: null, max: 1, label: op.step || op.state };
  }

  function renderOperation(op) {
    const progress = progressOf(op);
    const bar = el("progress", { max: progress.max, value: progress.value, "aria-label": "progress" });
    const item = el("li", { "data-operation-id": op.operationId, "data-state": op.state, "data-type": op.type },
      el("div", { class: "op-head" },
        el("strong", {}, op.type),
        el("span", { class: stateClass(op.state) }, op.state),
        el("span", { class: "op-id" }, op.operationId)),
      bar,
      el("div", { class: "op-detail progress-label" }, progress.label));
    if (op.keyId) item.append(el("div", { class: "op-detail" }, `key ${op.keyId}` + (op.version ? ` v${op.version}` : "")));
    if (op.checkpoints && op.checkpoints.length) {
      item.append(el("div", { class: "op-detail muted" }, "checkpoints: " + op.checkpoints.join(" \u2192 ")));
    }
    if (op.error) item.append(el("div", { class: "op-detail state-FAILED" }, "error: " + op.error));
    if (op.timeToRevoke) {
      const t = op.timeToRevoke;
      item.append(el("div", { class: "op-detail" }, `time to revoke: ${Math.round(t.revokedMs)} ms` +
        (t.publishedMs !== null && t.publishedMs !== undefined ? `, published after ${Math.round(t.publishedMs)} ms` : "")));
    }

    const approvals = op.approvals;
    const collecting = approvals && !TERMINAL.has(op.state) && (approvals.state === "pending" || approvals.state === "waiting");
    if (approvals) {
      const received = approvals.received || [];
      let text = `approvals ${received.length}/${approvals.required} (${approvals.state}`;
      if (approvals.expiresAt) text += `, until ${time(approvals.expiresAt)}`;
      text += `), requested by ${approvals.requestedBy}`;
      if (received.length) text += "; approved by " + received.map((a) => a.principal).join(", ");
      item.append(el("div", { class: "op-detail approvals", "data-received": received.length, "data-required": approvals.required }, text));
    }

    const actions = el("div", { class: "op-actions" });
    const action = (name, label, path, body) => {
      const button = el("button", { type: "button", "data-action": name }, label);
      button.addEventListener("click", () => runAction(button, label, op.operationId, path, body));
      actions.append(button);
    };
    const base = `/api/operations/${segment(op.operationId)}`;
    if (collecting) action("approve", "Approve", base + "/approvals", {});
    if (op.state === "RUNNING") action("pause", "Pause", base + "/pause");
    if (op.state === "PAUSED") action("resume", "Resume", base + "/resume");
    if (!TERMINAL.has(op.state)) action("cancel", "Cancel", base + "/cancel");
    if (actions.childElementCount) item.append(actions);
    return item;
  }

  async function runAction(button, label, operationId, path, body) {
    button.disabled = true;
    try {
      await api("POST", path, body);
      showMessage("");
      $("action-status").textContent = `${label}: sent for ${operationId}`;
    } catch (error) {
      reportError(`${label} ${operationId}`, error);
    }
    await refresh(false);
  }

  // ---- metrics -----------------------------------------------------------------------------------------------------

  /** Prometheus text exposition → [{name, labels, value}]. Comments, HELP and TYPE lines are skipped. */
  function parsePrometheus(text) {
    const series = [];
    const line = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\S+)?$/;
    const label = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/y;
    for (const raw of text.split("\n")) {
      const trimmed = raw.trim();
      if (!trimmed || trimmed.startsWith("#")) continue;
      const match = line.exec(trimmed);
      if (!match) continue;
      const labels = {};
      if (match[2]) {
        label.lastIndex = 0;
        let m;
        while (label.lastIndex < match[2].length && (m = label.exec(match[2])) !== null) {
          labels[m[1]] = m[2].replace(/\\(.)/g, (_, c) => (c === "n" ? "\n" : c));
        }
      }
      const value = match[3] === "+Inf" ? Infinity : match[3] === "-Inf" ? -Infinity : Number(match[3]);
      series.push({ name: match[1], labels, value });
    }
    return series;
  }

  /** Sum of a family's series matching filter; null when the family is not exported at all. */
  function total(sample, name, filter) {
    let sum = 0;
    let found = false;
    for (const s of sample.series) {
      if (s.name !== name) continue;
      found = true;
      if (!filter || filter(s.labels)) sum += s.value;
    }
    return found ? sum : null;
  }

  const exported = (name) => samples.length > 0 && samples[samples.length - 1].series.some((s) => s.name === name);
  // A counter that went down was reset (host restart): its new value is the increase.
  const increase = (before, after) => (before === null || after === null ? null : after >= before ? after - before : after);

  /** One value per pair of consecutive samples. */
  function perInterval(compute) {
    const values = [];
    for (let i = 1; i < samples.length; i++) values.push(compute(samples[i - 1], samples[i], samples[i].t - samples[i - 1].t));
    return values;
  }

  const rate = (name, filter) => perInterval((a, b, dt) => {
    const d = increase(total(a, name, filter), total(b, name, filter));
    return d === null || dt <= 0 ? null : d / dt;
  });

  const ratio = (name, numerator, denominator) => perInterval((a, b) => {
    const top = increase(total(a, name, numerator), total(b, name, numerator));
    const bottom = increase(total(a, name, denominator), total(b, name, denominator));
    return top === null || !bottom ? null : top / bottom;
  });

  /** Prometheus' histogram_quantile over the increase of cumulative buckets in one interval. */
  function quantile(q, buckets) {
    if (!buckets.length) return null;
    const count = buckets[buckets.length - 1].count;
    if (!(count > 0)) return null;
    const rank = q * count;
    let lowerBound = 0;
    let lowerCount = 0;
    for (const b of buckets) {
      if (b.count >= rank) {
        if (b.le === Infinity) return lowerBound;
        if (b.count === lowerCount) return b.le;
        return lowerBound + ((b.le - lowerBound) * (rank - lowerCount)) / (b.count - lowerCount);
      }
      lowerBound = b.le;
      lowerCount = b.count;
    }
    return lowerBound;
  }

  function latencyP95(operation) {
    const name = "kms_request_duration_seconds_bucket";
    return perInterval((a, b) => {
      const byBound = new Map();
      for (const s of b.series) {
        if (s.name !== name || s.labels.operation !== operation) continue;
        const le = s.labels.le === "+Inf" ? Infinity : Number(s.labels.le);
        const before = a.series.find((x) => x.name === name && x.labels.operation === operation &&
          x.labels.result === s.labels.result && x.labels.le === s.labels.le);
        const d = increase(before ? before.value : 0, s.value);
        byBound.set(le, (byBound.get(le) || 0) + d);
      }
      const buckets = [...byBound.entries()].sort((x, y) => x[0] - y[0]).map(([le, count]) => ({ le, count }));
      return quantile(0.95, buckets);
    });
  }

  const fmt = {
    percent: (v) => (v * 100).toFixed(v >= 0.9995 || v === 0 ? 0 : 1) + " %",
    perSecond: (v) => (v >= 10 ? v.toFixed(0) : v.toFixed(2)) + " /s",
    ms: (v) => (v * 1000 >= 10 ? (v * 1000).toFixed(0) : (v * 1000).toFixed(1)) + " ms",
    count: (v) => String(Math.round(v)),
  };

  function chartDefinitions() {
    const requests = "kms_requests_total";
    const charts = [];
    if (exported(requests)) {
      const cryptoOps = (l) => l.operation === "Encrypt" || l.operation === "Decrypt";
      charts.push({
        id: "crypto-success", title: "Encrypt/decrypt success (excl. caller errors)", format: fmt.percent, unit: 1,
        lines: [ratio(requests, (l) => cryptoOps(l) && l.result === "success",
          (l) => cryptoOps(l) && (l.result === "success" || l.result === "server_error"))],
      });
      charts.push({ id: "request-rate", title: "Requests", format: fmt.perSecond, lines: [rate(requests)] });
      for (const errorClass of ERROR_CLASSES) {
        charts.push({ id: "errors-" + errorClass, title: "Errors: " + errorClass, format: fmt.perSecond,
          lines: [rate(requests, (l) => l.result === errorClass)] });
      }
    } else {
      charts.push({ id: "request-rate", title: "Requests", missing: requests });
    }

    const operations = new Set();
    for (const sample of samples) {
      for (const s of sample.series) {
        if (s.name === "kms_request_duration_seconds_count" && s.value > 0 && s.labels.operation) operations.add(s.labels.operation);
      }
    }
    for (const operation of [...operations].sort().slice(0, 12)) {
      charts.push({ id: "p95-" + operation, title: "p95 latency: " + operation, format: fmt.ms, lines: [latencyP95(operation)] });
    }
    if (operations.size === 0) charts.push({ id: "p95", title: "p95 latency per operation", missing: "kms_request_duration_seconds_bucket" });

    const lookups = "kms_hsm_key_cache_lookups_total";
    charts.push(exported(lookups)
      ? { id: "cache-hit", title: "Key-handle cache hit ratio", format: fmt.percent, unit: 1,
        lines: [ratio(lookups, (l) => l.result === "hit", (l) => l.result === "hit" || l.result === "miss")] }
      : { id: "cache-hit", title: "Key-handle cache hit ratio", missing: lookups });

    const produced = "kms_audit_records_produced_total";
    const stored = "kms_audit_records_stored_total";
    if (exported(produced) || exported(stored)) {
      const last = samples[samples.length - 1];
      const backlog = (total(last, produced) || 0) - (total(last, stored) || 0);
      charts.push({ id: "audit", title: "Audit records produced / stored", format: fmt.perSecond,
        lines: [rate(produced), rate(stored)], suffix: `, not yet stored ${backlog}` });
    } else {
      charts.push({ id: "audit", title: "Audit records produced / stored", missing: produced });
    }

    const pending = "kms_events_pending";
    charts.push(exported(pending)
      ? { id: "events-pending", title: "Events pending", format: fmt.count, lines: [samples.map((s) => total(s, pending))] }
      : { id: "events-pending", title: "Events pending", missing: pending });
    return charts;
  }

  function sparkline(lines, unit) {
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 100 30");
    svg.setAttribute("preserveAspectRatio", "none");
    svg.setAttribute("role", "img");
    const all = lines.flat().filter((v) => v !== null && Number.isFinite(v));
    const top = unit || Math.max(...all, 0) || 1;
    const width = Math.max(MAX_SAMPLES - 1, 1);
    lines.forEach((values, lineIndex) => {
      // Gaps (no traffic in an interval) break the line rather than drawing a false zero.
      let points = [];
      const flush = () => {
        if (points.length === 1) points.push([points[0][0] + 1, points[0][1]]); // a lone value: a short dash
        if (points.length) {
          const polyline = document.createElementNS(SVG, "polyline");
          polyline.setAttribute("points", points.map(([x, y]) => `${x.toFixed(2)},${y.toFixed(2)}`).join(" "));
          polyline.setAttribute("vector-effect", "non-scaling-stroke");
          if (lineIndex > 0) polyline.setAttribute("class", "second");
          svg.append(polyline);
        }
        points = [];
      };
      const offset = width - (values.length - 1);
      values.forEach((v, i) => {
        if (v === null || !Number.isFinite(v)) {
          flush();
          return;
        }
        const x = ((offset + i) / width) * 100;
        const y = 29 - (Math.min(v, top) / top) * 28;
        points.push([x, y]);
      });
      flush();
    });
    return svg;
  }

  function renderCharts() {
    const nodes = chartDefinitions().map((chart) => {
      const box = el("div", { class: "chart", "data-chart": chart.id }, el("div", { class: "chart-title" }, chart.title));
      if (chart.missing) {
        box.append(el("div", { class: "chart-value muted" }, "not exported"));
        box.setAttribute("data-missing", chart.missing);
        return box;
      }
      const latest = chart.lines.map((values) => {
        for (let i = values.length - 1; i >= 0; i--) if (values[i] !== null && Number.isFinite(values[i])) return values[i];
        return null;
      });
      const text = samples.length < 2 ? "collecting\u2026"
        : latest.map((v) => (v === null ? "\u2013" : chart.format(v))).join(" / ") + (chart.suffix || "");
      box.append(el("div", { class: "chart-value" }, text), sparkline(chart.lines, chart.unit));
      return box;
    });
    $("charts").replaceChildren(...nodes);
  }

  async function pollMetrics() {
    let response;
    try {
      response = await fetch("/metrics", { headers: { Authorization: "Bearer " + token }, cache: "no-store", credentials: "omit", redirect: "error" });
    } catch (error) {
      metricsUnavailable("the request failed: " + error.message);
      return;
    }
    if (!response.ok) {
      metricsUnavailable(`GET /metrics answered ${response.status}`);
      return;
    }
    const series = parsePrometheus(await response.text());
    samples.push({ t: performance.now() / 1000, series });
    if (samples.length > MAX_SAMPLES) samples.shift();
    const seconds = samples.length > 1 ? Math.round(samples[samples.length - 1].t - samples[0].t) : 0;
    setMetricsStatus("available", `from /metrics every ${POLL_MS / 1000} s; rates over the last ${seconds} s, computed here`);
    renderCharts();
  }

  function metricsUnavailable(reason) {
    // Never draw numbers that were not measured: drop the buffer and the charts.
    samples.length = 0;
    $("charts").replaceChildren();
    setMetricsStatus("unavailable", `metrics unavailable (${reason})`);
  }

  function setMetricsStatus(state, text) {
    const status = $("metrics-status");
    status.setAttribute("data-state", state);
    status.textContent = text;
  }

  // ---- polling -----------------------------------------------------------------------------------------------------

  async function refresh(withKeys) {
    if (!token || polling) return;
    polling = true;
    try {
      const work = [loadOperations().catch((e) => reportError("Operations", e)), pollMetrics()];
      if (withKeys) work.push(loadKeys().catch((e) => reportError("Keys", e)));
      if (selectedKey) work.push(loadVersions(selectedKey).catch((e) => reportError("Versions", e)));
      await Promise.all(work);
    } finally {
      polling = false;
    }
  }

  function restart() {
    if (timer) clearInterval(timer);
    timer = null;
    samples.length = 0;
    if (!token) {
      setMetricsStatus("waiting", "waiting for a token");
      return;
    }
    tick = 0;
    refresh(true);
    timer = setInterval(() => refresh(++tick % KEYS_EVERY === 0), POLL_MS);
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("token-form").addEventListener("submit", (event) => {
      event.preventDefault();
      setToken($("token").value);
    });
    $("token-forget").addEventListener("click", () => setToken(""));
    $("keys-refresh").addEventListener("click", () => loadKeys().catch((e) => reportError("Keys", e)));
    $("operations-finished").addEventListener("change", () => loadOperations().catch((e) => reportError("Operations", e)));
    $("token-status").textContent = token ? describeToken(token) : "no token";
    restart();
  });
})();
