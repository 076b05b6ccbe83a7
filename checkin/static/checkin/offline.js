/* Huiguan door scanner: what the page knows and decides without the network.
 *
 * - Storage: small JSON records in localStorage under "hg.scan.<user id>.*" (one volunteer's
 *   queue never uploads under another volunteer's login on a shared phone).
 * - TicketList: the session's offline list (GET /api/v1/checkin/sessions/<id>/tickets/): rows
 *   keyed by sha256(code), the Ed25519 public key, the ETag and the ?since= cursor.
 * - decide(): the answer for a code when the server cannot be asked. It mirrors the server's
 *   rules (checkin/services.py) on the downloaded data, and says whether the scan is queued.
 * - Queue: scans decided offline, uploaded later to POST /api/v1/checkin/batch/ by nonce.
 *
 * No build step, no modules: one global, window.HGScanOffline, used by scanner.js.
 */
(function () {
  "use strict";

  const gettext = window.gettext || ((text) => text);
  const interpolate =
    window.interpolate ||
    ((fmt, obj, named) =>
      named ? fmt.replace(/%\(\w+\)s/g, (m) => String(obj[m.slice(2, -2)])) : fmt.replace(/%s/g, () => String(obj.shift())));

  // The server's own check (registrations/tickets.py): canonical id, 86 base64url characters.
  const CODE_RE = /^HG1\.(0|[1-9][0-9]{0,18})\.([A-Za-z0-9_-]{86})$/;
  // The ticket card's short code (registrations/shortcodes.py): 8 letters and digits, no look-alikes.
  const SHORT_CODE_RE = /^[23456789ABCDEFGHJKMNPQRSTWXYZ]{8}$/;
  const MAX_CODE_LENGTH = 1000; // the batch endpoint's limit; longer junk is not worth queueing

  /** A scanner in keyboard mode appends a newline or tab; that is not part of the code. */
  function cleanCode(raw) {
    return String(raw == null ? "" : raw).replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, "");
  }

  // --- storage ----------------------------------------------------------------------------------

  class Store {
    constructor(prefix) {
      this.prefix = prefix;
    }
    get(key, fallback) {
      try {
        const text = window.localStorage.getItem(this.prefix + key);
        return text === null ? fallback : JSON.parse(text);
      } catch (error) {
        return fallback;
      }
    }
    /** False when the browser refused (private mode, quota): the caller keeps working in memory. */
    set(key, value) {
      try {
        window.localStorage.setItem(this.prefix + key, JSON.stringify(value));
        return true;
      } catch (error) {
        console.warn("huiguan scanner: could not save", key, error);
        return false;
      }
    }
    remove(key) {
      try {
        window.localStorage.removeItem(this.prefix + key);
      } catch (error) {
        /* nothing to do */
      }
    }
    keys() {
      const found = [];
      try {
        for (let i = 0; i < window.localStorage.length; i++) {
          const key = window.localStorage.key(i);
          if (key && key.startsWith(this.prefix)) found.push(key.slice(this.prefix.length));
        }
      } catch (error) {
        /* storage unavailable */
      }
      return found;
    }
  }

  // --- bytes and crypto -------------------------------------------------------------------------

  function b64urlDecode(text) {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
    const binary = window.atob(base64);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  function b64urlEncode(bytes) {
    let binary = "";
    for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return window.btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  async function sha256Hex(text) {
    const digest = await window.crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
    return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function uuid4() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
    const b = window.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  const importedKeys = new Map();

  /**
   * Check a code's Ed25519 signature with the list's public key (raw, base64url).
   * Returns "valid", "forged", "malformed" or "unsupported" (no WebCrypto Ed25519 here).
   */
  async function verifyCode(code, publicKey) {
    const match = CODE_RE.exec(code);
    if (!match) return "malformed";
    const signature = b64urlDecode(match[2]);
    // Like the server: the last character carries 4 unused bits, only one spelling is valid.
    if (signature.length !== 64 || b64urlEncode(signature) !== match[2]) return "malformed";
    if (!publicKey || !(window.crypto && window.crypto.subtle)) return "unsupported";
    try {
      let key = importedKeys.get(publicKey);
      if (!key) {
        key = await window.crypto.subtle.importKey("raw", b64urlDecode(publicKey), { name: "Ed25519" }, false, [
          "verify",
        ]);
        importedKeys.set(publicKey, key);
      }
      const message = new TextEncoder().encode(`HG1.${match[1]}`);
      const ok = await window.crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
      return ok ? "valid" : "forged";
    } catch (error) {
      console.warn("huiguan scanner: Ed25519 unavailable", error);
      return "unsupported";
    }
  }

  // --- the offline ticket list ------------------------------------------------------------------

  /** Full refresh at least this often, so rows deleted on the server do not linger. */
  const FULL_REFRESH_MS = 30 * 60 * 1000;

  class TicketList {
    constructor(store, sessionId) {
      this.store = store;
      this.key = `list.${sessionId}`;
      this.sessionId = sessionId;
      const saved = store.get(this.key, null);
      this.data = saved && saved.tickets ? saved : null;
      this.index = null;
      this.saveTimer = null;
    }
    get ready() {
      return this.data !== null;
    }
    get size() {
      return this.data ? Object.keys(this.data.tickets).length : 0;
    }
    get publicKey() {
      return this.data ? this.data.public_key : null;
    }
    get checkedAt() {
      return this.data ? this.data.checked_at : null;
    }
    /** The URL for the next refresh and the ETag to send with it (only if it is the same URL). */
    nextRequest(baseUrl, now = Date.now()) {
      const data = this.data;
      let url = baseUrl;
      if (data && data.cursor && data.full_at && now - data.full_at < FULL_REFRESH_MS) {
        url += `?since=${encodeURIComponent(data.cursor)}`;
      }
      const etag = data && data.etag && data.etag_url === url ? data.etag : null;
      return { url, etag, full: url === baseUrl };
    }
    notModified(now = Date.now()) {
      if (!this.data) return;
      this.data.checked_at = now;
      this.save(true);
    }
    /** Apply a 200 answer for ``request`` (from nextRequest). */
    apply(request, body, etag, now = Date.now()) {
      const previous = this.data;
      const tickets = request.full || !previous ? {} : previous.tickets;
      for (const row of body.tickets || []) tickets[row.code_hash] = row;
      const data = {
        session: body.session,
        event: body.event,
        public_key: body.public_key,
        tickets,
        etag: etag || null,
        etag_url: request.url,
        // Advance the cursor only when something changed: the same URL again can then be
        // answered 304 by its ETag (``since`` is part of the answer, so of its ETag).
        cursor: request.full || (body.tickets || []).length || !previous ? body.generated_at : previous.cursor,
        full_at: request.full || !previous ? now : previous.full_at,
        checked_at: now,
      };
      this.data = data;
      this.index = null;
      this.save(true);
    }
    byHash(hash) {
      return this.data ? this.data.tickets[hash] || null : null;
    }
    byTicketId(ticketId) {
      if (!this.data) return null;
      if (!this.index) {
        this.index = new Map();
        for (const row of Object.values(this.data.tickets)) this.index.set(row.ticket_id, row);
      }
      return this.index.get(ticketId) || null;
    }
    rowsOfRegistration(registrationId) {
      if (!this.data) return [];
      return Object.values(this.data.tickets).filter((row) => row.registration_id === registrationId);
    }
    /** Keep the list in step with what the server just said about a ticket (and its party). */
    learn(answer) {
      if (!this.data || !answer || (answer.session != null && answer.session !== this.sessionId)) return;
      let changed = false;
      const row = answer.ticket_id != null ? this.byTicketId(answer.ticket_id) : null;
      if (row) {
        if (answer.status === "ok" && answer.direction === "out") row.inside = false;
        else if (answer.status === "ok" || answer.status === "already_checked_in") {
          row.checked_in = true;
          row.inside = answer.status === "ok" ? true : row.inside;
        }
        changed = true;
      }
      for (const member of answer.party || []) {
        const other = this.byTicketId(member.ticket_id);
        if (other) {
          other.checked_in = member.checked_in;
          other.inside = member.inside;
          changed = true;
        }
      }
      if (changed) this.save();
    }
    setCheckedIn(ticketId, checkedIn) {
      const row = this.byTicketId(ticketId);
      if (!row) return;
      row.checked_in = checkedIn;
      row.inside = checkedIn;
      this.save();
    }
    setPaid(registrationId) {
      for (const row of this.rowsOfRegistration(registrationId)) row.payment_due = null;
      this.save();
    }
    /** Counts from the list and this phone's offline scans, for the status bar when offline. */
    counts(marks) {
      const result = { expected: 0, checked_in: 0, inside_now: 0 };
      if (!this.data) return result;
      for (const [hash, row] of Object.entries(this.data.tickets)) {
        if (row.status === "confirmed") result.expected += 1;
        const mark = marks ? marks.get(hash) : null;
        if (row.checked_in || (mark && mark.direction === "in")) result.checked_in += 1;
        if (mark ? mark.direction === "in" : row.inside) result.inside_now += 1;
      }
      return result;
    }
    /** Names that contain ``query`` (offline name search), grouped by registration. */
    search(query) {
      const q = query.trim().toLocaleLowerCase();
      if (!this.data || q.length < 2) return [];
      const groups = new Map();
      for (const row of Object.values(this.data.tickets)) {
        if (!groups.has(row.registration_id)) groups.set(row.registration_id, []);
        groups.get(row.registration_id).push(row);
      }
      const found = [];
      for (const rows of groups.values()) {
        if (rows.some((row) => row.name.toLocaleLowerCase().includes(q))) {
          rows.sort((a, b) => a.position - b.position);
          found.push(rows);
        }
      }
      return found.slice(0, 50);
    }
    /** Writes are batched: a busy door should not serialise thousands of rows on every scan. */
    save(now = false) {
      if (this.saveTimer) window.clearTimeout(this.saveTimer);
      this.saveTimer = null;
      const write = () => this.data && this.store.set(this.key, this.data);
      if (now) write();
      else this.saveTimer = window.setTimeout(write, 400);
    }
  }

  // --- scans decided here: local marks and the upload queue -------------------------------------

  /** Tickets admitted offline on this phone, by code hash, so a second scan says "already". */
  class Marks {
    constructor(store, sessionId) {
      this.store = store;
      this.key = `marks.${sessionId}`;
      this.items = store.get(this.key, {});
    }
    get(hash) {
      return this.items[hash] || null;
    }
    set(hash, mark) {
      this.items[hash] = mark;
      this.store.set(this.key, this.items);
    }
    /** Drop the marks the server's list now covers; ``keep(nonce)`` says which must stay. */
    prune(keep) {
      for (const [hash, mark] of Object.entries(this.items)) {
        if (!keep(mark.nonce)) delete this.items[hash];
      }
      this.store.set(this.key, this.items);
    }
    forgetNonce(nonce) {
      for (const [hash, mark] of Object.entries(this.items)) {
        if (mark.nonce === nonce) delete this.items[hash];
      }
      this.store.set(this.key, this.items);
    }
  }

  class Queue {
    constructor(store) {
      this.store = store;
      this.items = store.get("queue", []);
      this.payments = store.get("payments", []);
    }
    get size() {
      return this.items.length + this.payments.length;
    }
    add(scan) {
      this.items.push(scan);
      this.save();
    }
    remove(nonces) {
      const gone = new Set(nonces);
      this.items = this.items.filter((item) => !gone.has(item.nonce));
      this.save();
    }
    has(nonce) {
      return this.items.some((item) => item.nonce === nonce);
    }
    addPayment(registrationId) {
      if (!this.payments.includes(registrationId)) this.payments.push(registrationId);
      this.save();
    }
    removePayment(registrationId) {
      this.payments = this.payments.filter((id) => id !== registrationId);
      this.save();
    }
    save() {
      this.store.set("queue", this.items);
      this.store.set("payments", this.payments);
    }
  }

  // --- deciding without the server --------------------------------------------------------------

  function money(due, symbols) {
    const amount = Number(due.amount);
    const number = Number.isInteger(amount) ? String(amount) : amount.toFixed(2);
    const symbol = symbols[String(due.currency).toUpperCase()];
    return symbol ? `${symbol}${number}` : `${number} ${String(due.currency).toUpperCase()}`;
  }

  function answer(fields) {
    return {
      status: "ok",
      color: "green",
      message: "",
      checkin_id: null,
      ticket_id: null,
      registration_id: null,
      attendee: null,
      answers: [],
      payment_due: null,
      party: null,
      offline: true,
      queue: false,
      ...fields,
    };
  }

  function attendeeOf(row) {
    return { name: row.name, position: row.position, party_size: row.party_size, registration_status: row.status };
  }

  /** Why the list's row may not enter now (like checkin/services.py:_refusal), or null. */
  function refusal(row, list, at, formatTime) {
    if (row.status === "cancelled") return ["cancelled", gettext("This registration was cancelled.")];
    if (row.status === "expired") return ["cancelled", gettext("This registration expired without payment.")];
    if (row.status === "waitlisted") return ["unpaid", gettext("On the waiting list: no seat yet.")];
    if (row.status === "pending_email") {
      return ["unpaid", gettext("Email not confirmed yet: the seat is only held until the emailed link is opened.")];
    }
    if (row.status === "pending_payment") {
      return ["unpaid", gettext("Not paid yet: the seat is only held until payment.")];
    }
    const session = list.data.session;
    const event = list.data.event;
    if (session.status === "cancelled") return ["not_open", gettext("This session is cancelled.")];
    const opensAt = new Date(session.starts_at).getTime() - event.checkin_opens_minutes * 60000;
    if (at > new Date(session.ends_at).getTime()) {
      return ["not_open", gettext("Check-in for this session has closed.")];
    }
    if (at < opensAt) {
      return ["not_open", interpolate(gettext("Check-in opens at %(time)s."), { time: formatTime(opensAt) }, true)];
    }
    return null;
  }

  /**
   * The answer for ``code`` from the downloaded list. ``queue: true`` means the page admitted
   * the person and the scan must be uploaded; refusals are not queued (the person was turned
   * away, so the server must not check them in later from a fresher list).
   *
   * options: {list, marks, direction, now (ms), formatTime(ms) -> text, symbols}
   */
  async function decide(code, options) {
    const { list, marks, direction, now, formatTime, symbols } = options;
    if (SHORT_CODE_RE.test(code.replace(/[\s\-·.]+/g, "").toUpperCase())) {
      // A typed short code: the downloaded list holds no short codes (a list of eight-letter
      // codes would be easy to reverse from their hashes), so it is checked when online.
      const message = gettext("Cannot check this code offline. Saved: it will be checked when the network is back.");
      return answer({ status: "unchecked", color: "amber", message, queue: true });
    }
    if (!code || code.length > MAX_CODE_LENGTH || !CODE_RE.test(code)) {
      return answer({ status: "invalid", color: "red", message: gettext("Not a valid ticket.") });
    }
    const hash = await sha256Hex(code);
    const mark = marks.get(hash);
    const row = list.byHash(hash);
    if (row) {
      const base = {
        ticket_id: row.ticket_id,
        registration_id: row.registration_id,
        attendee: attendeeOf(row),
        payment_due: row.payment_due,
        hash,
      };
      const inside = mark ? mark.direction === "in" : row.inside;
      if (direction === "out") {
        if (!inside) {
          const message = interpolate(
            gettext("%(name)s is not checked in, so cannot check out."),
            { name: row.name },
            true,
          );
          return answer({ ...base, status: "not_inside", color: "amber", message });
        }
        const message = interpolate(gettext("Goodbye, %(name)s."), { name: row.name }, true);
        return answer({ ...base, message, queue: true });
      }
      const refused = refusal(row, list, now, formatTime);
      if (refused) return answer({ ...base, status: refused[0], color: "red", message: refused[1] });
      if (inside) {
        const message = mark
          ? interpolate(gettext("Already checked in at %(time)s on this phone."), { time: formatTime(mark.at) }, true)
          : gettext("Already checked in (downloaded list).");
        return answer({ ...base, status: "already_checked_in", color: "red", message });
      }
      if (row.payment_due) {
        const message = interpolate(gettext("Collect %(amount)s"), { amount: money(row.payment_due, symbols) }, true);
        return answer({ ...base, color: "amber", message, queue: true });
      }
      const message = interpolate(gettext("Welcome, %(name)s."), { name: row.name }, true);
      return answer({ ...base, message, queue: true });
    }
    // Not in the list: a ticket booked since the last download, or of another event.
    if (mark && mark.direction === direction) {
      const message = interpolate(gettext("Already scanned at %(time)s on this phone."), { time: formatTime(mark.at) }, true);
      return answer({ status: "already_checked_in", color: "red", message, hash });
    }
    const verdict = await verifyCode(code, list.publicKey);
    if (verdict === "malformed" || verdict === "forged") {
      return answer({ status: "invalid", color: "red", message: gettext("Not a valid ticket.") });
    }
    if (verdict === "unsupported") {
      const message = gettext("Cannot check this code offline. Saved: it will be checked when the network is back.");
      return answer({ status: "unchecked", color: "amber", message, queue: true, hash });
    }
    const message = gettext("Valid ticket, but not in the downloaded list: check the name and the event.");
    return answer({ status: "not_in_list", color: "amber", message, queue: true, hash });
  }

  window.HGScanOffline = {
    CODE_RE,
    MAX_CODE_LENGTH,
    cleanCode,
    Store,
    TicketList,
    Marks,
    Queue,
    decide,
    verifyCode,
    sha256Hex,
    uuid4,
    money,
  };
})();
