/* Huiguan door scanner (/scan/): camera, typed or wedge-scanned codes, name search, big answers.
 *
 * Online, every scan is POST /api/v1/checkin/ with a fresh nonce; the server's answer is shown
 * as it comes. When a request fails (no network, a timeout, a 5xx from a proxy) the page
 * switches to offline mode and decides from the downloaded ticket list (offline.js), queueing
 * what it admitted; the queue is uploaded to /api/v1/checkin/batch/ as soon as a request gets
 * through again. A scan whose request was lost is queued with the same nonce, so if the server
 * did record it, the upload replays that answer instead of counting the person twice.
 *
 * Text comes from Django's JavaScript catalog (gettext/ngettext/interpolate, English msgids);
 * API messages come localised because every request sends the page's language.
 */
(function () {
  "use strict";

  const O = window.HGScanOffline;
  const gettext = window.gettext || ((text) => text);
  const ngettext = window.ngettext || ((one, many, n) => (n === 1 ? one : many));
  const interpolate =
    window.interpolate || ((fmt, obj) => fmt.replace(/%\(\w+\)s/g, (m) => String(obj[m.slice(2, -2)])));
  const fmt = (text, values) => interpolate(text, values, true);

  const config = JSON.parse(document.getElementById("scan-config").textContent);
  const API = config.api; // "/api/v1/checkin/"
  const SCAN_TIMEOUT_MS = 4000; // a door cannot wait longer; then the list decides
  const REQUEST_TIMEOUT_MS = 8000;
  const BATCH_TIMEOUT_MS = 20000;
  const BATCH_SIZE = 100;
  const DEBOUNCE_MS = 3000; // the same code seen again within this time is the same scan
  const FRAME_INTERVAL_MS = 150; // ~6-7 decoded frames a second
  const COUNTS_EVERY_MS = 10000;
  const LIST_EVERY_MS = 60000;
  const SYNC_EVERY_MS = 15000;
  const PROBE_EVERY_MS = 5000;

  const shared = new O.Store("hg.scan.");
  const store = new O.Store(`hg.scan.${config.userId}.`);
  const device = shared.get("device", null) || `web-${O.uuid4().slice(0, 8)}`;
  shared.set("device", device);

  const $ = (id) => document.getElementById(id);
  const el = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value == null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children) if (child != null) node.append(child);
    return node;
  };

  const state = {
    online: navigator.onLine !== false,
    session: null,
    sessions: [],
    list: null,
    marks: null,
    queue: new O.Queue(store),
    direction: "in",
    sound: shared.get("sound", true),
    lastSeen: { code: "", at: 0 },
    pending: 0,
    syncing: false,
    syncedIds: new Map(), // nonce -> check-in id of scans uploaded from the queue (for undo)
    current: null, // the answer on screen
    report: store.get("report", []),
  };

  // --- formatting ---------------------------------------------------------------------------------

  function timeZone() {
    return (state.session && state.session.event && state.session.event.timezone) || undefined;
  }

  function formatTime(value, withSeconds) {
    const date = value instanceof Date ? value : new Date(value);
    const options = { hour: "2-digit", minute: "2-digit", hour12: false };
    if (withSeconds) options.second = "2-digit";
    try {
      return new Intl.DateTimeFormat(config.language, { ...options, timeZone: timeZone() }).format(date);
    } catch (error) {
      return new Intl.DateTimeFormat(undefined, options).format(date);
    }
  }

  function money(due) {
    return O.money(due, config.currencySymbols || {});
  }

  function partyText(attendee) {
    if (!attendee || !attendee.party_size || attendee.party_size < 2) return "";
    const size = fmt(ngettext("Party of %(count)s", "Party of %(count)s", attendee.party_size), {
      count: attendee.party_size,
    });
    if (attendee.position == null) return size; // several of the party at once
    const who = attendee.position ? fmt(gettext("guest %(number)s"), { number: attendee.position }) : gettext("registrant");
    return `${size} · ${who}`;
  }

  const REGISTRATION_STATUS = {
    pending_payment: () => gettext("Not paid"),
    pending_email: () => gettext("Email not confirmed"),
    waitlisted: () => gettext("Waiting list"),
    cancelled: () => gettext("Cancelled"),
    expired: () => gettext("Expired"),
  };

  function verdictText(answer) {
    if (answer.status === "ok") {
      if (answer.direction === "out") return gettext("Checked out");
      return answer.color === "amber" ? gettext("Collect payment") : gettext("Checked in");
    }
    const verdicts = {
      already_checked_in: gettext("Already checked in"),
      invalid: gettext("Not a valid ticket"),
      wrong_event: gettext("Another event"),
      cancelled: gettext("Cancelled"),
      unpaid: gettext("Not paid"),
      not_open: gettext("Check-in not open"),
      not_inside: gettext("Not inside"),
      not_in_list: gettext("Not in the list"),
      unchecked: gettext("Saved, not checked"),
      error: gettext("Could not check"),
      undone: gettext("Undone"),
      paid: gettext("Paid"),
      checking: gettext("Checking…"),
    };
    return verdicts[answer.status] || answer.status;
  }

  const ICONS = { green: "✓", amber: "!", red: "✕", idle: "" };

  // --- network ------------------------------------------------------------------------------------

  class NetworkError extends Error {}

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  /** fetch with the page's language, the CSRF token and a timeout. Throws NetworkError when the
   *  request did not get a real answer (no network, timeout, 5xx from a gateway). */
  async function api(method, url, body, { timeout = REQUEST_TIMEOUT_MS, headers = {} } = {}) {
    if (navigator.onLine === false) {
      setOnline(false);
      throw new NetworkError("offline");
    }
    const controller = new AbortController();
    const timer = window.setTimeout(() => controller.abort(), timeout);
    const init = {
      method,
      credentials: "same-origin",
      cache: "no-store",
      signal: controller.signal,
      headers: { Accept: "application/json", "Accept-Language": config.language, ...headers },
    };
    if (method !== "GET") {
      init.headers["X-CSRFToken"] = csrfToken();
      if (body !== undefined) {
        init.headers["Content-Type"] = "application/json";
        init.body = JSON.stringify(body);
      }
    }
    let response;
    try {
      response = await window.fetch(url, init);
    } catch (error) {
      setOnline(false);
      throw new NetworkError(String(error && error.message));
    } finally {
      window.clearTimeout(timer);
    }
    if (response.status >= 500) {
      setOnline(false);
      throw new NetworkError(`HTTP ${response.status}`);
    }
    setOnline(true);
    if (response.status === 401) showLoginBanner();
    return response;
  }

  async function readJson(response) {
    try {
      return await response.json();
    } catch (error) {
      return null;
    }
  }

  function errorMessage(body, fallback) {
    return (body && body.error && body.error.message) || fallback || gettext("Something went wrong. Please try again.");
  }

  function setOnline(online) {
    if (state.online === online) return;
    state.online = online;
    renderNet();
    if (online) {
      sync();
      refreshCounts();
    }
  }

  function renderNet() {
    const net = $("net");
    net.textContent = state.online ? gettext("Online") : gettext("Offline");
    net.className = `net net--${state.online ? "online" : "offline"}`;
    $("offline-banner").hidden = state.online || !state.session;
    document.body.dataset.online = state.online ? "true" : "false";
  }

  function showLoginBanner() {
    const banner = $("login-banner");
    if (banner) banner.hidden = false;
  }

  // --- sessions -----------------------------------------------------------------------------------

  async function loadSessions() {
    try {
      const response = await api("GET", `${config.sessions}?date=today`);
      if (response.ok) {
        const sessions = (await readJson(response)) || [];
        store.set("sessions", { at: Date.now(), items: sessions });
        return sessions;
      }
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
    }
    return (store.get("sessions", null) || { items: [] }).items;
  }

  function sessionLabel(session) {
    return session.title ? `${session.event.title} · ${session.title}` : session.event.title;
  }

  function sessionWhen(session) {
    const zone = session.event.timezone;
    const options = { hour: "2-digit", minute: "2-digit", hour12: false, timeZone: zone };
    let f;
    try {
      f = new Intl.DateTimeFormat(config.language, options);
    } catch (error) {
      f = new Intl.DateTimeFormat(config.language, { hour: "2-digit", minute: "2-digit", hour12: false });
    }
    return `${f.format(new Date(session.starts_at))}–${f.format(new Date(session.ends_at))}`;
  }

  async function showPicker(sessions) {
    stopCamera();
    state.session = null;
    $("door").hidden = true;
    $("tabs").hidden = true;
    $("statusbar").hidden = true;
    $("session-button").hidden = true;
    $("picker").hidden = false;
    $("menu").open = false;
    renderNet();
    const list = $("picker-list");
    const status = $("picker-status");
    if (!sessions) {
      status.textContent = gettext("Loading today's sessions…");
      sessions = await loadSessions();
    }
    state.sessions = sessions;
    list.replaceChildren();
    status.textContent = sessions.length
      ? ""
      : state.online
        ? gettext("No sessions to scan today for your organizations.")
        : gettext("No network, and no saved list of sessions. Try again when the network is back.");
    for (const session of sessions) {
      const badge = session.checkin_open
        ? el("span", { class: "badge badge--ok", text: gettext("Check-in open") })
        : el("span", {
            class: "badge",
            text: fmt(gettext("Check-in opens at %(time)s"), {
              time: new Intl.DateTimeFormat(config.language, {
                hour: "2-digit",
                minute: "2-digit",
                hour12: false,
                timeZone: session.event.timezone,
              }).format(new Date(session.checkin_opens_at)),
            }),
          });
      const details = [sessionWhen(session), session.venue].filter(Boolean).join(" · ");
      list.append(
        el(
          "li",
          {},
          el(
            "button",
            { type: "button", class: "session-card", "data-session": session.id, onclick: () => selectSession(session) },
            el("span", { class: "session-card__title", text: sessionLabel(session) }),
            el("span", { class: "session-card__when", text: details }),
            badge,
          ),
        ),
      );
    }
  }

  function selectSession(session) {
    unlockAudio();
    state.session = session;
    store.set("session", session.id);
    // One session's list at a time: a phone's storage is small and lists can be long.
    for (const key of store.keys()) {
      if (/^(list|marks)\.\d+$/.test(key) && !key.endsWith(`.${session.id}`)) store.remove(key);
    }
    state.list = new O.TicketList(store, session.id);
    state.marks = new O.Marks(store, session.id);
    document.body.dataset.session = String(session.id);
    $("picker").hidden = true;
    $("door").hidden = false;
    $("tabs").hidden = false;
    $("statusbar").hidden = false;
    $("session-button").hidden = false;
    $("session-title").textContent = `${sessionLabel(session)} · ${sessionWhen(session)}`;
    renderNet();
    renderListStatus();
    renderQueue();
    renderReport();
    showIdle();
    renderLocalCounts();
    refreshList().then(() => sync());
    refreshCounts();
    if (selectedPanel() === "panel-camera" && shared.get("camera", false)) startCameraIfAllowed();
  }

  // --- the offline list and the counts --------------------------------------------------------------

  let listLoading = false;

  async function refreshList() {
    const list = state.list;
    if (!list || listLoading) return;
    listLoading = true;
    try {
      const request = list.nextRequest(`${API}sessions/${list.sessionId}/tickets/`);
      const headers = request.etag ? { "If-None-Match": request.etag } : {};
      const response = await api("GET", request.url, undefined, { headers, timeout: 30000 });
      if (list !== state.list) return; // the volunteer switched sessions meanwhile
      if (response.status === 304) list.notModified();
      else if (response.ok) {
        const body = await readJson(response);
        if (body) {
          list.apply(request, body, response.headers.get("ETag"));
          // The server's full list now knows everything this phone uploaded: forget the local
          // marks, except those of scans still waiting in the queue.
          if (request.full) state.marks.prune((nonce) => state.queue.has(nonce));
        }
      }
    } catch (error) {
      if (!(error instanceof NetworkError)) console.error(error);
    } finally {
      listLoading = false;
      renderListStatus();
    }
  }

  function renderListStatus() {
    const list = state.list;
    const node = $("list-status");
    if (!list || !list.ready) {
      node.textContent = gettext("Offline list not downloaded yet.");
      delete document.body.dataset.listTickets;
      return;
    }
    node.textContent = fmt(
      ngettext(
        "Offline list: %(count)s ticket, checked at %(time)s.",
        "Offline list: %(count)s tickets, checked at %(time)s.",
        list.size,
      ),
      { count: list.size, time: formatTime(list.checkedAt) },
    );
    document.body.dataset.listTickets = String(list.size);
  }

  let countsTimer = 0;

  function refreshCountsSoon() {
    window.clearTimeout(countsTimer);
    countsTimer = window.setTimeout(refreshCounts, 800);
  }

  function renderCounts(counts, stale) {
    $("count-in").textContent = counts.checked_in;
    $("count-expected").textContent = counts.expected;
    $("count-inside").textContent = counts.inside_now;
    $("counts").classList.toggle("counts--stale", stale);
    $("counts").title = stale ? gettext("Counted on this phone from the downloaded list") : "";
  }

  /** Offline, the status bar counts from the downloaded list plus this phone's own scans. */
  function renderLocalCounts() {
    if (state.list && state.list.ready) renderCounts(state.list.counts(state.marks), true);
  }

  async function refreshCounts() {
    if (!state.session) return;
    try {
      const response = await api("GET", `${API}sessions/${state.session.id}/counts/`);
      if (!response.ok) return;
      const counts = await readJson(response);
      if (!counts || !state.session || counts.session !== state.session.id) return;
      renderCounts(counts, false);
    } catch (error) {
      if (!(error instanceof NetworkError)) console.error(error);
      renderLocalCounts();
    }
  }

  // --- scanning -----------------------------------------------------------------------------------

  let work = Promise.resolve();

  /** Take a code from the camera, the code field, a keyboard-wedge scanner or search. */
  function submitCode(raw, source) {
    const code = O.cleanCode(raw);
    if (!code || !state.session) return;
    const now = Date.now();
    if (source !== "manual" && state.lastSeen.code === code && now - state.lastSeen.at < DEBOUNCE_MS) {
      // A ticket held in front of the camera is one scan: it must leave the view for a few
      // seconds before it counts again (else the volunteer sees a red "already" for it).
      if (source === "camera") state.lastSeen.at = now;
      return;
    }
    state.lastSeen = { code, at: now };
    state.pending += 1;
    unlockAudio();
    work = work
      .then(() => scanCode(code))
      .catch((error) => console.error(error))
      .finally(() => {
        state.pending -= 1;
      });
  }

  async function scanCode(code) {
    const scan = {
      code,
      session: state.session.id,
      nonce: O.uuid4(),
      scanned_at: new Date().toISOString(),
      direction: state.direction,
    };
    const checking = window.setTimeout(() => showAnswer({ status: "checking", color: "idle", message: "" }), 300);
    try {
      if (code.length > O.MAX_CODE_LENGTH) {
        showAnswer({ status: "invalid", color: "red", message: gettext("Not a valid ticket."), direction: scan.direction });
        return;
      }
      if (state.online) {
        try {
          const response = await api("POST", API, { ...scan, device }, { timeout: SCAN_TIMEOUT_MS });
          const body = await readJson(response);
          window.clearTimeout(checking);
          if (response.status === 401) {
            // Logged out (session expired): the door keeps going on the list; the queue is
            // uploaded after the volunteer logs in again.
            await decideOffline(scan);
          } else if (response.ok && body) {
            if (state.list) state.list.learn(body);
            showAnswer({ ...body, direction: body.direction || scan.direction });
            refreshCountsSoon();
          } else if (response.status === 400 && body && body.error && body.error.fields && body.error.fields.code) {
            showAnswer({ status: "invalid", color: "red", message: gettext("Not a valid ticket."), direction: scan.direction });
          } else {
            showAnswer({ status: "error", color: "red", message: errorMessage(body), direction: scan.direction });
          }
          return;
        } catch (error) {
          if (!(error instanceof NetworkError)) throw error;
        }
      }
      await decideOffline(scan);
    } finally {
      window.clearTimeout(checking);
    }
  }

  async function decideOffline(scan) {
    const list = state.list || new O.TicketList(store, scan.session);
    const verdict = await O.decide(scan.code, {
      list,
      marks: state.marks,
      direction: scan.direction,
      now: Date.now(),
      formatTime: (ms) => formatTime(ms),
      symbols: config.currencySymbols || {},
    });
    verdict.direction = scan.direction;
    verdict.nonce = scan.nonce;
    if (verdict.queue) {
      state.queue.add({
        code: scan.code,
        session: scan.session,
        nonce: scan.nonce,
        scanned_at: scan.scanned_at,
        direction: scan.direction,
        name: verdict.attendee ? verdict.attendee.name : null,
      });
      if (verdict.hash) {
        state.marks.set(verdict.hash, { at: Date.now(), nonce: scan.nonce, direction: scan.direction });
      }
      renderQueue();
      renderLocalCounts();
    }
    showAnswer(verdict);
  }

  // --- the answer card ----------------------------------------------------------------------------

  function showIdle() {
    state.current = null;
    const card = $("result");
    card.className = "result result--idle";
    card.dataset.status = "idle";
    $("result-icon").textContent = "";
    $("result-verdict").textContent = gettext("Ready to scan");
    $("result-name").textContent = "";
    $("result-party").textContent = "";
    $("result-message").textContent = gettext("Point the camera at a ticket, type its code, or find a name.");
    $("result-answers").hidden = true;
    $("result-party-list").hidden = true;
    $("result-actions").replaceChildren();
    $("result-meta").textContent = "";
  }

  function showAnswer(answer, { quiet = false } = {}) {
    state.current = answer;
    const color = answer.color || "idle";
    const card = $("result");
    card.className = `result result--${color}`;
    card.dataset.status = answer.status;
    card.dataset.color = color;
    card.dataset.seq = String(Number(card.dataset.seq || 0) + 1);
    void card.offsetWidth; // restart the arrival animation even when the colour did not change
    card.classList.add("result--new");
    $("result-icon").textContent = ICONS[color] || "";
    $("result-verdict").textContent = verdictText(answer);
    $("result-name").textContent = answer.attendee ? answer.attendee.name : "";
    $("result-party").textContent = partyText(answer.attendee);
    const ticketType = answer.attendee && answer.attendee.ticket_type;
    $("result-ticket-type").textContent = ticketType ? fmt(gettext("Ticket: %(type)s"), { type: ticketType }) : "";
    $("result-ticket-type").hidden = !ticketType;
    const doorNote = answer.attendee && answer.attendee.door_note;
    $("result-door-note").textContent = doorNote || "";
    $("result-door-note").hidden = !doorNote;
    $("result-message").textContent = answer.message || "";

    const answersNode = $("result-answers");
    answersNode.replaceChildren();
    for (const shown of answer.answers || []) {
      answersNode.append(el("dt", { text: shown.label }), el("dd", { text: shown.value }));
    }
    answersNode.hidden = !(answer.answers && answer.answers.length);

    renderPartyList(answer);
    renderActions(answer);

    const meta = [];
    if (answer.status !== "checking") meta.push(formatTime(new Date(), true));
    if (answer.offline && answer.queue) meta.push(gettext("decided offline, waiting to sync"));
    else if (answer.offline) meta.push(gettext("decided offline"));
    $("result-meta").textContent = meta.join(" · ");
    if (!quiet && answer.status !== "checking") signal(color);
  }

  function renderPartyList(answer) {
    const node = $("result-party-list");
    node.replaceChildren();
    const party = answer.party || [];
    if (party.length < 2 || !answer.registration_id || answer.direction === "out") {
      node.hidden = true;
      return;
    }
    node.hidden = false;
    const fieldset = el("fieldset", { class: "party" }, el("legend", { text: gettext("Whole party") }));
    let open = 0;
    for (const member of party) {
      const who = member.position ? fmt(gettext("guest %(number)s"), { number: member.position }) : gettext("registrant");
      if (member.checked_in) {
        fieldset.append(
          el(
            "p",
            { class: "party__member party__member--done" },
            el("span", { class: "party__tick", "aria-hidden": "true", text: "✓" }),
            el("span", { class: "party__name", text: member.name }),
            el("span", { class: "party__who", text: `${who} · ${gettext("checked in")}` }),
          ),
        );
      } else {
        open += 1;
        fieldset.append(
          el(
            "label",
            { class: "party__member" },
            el("input", { type: "checkbox", value: member.ticket_id, checked: true, name: "party" }),
            el("span", { class: "party__name", text: member.name }),
            el("span", { class: "party__who", text: who }),
          ),
        );
      }
    }
    if (open) {
      const button = el("button", {
        type: "button",
        class: "btn btn--primary btn--wide",
        id: "party-checkin",
        text: gettext("Check in selected"),
        disabled: !state.online,
        onclick: () => {
          const ids = Array.from(fieldset.querySelectorAll("input[name=party]:checked"), (box) => Number(box.value));
          if (ids.length) checkinRegistration(answer.registration_id, ids);
        },
      });
      fieldset.append(button);
      if (!state.online) {
        fieldset.append(
          el("p", { class: "hint", text: gettext("Offline: scan each person's ticket, or check them in when the network is back.") }),
        );
      }
    }
    node.append(fieldset);
  }

  function renderActions(answer) {
    const node = $("result-actions");
    node.replaceChildren();
    if (answer.status === "ok" && answer.payment_due && answer.registration_id && answer.direction !== "out") {
      node.append(
        el("button", {
          type: "button",
          class: "btn btn--pay",
          id: "paid",
          text: fmt(gettext("Paid %(amount)s"), { amount: money(answer.payment_due) }),
          onclick: () => recordPayment(answer),
        }),
      );
    }
    if (undoable(answer)) {
      node.append(
        el("button", { type: "button", class: "btn btn--undo", id: "undo", text: gettext("Undo"), onclick: () => undo(answer) }),
      );
    }
  }

  function undoable(answer) {
    if (answer.offline) return answer.queue && !!answer.nonce;
    if (answer.status !== "ok") return false;
    return (answer.checkin_ids && answer.checkin_ids.length > 0) || !!answer.checkin_id;
  }

  // --- actions: cash, undo, a party, search ------------------------------------------------------------

  async function recordPayment(answer) {
    const registrationId = answer.registration_id;
    const paid = () => {
      if (state.list) state.list.setPaid(registrationId);
      const message = fmt(gettext("Paid: %(amount)s received."), { amount: money(answer.payment_due) });
      showAnswer({ ...answer, color: "green", payment_due: null, message, status: "ok", paidNow: true }, { quiet: true });
      $("result-verdict").textContent = verdictText({ status: "paid" });
      signal("green");
    };
    try {
      const response = await api("POST", `${API}registrations/${registrationId}/door-payment/`);
      const body = await readJson(response);
      if (response.ok) paid();
      else showAnswer({ ...answer, status: "error", color: "red", message: errorMessage(body) });
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
      state.queue.addPayment(registrationId); // the endpoint is idempotent: safe to send later
      renderQueue();
      paid();
      $("result-meta").textContent = gettext("payment saved offline, waiting to sync");
    }
  }

  async function undo(answer) {
    const undone = () => {
      const message = answer.direction === "out" ? gettext("The exit was undone.") : gettext("Not checked in any more.");
      showAnswer({ ...answer, status: "undone", color: "idle", message, party: null, payment_due: null }, { quiet: true });
      $("result-actions").replaceChildren();
    };
    if (answer.offline && state.queue.has(answer.nonce)) {
      state.queue.remove([answer.nonce]);
      state.marks.forgetNonce(answer.nonce);
      renderQueue();
      undone();
      return;
    }
    let ids = answer.checkin_ids || (answer.checkin_id ? [answer.checkin_id] : []);
    if (answer.offline) ids = state.syncedIds.has(answer.nonce) ? [state.syncedIds.get(answer.nonce)] : [];
    if (!ids.length) {
      showAnswer({ ...answer, status: "error", color: "red", message: gettext("This scan cannot be undone here any more.") }, { quiet: true });
      return;
    }
    try {
      for (const id of [...ids].reverse()) {
        const response = await api("POST", `${API}${id}/revert/`);
        if (!response.ok) {
          const body = await readJson(response);
          showAnswer({ ...answer, status: "error", color: "red", message: errorMessage(body) }, { quiet: true });
          return;
        }
      }
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
      showAnswer(
        { ...answer, status: "error", color: "red", message: gettext("No network: cannot undo now. Try again in a moment.") },
        { quiet: true },
      );
      return;
    }
    if (answer.nonce) state.marks.forgetNonce(answer.nonce);
    if (answer.direction !== "out") {
      for (const ticketId of answer.ticket_ids || [answer.ticket_id]) {
        if (state.list && ticketId) state.list.setCheckedIn(ticketId, false);
      }
    }
    undone();
    refreshCountsSoon();
  }

  /** Check in some tickets of a registration (a party's "Check in selected", or a search hit). */
  async function checkinRegistration(registrationId, ticketIds) {
    unlockAudio();
    const body = { session: state.session.id, nonce: O.uuid4(), direction: "in", device };
    if (ticketIds && ticketIds.length) body.tickets = ticketIds;
    let response;
    try {
      response = await api("POST", `${API}registrations/${registrationId}/`, body);
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
      showAnswer({ status: "error", color: "red", message: gettext("No network: check-in by name needs the server. Scan the ticket instead.") });
      return null;
    }
    const data = await readJson(response);
    if (!response.ok || !data) {
      showAnswer({ status: "error", color: "red", message: errorMessage(data) });
      return null;
    }
    for (const result of data.results) if (state.list) state.list.learn(result);
    if (state.list) state.list.learn({ session: data.session, party: data.party });
    showAnswer(partyAnswer(data));
    refreshCountsSoon();
    return data;
  }

  /** One answer card for several tickets checked in together. */
  function partyAnswer(data) {
    const results = data.results || [];
    const admitted = results.filter((r) => r.status === "ok");
    const first = admitted[0] || results[0] || { status: "error", color: "red", message: "" };
    const color = admitted.length ? (admitted.some((r) => r.color === "amber") ? "amber" : "green") : first.color;
    const messages = new Set();
    if (admitted.length > 1) {
      messages.add(fmt(gettext("Checked in: %(names)s"), { names: admitted.map((r) => r.attendee.name).join(", ") }));
    } else if (admitted.length === 1) messages.add(admitted[0].message);
    for (const r of results) if (r.status !== "ok") messages.add(r.attendee ? `${r.attendee.name}: ${r.message}` : r.message);
    let attendee = first.attendee;
    if (admitted.length > 1 && attendee) {
      const registrant = (data.party || []).find((member) => member.position === 0);
      attendee = { ...attendee, name: registrant ? registrant.name : attendee.name, position: null };
    }
    return {
      ...first,
      attendee,
      status: admitted.length ? "ok" : first.status,
      color,
      message: Array.from(messages).join(" · "),
      party: data.party,
      registration_id: data.registration_id,
      checkin_ids: admitted.map((r) => r.checkin_id).filter(Boolean),
      ticket_ids: admitted.map((r) => r.ticket_id),
    };
  }

  async function search(query) {
    const status = $("search-status");
    const results = $("search-results");
    query = query.trim();
    if (query.length < 2) {
      status.textContent = gettext("Type at least two letters.");
      return;
    }
    status.textContent = gettext("Searching…");
    let data = null;
    try {
      const url = `${API}search/?session=${state.session.id}&q=${encodeURIComponent(query)}`;
      const response = await api("GET", url);
      data = await readJson(response);
      if (!response.ok) {
        status.textContent = errorMessage(data);
        return;
      }
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
    }
    results.replaceChildren();
    if (data) {
      status.textContent = data.results.length
        ? fmt(ngettext("%(count)s registration found.", "%(count)s registrations found.", data.results.length), {
            count: data.results.length,
          })
        : gettext("Nobody found with that name.");
      for (const registration of data.results) results.append(searchResult(registration));
      return;
    }
    // Offline: names from the downloaded list, to see who is expected; checking in needs a scan.
    const groups = state.list ? state.list.search(query) : [];
    status.textContent = gettext("Offline: names from the downloaded list. Scan their ticket to check them in.");
    for (const rows of groups) {
      results.append(
        searchResult({
          id: rows[0].registration_id,
          name: rows[0].name,
          status: rows[0].status,
          party_size: rows[0].party_size,
          payment_due: rows[0].payment_due,
          answers: [],
          tickets: rows.map((row) => ({ ticket_id: row.ticket_id, name: row.name, position: row.position, checked_in: row.checked_in })),
          offline: true,
        }),
      );
    }
  }

  function searchResult(registration) {
    const open = registration.tickets.filter((t) => !t.checked_in);
    const badges = el("span", { class: "search-result__badges" });
    if (registration.party_size > 1) {
      const inCount = registration.tickets.length - open.length;
      badges.append(
        el("span", {
          class: "badge",
          text: fmt(gettext("%(in)s of %(count)s checked in"), { in: inCount, count: registration.tickets.length }),
        }),
      );
    }
    if (REGISTRATION_STATUS[registration.status]) {
      badges.append(el("span", { class: "badge badge--bad", text: REGISTRATION_STATUS[registration.status]() }));
    }
    if (registration.payment_due) {
      badges.append(el("span", { class: "badge badge--warn", text: fmt(gettext("Collect %(amount)s"), { amount: money(registration.payment_due) }) }));
    }
    for (const shown of registration.answers || []) {
      badges.append(el("span", { class: "badge", text: `${shown.label}: ${shown.value}` }));
    }
    const guests = registration.tickets.filter((t) => t.position > 0).map((t) => t.name);
    let action;
    if (!open.length) {
      action = el("span", { class: "search-result__done", text: `✓ ${gettext("Checked in")}` });
    } else {
      action = el("button", {
        type: "button",
        class: "btn btn--primary",
        text: gettext("Check in"),
        disabled: !!registration.offline,
        onclick: async (event) => {
          event.currentTarget.disabled = true;
          const data = await checkinRegistration(registration.id, open.map((t) => t.ticket_id));
          if (data) {
            registration.tickets = data.party;
            item.replaceWith(searchResult(registration));
            window.scrollTo({ top: 0, behavior: "smooth" });
          } else event.currentTarget.disabled = false;
        },
      });
    }
    const item = el(
      "li",
      { class: "search-result", "data-registration": registration.id },
      el(
        "div",
        { class: "search-result__who" },
        el("strong", { class: "search-result__name", text: registration.name }),
        guests.length ? el("span", { class: "search-result__guests", text: guests.join(", ") }) : null,
        badges,
      ),
      action,
    );
    return item;
  }

  // --- the upload queue ---------------------------------------------------------------------------------

  function renderQueue() {
    const count = state.queue.size;
    const badge = $("queue");
    badge.hidden = count === 0;
    badge.dataset.count = String(count);
    badge.textContent = fmt(ngettext("%(count)s scan waiting to sync", "%(count)s scans waiting to sync", count), { count });
    document.body.dataset.waiting = String(count);
  }

  function pushReport(entries) {
    if (!entries.length) return;
    state.report = [...entries, ...state.report].slice(0, 30);
    store.set("report", state.report);
    renderReport();
    signal("amber");
  }

  function renderReport() {
    const box = $("sync-report");
    const list = $("sync-report-list");
    list.replaceChildren();
    for (const entry of state.report) {
      list.append(
        el(
          "li",
          { class: `sync-report__item sync-report__item--${entry.status}` },
          el("strong", { text: entry.name || gettext("Unknown ticket") }),
          el("span", { text: ` ${entry.message}` }),
          el("span", { class: "sync-report__when", text: ` (${fmt(gettext("scanned %(time)s"), { time: formatTime(entry.scanned_at) })})` }),
        ),
      );
    }
    box.hidden = state.report.length === 0;
  }

  /** Upload queued scans (and cash payments). Safe to call any time: one upload at a time, and
   *  a scan leaves the queue only when the server answered for its nonce. */
  async function sync() {
    if (state.syncing || state.queue.size === 0 || navigator.onLine === false) return;
    state.syncing = true;
    const problems = [];
    try {
      while (state.queue.items.length) {
        const chunk = state.queue.items.slice(0, BATCH_SIZE);
        const scans = chunk.map(({ code, session, nonce, scanned_at, direction }) => ({ code, session, nonce, scanned_at, direction }));
        const response = await api("POST", `${API}batch/`, { scans, device }, { timeout: BATCH_TIMEOUT_MS });
        const body = await readJson(response);
        if (!response.ok || !body || !Array.isArray(body.results)) {
          if (response.status === 400) {
            // The batch as a whole was refused (a scan the server cannot even read): report
            // them rather than retrying the same refused upload forever.
            state.queue.remove(chunk.map((item) => item.nonce));
            for (const item of chunk) {
              problems.push({ name: item.name, status: "error", message: errorMessage(body), scanned_at: item.scanned_at });
            }
            continue;
          }
          break; // not logged in any more, or forbidden: keep the scans for later
        }
        const byNonce = new Map(chunk.map((item) => [item.nonce, item]));
        const answered = [];
        for (const result of body.results) {
          const item = byNonce.get(result.nonce);
          if (!item) continue;
          answered.push(result.nonce);
          if (result.checkin_id) state.syncedIds.set(result.nonce, result.checkin_id);
          if (state.list) state.list.learn(result);
          if (result.status !== "ok") {
            problems.push({
              name: (result.attendee && result.attendee.name) || item.name,
              status: result.status,
              message: result.message,
              scanned_at: item.scanned_at,
            });
          }
        }
        if (!answered.length) break;
        state.queue.remove(answered);
        renderQueue();
      }
      for (const registrationId of [...state.queue.payments]) {
        const response = await api("POST", `${API}registrations/${registrationId}/door-payment/`);
        if (response.ok || response.status === 404 || response.status === 409) {
          state.queue.removePayment(registrationId);
          if (!response.ok) {
            const body = await readJson(response);
            problems.push({ name: null, status: "error", message: errorMessage(body), scanned_at: new Date().toISOString() });
          }
        } else break;
      }
    } catch (error) {
      if (!(error instanceof NetworkError)) console.error(error);
    } finally {
      state.syncing = false;
      renderQueue();
      pushReport(problems);
      refreshCountsSoon();
    }
  }

  // --- camera ---------------------------------------------------------------------------------------

  const camera = { stream: null, detector: null, timer: 0, running: false, canvas: null, ctx: null };

  function cameraStatus(text) {
    $("camera-status").textContent = text || "";
  }

  function cameraError(error) {
    const name = error && error.name;
    if (name === "NotAllowedError" || name === "SecurityError") {
      return gettext("The camera is blocked. Allow it in the browser's site settings, or type the code.");
    }
    if (name === "NotFoundError" || name === "OverconstrainedError") return gettext("No camera found. Type the code instead.");
    if (name === "NotReadableError") return gettext("The camera is busy in another app. Close it and try again.");
    return gettext("The camera could not start. Type the code instead.");
  }

  async function barcodeDetector() {
    if (!("BarcodeDetector" in window)) return null;
    try {
      const formats = await window.BarcodeDetector.getSupportedFormats();
      return formats.includes("qr_code") ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
    } catch (error) {
      return null;
    }
  }

  function loadJsQR() {
    return new Promise((resolve) => {
      if (window.jsQR) return resolve(true);
      const script = el("script", { src: config.jsqr });
      script.onload = () => resolve(typeof window.jsQR === "function");
      script.onerror = () => resolve(false);
      document.head.append(script);
    });
  }

  async function startCamera() {
    unlockAudio();
    if (camera.running) return;
    if (!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia)) {
      cameraStatus(gettext("This browser cannot use the camera here (it needs HTTPS). Type the code instead."));
      return;
    }
    cameraStatus(gettext("Starting the camera…"));
    $("camera-start").disabled = true;
    try {
      camera.stream = await navigator.mediaDevices.getUserMedia({
        audio: false,
        video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } },
      });
    } catch (error) {
      cameraStatus(cameraError(error));
      $("camera-start").disabled = false;
      return;
    }
    const video = $("video");
    video.srcObject = camera.stream;
    try {
      await video.play();
    } catch (error) {
      /* autoplay of a muted inline video is allowed; a failure here shows as a still frame */
    }
    camera.detector = await barcodeDetector();
    if (!camera.detector && !(await loadJsQR())) {
      stopCamera();
      cameraStatus(gettext("The QR decoder could not be loaded. Type the code instead."));
      return;
    }
    camera.running = true;
    shared.set("camera", true);
    $("camera").classList.add("camera--on");
    $("camera-start").hidden = true;
    $("camera-start").disabled = false;
    $("camera-stop").hidden = false;
    document.body.dataset.camera = camera.detector ? "barcodedetector" : "jsqr";
    cameraStatus(gettext("Hold the ticket's QR code inside the frame."));
    camera.timer = window.setTimeout(tick, FRAME_INTERVAL_MS);
  }

  async function startCameraIfAllowed() {
    try {
      const permission = await navigator.permissions.query({ name: "camera" });
      if (permission.state === "granted") startCamera();
    } catch (error) {
      /* no Permissions API for the camera here: wait for a tap */
    }
  }

  function stopCamera(remember) {
    window.clearTimeout(camera.timer);
    camera.running = false;
    if (camera.stream) for (const track of camera.stream.getTracks()) track.stop();
    camera.stream = null;
    $("video").srcObject = null;
    $("camera").classList.remove("camera--on");
    $("camera-start").hidden = false;
    $("camera-stop").hidden = true;
    if (remember) shared.set("camera", false);
    cameraStatus("");
  }

  async function decodeFrame(video) {
    if (camera.detector) {
      const codes = await camera.detector.detect(video);
      return codes.length ? codes[0].rawValue : null;
    }
    const width = video.videoWidth;
    const height = video.videoHeight;
    if (!width || !height) return null;
    // jsQR's cost grows with pixels; 640 px on the long side still resolves a ticket's modules.
    const scale = Math.min(1, 640 / Math.max(width, height));
    const w = Math.round(width * scale);
    const h = Math.round(height * scale);
    if (!camera.canvas) {
      camera.canvas = document.createElement("canvas");
      camera.ctx = camera.canvas.getContext("2d", { willReadFrequently: true });
    }
    if (camera.canvas.width !== w || camera.canvas.height !== h) {
      camera.canvas.width = w;
      camera.canvas.height = h;
    }
    camera.ctx.drawImage(video, 0, 0, w, h);
    const image = camera.ctx.getImageData(0, 0, w, h);
    const found = window.jsQR(image.data, w, h, { inversionAttempts: "attemptBoth" });
    return found ? found.data : null;
  }

  async function tick() {
    if (!camera.running) return;
    const video = $("video");
    if (state.pending === 0 && video.readyState >= 2) {
      try {
        const code = await decodeFrame(video);
        if (code && camera.running) {
          $("camera").classList.add("camera--hit");
          window.setTimeout(() => $("camera").classList.remove("camera--hit"), 400);
          submitCode(code, "camera");
        }
      } catch (error) {
        console.warn("huiguan scanner: frame not decoded", error);
      }
    }
    if (camera.running) camera.timer = window.setTimeout(tick, FRAME_INTERVAL_MS);
  }

  // --- sound and vibration --------------------------------------------------------------------------------

  let audio = null;

  /** Browsers start audio only after a tap: every tap on the page calls this. */
  function unlockAudio() {
    try {
      if (!audio) {
        const Context = window.AudioContext || window.webkitAudioContext;
        if (Context) audio = new Context();
      }
      if (audio && audio.state === "suspended") audio.resume();
    } catch (error) {
      audio = null;
    }
  }

  function tone(frequency, at, duration) {
    const start = audio.currentTime + at;
    const oscillator = audio.createOscillator();
    const gain = audio.createGain();
    oscillator.type = "sine";
    oscillator.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(0.35, start + 0.01);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + duration);
    oscillator.connect(gain).connect(audio.destination);
    oscillator.start(start);
    oscillator.stop(start + duration + 0.05);
  }

  /** One high beep: in. Two low beeps: stop. Amber: two middle beeps, rising. */
  function signal(color) {
    if (!state.sound || !["green", "amber", "red"].includes(color)) return;
    try {
      if (audio && audio.state === "running") {
        if (color === "green") tone(1320, 0, 0.16);
        else if (color === "amber") {
          tone(660, 0, 0.12);
          tone(880, 0.16, 0.14);
        } else {
          tone(220, 0, 0.22);
          tone(220, 0.3, 0.22);
        }
      }
    } catch (error) {
      /* a sound is a nicety */
    }
    if (navigator.vibrate) {
      navigator.vibrate(color === "green" ? 60 : color === "amber" ? [60, 80, 60] : [220, 100, 220]);
    }
  }

  // --- wiring ------------------------------------------------------------------------------------------

  function selectedPanel() {
    const tab = document.querySelector('#tabs [aria-selected="true"]');
    return tab ? tab.dataset.panel : "panel-camera";
  }

  function selectTab(tab) {
    for (const other of document.querySelectorAll("#tabs [role=tab]")) {
      const selected = other === tab;
      other.setAttribute("aria-selected", selected ? "true" : "false");
      other.tabIndex = selected ? 0 : -1;
      $(other.dataset.panel).hidden = !selected;
    }
    if (tab.dataset.panel === "panel-camera") {
      if (shared.get("camera", false)) startCamera();
    } else {
      stopCamera(false);
      const input = $(tab.dataset.panel).querySelector("input");
      if (input) input.focus();
    }
  }

  let wedge = { text: "", last: 0 };

  /** A keyboard-wedge scanner "types" the code and Enter within milliseconds, wherever the focus is. */
  function onKeydown(event) {
    const target = event.target;
    if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT" || target.isContentEditable)) {
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || !state.session) return;
    const now = window.performance.now();
    if (now - wedge.last > 100) wedge.text = "";
    wedge.last = now;
    if (event.key === "Enter" || event.key === "Tab") {
      if (wedge.text.length >= 8) {
        event.preventDefault();
        const code = wedge.text;
        wedge.text = "";
        submitCode(code, "wedge");
      }
      return;
    }
    if (event.key.length === 1) wedge.text += event.key;
  }

  function bind() {
    document.addEventListener("pointerdown", unlockAudio, { passive: true });
    document.addEventListener("keydown", onKeydown);
    $("camera-start").addEventListener("click", startCamera);
    $("camera-stop").addEventListener("click", () => stopCamera(true));
    $("code-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const input = $("code-input");
      submitCode(input.value, "manual");
      input.value = "";
    });
    $("search-form").addEventListener("submit", (event) => {
      event.preventDefault();
      search($("search-input").value);
    });
    for (const tab of document.querySelectorAll("#tabs [role=tab]")) {
      tab.addEventListener("click", () => selectTab(tab));
    }
    $("tabs").addEventListener("keydown", (event) => {
      if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
      const tabs = Array.from(document.querySelectorAll("#tabs [role=tab]"));
      const index = tabs.indexOf(document.activeElement);
      if (index < 0) return;
      const next = tabs[(index + (event.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
      next.focus();
      selectTab(next);
    });
    const openPicker = () => showPicker(null);
    $("session-button").addEventListener("click", openPicker);
    $("change-session").addEventListener("click", openPicker);
    $("picker-reload").addEventListener("click", () => showPicker(null));
    for (const radio of document.querySelectorAll("input[name=direction]")) {
      radio.addEventListener("change", () => {
        state.direction = radio.value === "out" && radio.checked ? "out" : "in";
        $("out-banner").hidden = state.direction !== "out";
        document.body.dataset.direction = state.direction;
      });
    }
    const sound = $("sound");
    sound.checked = state.sound;
    sound.addEventListener("change", () => {
      state.sound = sound.checked;
      shared.set("sound", state.sound);
      if (state.sound) {
        unlockAudio();
        signal("green");
      }
    });
    $("sync-report-close").addEventListener("click", () => {
      state.report = [];
      store.set("report", []);
      renderReport();
    });
    $("queue").addEventListener("click", () => sync());
    $("logout").addEventListener("submit", (event) => {
      const count = state.queue.size;
      const worker = navigator.serviceWorker && navigator.serviceWorker.controller;
      if (!count) {
        if (worker) worker.postMessage("logged-out");
        return;
      }
      const question = fmt(
        ngettext(
          "%(count)s scan has not been sent yet. It stays on this phone and is sent after you log in again. Log out anyway?",
          "%(count)s scans have not been sent yet. They stay on this phone and are sent after you log in again. Log out anyway?",
          count,
        ),
        { count },
      );
      if (!window.confirm(question)) event.preventDefault();
      else if (worker) worker.postMessage("logged-out");
    });
    window.addEventListener("online", () => {
      refreshCounts();
      sync();
    });
    window.addEventListener("offline", () => setOnline(false));
    document.addEventListener("visibilitychange", () => {
      if (document.hidden) {
        if (camera.running) {
          stopCamera(false);
          camera.resume = true;
        }
      } else {
        if (camera.resume && state.session && selectedPanel() === "panel-camera") startCamera();
        camera.resume = false;
        refreshCounts();
        sync();
      }
    });
  }

  function startTimers() {
    window.setInterval(() => state.session && refreshCounts(), COUNTS_EVERY_MS);
    window.setInterval(() => state.session && refreshList(), LIST_EVERY_MS);
    window.setInterval(() => sync(), SYNC_EVERY_MS);
    // While offline, knock more often: the first request that gets through flips back online.
    window.setInterval(() => {
      if (!state.online && navigator.onLine !== false && state.session) refreshCounts();
    }, PROBE_EVERY_MS);
  }

  async function init() {
    bind();
    renderNet();
    renderQueue();
    const sessions = await loadSessions();
    state.sessions = sessions;
    const saved = store.get("session", null);
    const chosen = sessions.find((session) => session.id === saved);
    if (chosen) selectSession(chosen);
    else showPicker(sessions);
    startTimers();
    sync();
    registerServiceWorker();
    document.body.dataset.ready = "true";
  }

  /** The service worker keeps this page and its files, so a reload without network still works. */
  function registerServiceWorker() {
    if (!("serviceWorker" in navigator) || !config.serviceWorker) return;
    navigator.serviceWorker
      .register(config.serviceWorker)
      .then(() => navigator.serviceWorker.ready)
      .then((registration) => {
        if (registration.active) registration.active.postMessage("page-loaded");
        document.body.dataset.offlineReady = "true";
      })
      .catch((error) => console.warn("huiguan scanner: no service worker", error));
  }

  // Exposed for debugging at the door (and the browser tests): read-only views of the state.
  window.HGScanner = {
    state,
    sync,
    refreshList,
    submitCode,
  };

  init();
})();
