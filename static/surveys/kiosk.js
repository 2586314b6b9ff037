// The kiosk: one question per screen, offline queue, idle reset, heartbeat.
// No build step and no library. Ratings are queued in localStorage with their own UUID
// and original times, and leave the queue only once the server has acknowledged them
// (201 stored or 200 duplicate), so a rating is never lost and never counted twice.
(function () {
  "use strict";

  // The page as it arrived (nothing has touched it yet): the service worker keeps it for
  // a restart without network when this first load came before the worker existed.
  var pageHtml = "<!doctype html>\n" + document.documentElement.outerHTML;
  var root = document.getElementById("kiosk");
  var config = JSON.parse(document.getElementById("kiosk-config").textContent);
  var preview = root.hasAttribute("data-preview");
  var credential = root.getAttribute("data-credential");
  var fingerprint = root.getAttribute("data-fingerprint");
  var ratingUrl = root.getAttribute("data-rating-url");
  var heartbeatUrl = root.getAttribute("data-heartbeat-url");
  var QUEUE_KEY = "kiosk-queue:" + (config.kiosk || "preview");
  var DEFAULT_LANGUAGE = "vi";
  var THANKS_SECONDS = 8;
  var HEARTBEAT_MS = 60000;
  var RELOAD_AFTER_MS = 24 * 3600 * 1000;
  // A post not answered by then is abandoned and retried later (the rating stays queued);
  // bench/run.py gives wrk the same timeout, so what it counts as an error is what a kiosk
  // would retry.
  var POST_TIMEOUT_MS = 15000;

  var screens = {
    start: document.getElementById("screen-start"),
    question: document.getElementById("screen-question"),
    thanks: document.getElementById("screen-thanks"),
  };
  var title = document.getElementById("question-title");
  var progress = document.getElementById("question-progress");
  var hint = document.getElementById("question-hint");
  var options = document.getElementById("question-options");
  var pending = document.getElementById("pending");
  var buttons = {};
  ["back", "skip", "next", "done"].forEach(function (name) {
    buttons[name] = screens.question.querySelector('[data-action="' + name + '"]');
  });

  var language = DEFAULT_LANGUAGE;
  var current = "start";
  var rating = null;
  var lastTouch = Date.now();
  var shownAt = Date.now();
  var loadedAt = Date.now();
  var clockOffset = 0;
  var mustReload = false;

  // --- Text -----------------------------------------------------------------------

  function t(key) {
    var strings = config.strings[language] || {};
    return strings[key] || config.strings[DEFAULT_LANGUAGE][key] || "";
  }

  function number(value) {
    try {
      return new Intl.NumberFormat(language).format(value);
    } catch (error) {
      return String(value);
    }
  }

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (match, key) {
      return key in values ? number(values[key]) : match;
    });
  }

  function textOf(item) {
    return item.texts[language] || item.texts[DEFAULT_LANGUAGE];
  }

  function setLanguage(code) {
    language = code;
    document.documentElement.lang = code;
    document.documentElement.dir = code === "fa" ? "rtl" : "ltr";
    document.querySelectorAll("[data-t]").forEach(function (element) {
      element.textContent = t(element.getAttribute("data-t"));
    });
    document.querySelectorAll("[data-t-aria]").forEach(function (element) {
      element.setAttribute("aria-label", t(element.getAttribute("data-t-aria")));
    });
    document.querySelectorAll("[data-lang]").forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.getAttribute("data-lang") === code));
    });
    // The suggestion page opens in the language the citizen chose here.
    document.querySelectorAll("a.suggest").forEach(function (link) {
      var url = new URL(link.getAttribute("href"), window.location.href);
      url.searchParams.set("lang", code);
      link.setAttribute("href", url.pathname + url.search);
    });
    renderStart();
    updatePending();
  }

  // --- Screens --------------------------------------------------------------------

  function show(name) {
    current = name;
    shownAt = Date.now();
    Object.keys(screens).forEach(function (key) {
      screens[key].hidden = key !== name;
      screens[key].classList.toggle("is-active", key === name);
    });
    var heading = screens[name].querySelector("h1");
    if (heading && name !== "start") heading.focus({ preventScroll: true });
  }

  function reset() {
    if (rating) close(false); // walked away: what was answered is sent, never discarded
    rating = null;
    setLanguage(DEFAULT_LANGUAGE);
    show("start");
    if (mustReload) reloadIfOnline();
  }

  function newRating(target) {
    return {
      id: uuid(),
      staff: officerFor(target),
      startedAt: now(),
      steps: config.order.slice(),
      index: 0,
      answers: {},
      reasonsFor: {},
    };
  }

  // "Start" for a survey whose headline cannot be answered on the start screen.
  function start(target) {
    if (queueFull()) return updatePending();
    rating = newRating(target);
    renderQuestion();
    show("question");
  }

  // The first tap counts: a face on the start screen answers the headline question and
  // the rating is queued at once (as a draft the follow-ups complete). Every follow-up is
  // optional; "Done", walking away or a reboot sends what was answered.
  function begin(value) {
    if (queueFull()) return updatePending();
    rating = newRating(null); // the one officer serving, or nobody
    var head = rating.steps[0];
    rating.answers[head] = value;
    followUp(head);
    saveDraft();
    rating.index = 1;
    if (rating.index >= rating.steps.length) return finish();
    renderQuestion();
    show("question");
  }

  function renderStart() {
    var holder = document.getElementById("start-options");
    var head = config.questions[config.order[0]];
    if (!holder || !head || (head.kind !== "scale5" && head.kind !== "yesno")) return;
    // Several officers serving: the citizen first taps the one who served (their buttons
    // start the rating), so the faces stay on the next screen.
    var chooser = document.getElementById("officers");
    if (chooser && chooser.querySelector(".officer-choice")) return;
    holder.textContent = "";
    holder.className = "options start-options options-" + head.kind;
    holder.hidden = false;
    var question = document.getElementById("start-question");
    question.textContent = textOf(head);
    question.hidden = false;
    var values = head.kind === "scale5" ? [5, 4, 3, 2, 1] : [1, 0];
    values.forEach(function (value) {
      var label = head.kind === "scale5" ? t("scale_" + value) : t(value ? "yes" : "no");
      var icon = head.kind === "scale5" ? "face-" + value : value ? "icon-yes" : "icon-no";
      var button = optionButton(label, false, icon, function () {
        begin(value);
      });
      if (head.kind === "scale5") button.classList.add("face", "face-" + value);
      else button.classList.add(value ? "yes" : "no");
      holder.appendChild(button);
    });
    var startButton = root.querySelector("[data-action=start]");
    if (startButton) startButton.hidden = true;
  }

  function svgIcon(id) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", "icon");
    var use = document.createElementNS(ns, "use");
    use.setAttribute("href", "#" + id);
    svg.appendChild(use);
    return svg;
  }

  function optionButton(label, pressed, icon, onPress) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "option";
    button.setAttribute("aria-pressed", String(pressed));
    if (icon) button.appendChild(svgIcon(icon));
    var span = document.createElement("span");
    span.textContent = label;
    button.appendChild(span);
    button.addEventListener("click", function () {
      onPress(button);
    });
    return button;
  }

  function renderQuestion() {
    var code = rating.steps[rating.index];
    var question = config.questions[code];
    var value = rating.answers[code];
    var last = rating.index === rating.steps.length - 1;
    progress.textContent = format(t("progress"), {
      n: rating.index + 1,
      total: rating.steps.length,
    });
    title.textContent = textOf(question);
    hint.hidden = question.kind !== "multi";
    hint.textContent = question.kind === "multi" ? t("choose_all") : "";
    options.textContent = "";
    options.className = "options options-" + question.kind;
    var pick = function (answer) {
      return function (button) {
        choose(code, answer, button);
      };
    };
    if (question.kind === "scale5") {
      [5, 4, 3, 2, 1].forEach(function (score) {
        var button = optionButton(t("scale_" + score), value === score, "face-" + score, pick(score));
        button.classList.add("face", "face-" + score);
        options.appendChild(button);
      });
    } else if (question.kind === "yesno") {
      [1, 0].forEach(function (answer) {
        var button = optionButton(
          t(answer ? "yes" : "no"),
          value === answer,
          answer ? "icon-yes" : "icon-no",
          pick(answer)
        );
        button.classList.add(answer ? "yes" : "no");
        options.appendChild(button);
      });
    } else if (question.kind === "choice") {
      question.choices.forEach(function (choice) {
        options.appendChild(optionButton(textOf(choice), value === choice.code, null, pick(choice.code)));
      });
    } else if (question.kind === "multi") {
      var chosen = Array.isArray(value) ? value.slice() : [];
      question.choices.forEach(function (choice) {
        var button = optionButton(textOf(choice), chosen.indexOf(choice.code) >= 0, null, function () {
          toggle(code, choice.code, button);
        });
        button.classList.add("toggle");
        options.appendChild(button);
      });
    } else {
      var area = document.createElement("textarea");
      area.id = "answer-text";
      area.maxLength = 1000;
      area.rows = 4;
      area.value = typeof value === "string" ? value : "";
      area.placeholder = t("type_here");
      area.setAttribute("aria-labelledby", "question-title");
      options.appendChild(area);
    }
    var free = question.kind === "multi" || question.kind === "text";
    buttons.next.hidden = !free;
    buttons.next.textContent = last ? t("send") : t("next");
    // Follow-ups are optional: only the headline (step 0) must be answered.
    buttons.skip.hidden = free || (rating.index === 0 && question.required);
    buttons.back.hidden = rating.index === 0;
    buttons.done.hidden = !(config.order[0] in rating.answers); // always, once there is a rating
  }

  function isLow(question, value) {
    if (question.kind === "scale5") return typeof value === "number" && value <= 2;
    if (question.kind === "yesno") return value === 0;
    return false;
  }

  // A low answer (1–2 or "no") brings in its reasons question once, right after it;
  // changing the answer back removes it again.
  function followUp(code) {
    var question = config.questions[code];
    var reasons = question.reasons;
    if (!reasons || !config.questions[reasons]) return;
    var at = rating.steps.indexOf(reasons);
    if (isLow(question, rating.answers[code])) {
      if (at === -1) {
        rating.steps.splice(rating.index + 1, 0, reasons);
        rating.reasonsFor[reasons] = code;
      }
    } else if (rating.reasonsFor[reasons] === code && at > -1) {
      rating.steps.splice(at, 1);
      delete rating.answers[reasons];
      delete rating.reasonsFor[reasons];
    }
  }

  function choose(code, value, button) {
    rating.answers[code] = value;
    followUp(code);
    saveDraft();
    options.querySelectorAll(".option").forEach(function (other) {
      other.setAttribute("aria-pressed", String(other === button));
    });
    var chosenRating = rating;
    setTimeout(function () {
      if (rating === chosenRating && rating.steps[rating.index] === code) advance();
    }, 200);
  }

  function toggle(code, choice, button) {
    var chosen = Array.isArray(rating.answers[code]) ? rating.answers[code] : [];
    var at = chosen.indexOf(choice);
    if (at >= 0) chosen.splice(at, 1);
    else chosen.push(choice);
    rating.answers[code] = chosen;
    saveDraft();
    button.setAttribute("aria-pressed", String(at < 0));
  }

  function advance() {
    rating.index += 1;
    if (rating.index >= rating.steps.length) finish();
    else renderQuestion();
  }

  function back() {
    if (rating.index === 0) {
      rating = null; // back to the start, keeping the language the citizen chose
      return show("start");
    }
    rating.index -= 1;
    renderQuestion();
  }

  function skip() {
    var code = rating.steps[rating.index];
    delete rating.answers[code];
    followUp(code);
    saveDraft();
    advance();
  }

  function takeText() {
    var code = rating.steps[rating.index];
    var area = document.getElementById("answer-text");
    if (area) rating.answers[code] = area.value.trim();
    var value = rating.answers[code];
    if (value === "" || (Array.isArray(value) && !value.length)) delete rating.answers[code];
  }

  function next() {
    takeText();
    saveDraft();
    advance();
  }

  // "Done": the citizen stops here; what was answered is sent.
  function done() {
    takeText();
    close(false);
    rating = null;
    show("thanks");
  }

  function finish() {
    close(true);
    rating = null;
    show("thanks");
  }

  // The payload the server receives. It carries what the screen showed when the rating
  // was given (office, desk, officer, versions), so a rating sent later is credited to
  // where and whom it was given, not to where the kiosk is by then.
  function payloadOf(current, completed) {
    var answers = current.steps
      .filter(function (code) {
        return code in current.answers;
      })
      .map(function (code) {
        return { question: code, value: current.answers[code] };
      });
    return {
      id: current.id,
      version: config.version,
      extension_version: config.extension_version,
      office: config.office,
      desk: config.desk,
      staff: current.staff,
      language: language,
      started_at: current.startedAt,
      submitted_at: now(),
      completed: completed,
      answers: answers,
    };
  }

  // A draft sits in the queue (so a reboot keeps it) but is not sent until closed.
  function saveDraft() {
    if (preview || !rating) return;
    var payload = payloadOf(rating, false);
    payload.draft = true;
    upsert(payload);
  }

  function close(completed) {
    if (preview || !rating) return;
    if (!(rating.steps[0] in rating.answers)) return; // nothing given yet
    upsert(payloadOf(rating, completed));
    flush();
  }

  // --- Time and identifiers ---------------------------------------------------------

  // The kiosk's clock, corrected by the offset the last heartbeat measured when it is
  // clearly wrong (a tablet without network time). Offline ratings keep these times.
  function nowMs() {
    var offset = Math.abs(clockOffset) > 30000 ? clockOffset : 0;
    return Date.now() + offset;
  }

  function now() {
    return new Date(nowMs()).toISOString();
  }

  // A rating's id, made here so that a resent rating is stored once: a UUID of version 7
  // (RFC 9562), whose first 48 bits are the kiosk's (corrected) time in milliseconds and the
  // other 74 random. The server's indexes on rating ids then grow at their end instead of
  // anywhere (common/ids.py).
  function uuid() {
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    var ms = nowMs();
    for (var i = 5; i >= 0; i--) {
      bytes[i] = ms % 256;
      ms = Math.floor(ms / 256);
    }
    bytes[6] = (bytes[6] & 15) | 112;
    bytes[8] = (bytes[8] & 63) | 128;
    var hex = Array.prototype.map
      .call(bytes, function (b) {
        return (b + 256).toString(16).slice(1);
      })
      .join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  // --- Queue ----------------------------------------------------------------------
  // A rating leaves the queue only when the server stored it (201), already had it
  // (200), or refused it for good: status 422 with a JSON body saying "final": true.
  // Anything else (a proxy's HTML 404, a 400 or 413 without our JSON, a network error)
  // is retried with capped backoff, for as long as it takes. A finally refused rating
  // moves to a short refused list that the next heartbeat reports (ids and codes).

  var REFUSED_KEY = "kiosk-refused:" + (config.kiosk || "preview");
  var QUEUE_WARN = 50; // the staff corner turns into a warning from here on
  var QUEUE_MAX = 2000; // beyond this the start screen stops taking ratings
  var REFUSED_MAX = 20;
  var FINAL_STATUS = 422;
  var memoryQueue = [];
  var memoryRefused = [];
  var sending = false;
  var failures = 0;
  var retryTimer = null;

  function load(key, fallback) {
    try {
      var value = JSON.parse(localStorage.getItem(key) || "[]");
      return Array.isArray(value) ? value : fallback.slice();
    } catch (error) {
      return fallback.slice();
    }
  }

  function store(key, value) {
    try {
      localStorage.setItem(key, JSON.stringify(value));
      return true;
    } catch (error) {
      return false; // storage full or disabled: the in-memory copy still gets sent
    }
  }

  function loadQueue() {
    return load(QUEUE_KEY, memoryQueue);
  }

  function saveQueue(queue) {
    memoryQueue = queue;
    store(QUEUE_KEY, queue);
  }

  function loadRefused() {
    return load(REFUSED_KEY, memoryRefused);
  }

  function saveRefused(list) {
    memoryRefused = list;
    store(REFUSED_KEY, list);
  }

  function queueFull() {
    return loadQueue().length >= QUEUE_MAX;
  }

  function upsert(payload) {
    var queue = loadQueue();
    var at = -1;
    queue.forEach(function (item, index) {
      if (item.id === payload.id) at = index;
    });
    if (at >= 0) queue[at] = payload;
    else queue.push(payload);
    saveQueue(queue);
    updatePending();
  }

  // Drafts left by a reboot or a crash are closed as they stand: sent, never lost.
  function closeLeftDrafts() {
    var queue = loadQueue();
    var left = false;
    queue.forEach(function (item) {
      if (item.draft) {
        delete item.draft;
        left = true;
      }
    });
    if (left) saveQueue(queue);
  }

  function dequeue(id) {
    saveQueue(
      loadQueue().filter(function (item) {
        return item.id !== id;
      })
    );
    updatePending();
  }

  // The server keeps the refused body too; the kiosk keeps its own copy until the server
  // has acknowledged the report, and only the last REFUSED_MAX of them.
  function refuse(item, body) {
    var list = loadRefused().filter(function (entry) {
      return entry.id !== item.id;
    });
    list.push({ id: item.id, code: String(body.code).slice(0, 40), at: now(), rating: item });
    saveRefused(list.slice(-REFUSED_MAX));
    dequeue(item.id);
    if (window.console) console.warn("Kiosk rating refused for good", item.id, body.code);
  }

  function updatePending() {
    var count = loadQueue().filter(function (item) {
      return !item.draft;
    }).length;
    pending.hidden = count === 0;
    pending.classList.toggle("is-large", count >= QUEUE_WARN);
    var text = count >= QUEUE_WARN ? t("pending_large") : t("pending");
    pending.textContent = count ? format(text, { n: count }) : "";
    var full = count >= QUEUE_MAX;
    root.classList.toggle("is-full", full);
    var notice = document.getElementById("queue-full");
    if (notice) notice.hidden = !full;
  }

  function post(url, body) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller
      ? setTimeout(function () {
          controller.abort();
        }, POST_TIMEOUT_MS)
      : null;
    return fetch(url, {
      method: "POST",
      headers: { Authorization: "Kiosk " + credential, "Content-Type": "application/json" },
      body: JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
      signal: controller ? controller.signal : undefined,
    }).finally(function () {
      clearTimeout(timer);
    });
  }

  function retryLater() {
    failures += 1;
    var delay = Math.min(300000, 1000 * Math.pow(2, Math.min(failures, 9)));
    clearTimeout(retryTimer);
    retryTimer = setTimeout(flush, delay * (0.75 + Math.random() / 2));
  }

  // The body of a final refusal, or null for anything else (HTML, other JSON, no body).
  function finalRefusal(response) {
    if (response.status !== FINAL_STATUS) return Promise.resolve(null);
    return response.json().then(
      function (body) {
        return body && body.final === true && typeof body.code === "string" ? body : null;
      },
      function () {
        return null;
      }
    );
  }

  function flush() {
    if (sending || preview) return;
    var queue = loadQueue();
    if (!queue.length || queue[0].draft) return;
    var item = queue[0];
    sending = true;
    post(ratingUrl, item)
      .then(function (response) {
        if (response.status === 200 || response.status === 201) return { stored: true };
        return finalRefusal(response).then(function (body) {
          return { refusal: body, status: response.status };
        });
      })
      .then(
        function (outcome) {
          sending = false;
          if (outcome.stored) {
            failures = 0;
            dequeue(item.id);
            flush();
          } else if (outcome.refusal) {
            refuse(item, outcome.refusal);
            flush();
          } else {
            // 401/403: not enrolled or revoked; the page reloads at its next idle start
            // screen to show why, and the queue waits for a new enrolment.
            if (outcome.status === 401 || outcome.status === 403) mustReload = true;
            retryLater();
          }
        },
        function () {
          sending = false;
          retryLater();
        }
      );
  }

  function heartbeat() {
    if (preview) return;
    var refused = loadRefused().map(function (entry) {
      return { id: entry.id, code: entry.code };
    });
    post(heartbeatUrl, { pending: loadQueue().length, config: fingerprint, refused: refused })
      .then(function (response) {
        if (response.status === 401 || response.status === 403) mustReload = true;
        if (!response.ok) return null;
        return response.json();
      })
      .then(function (data) {
        if (!data) return;
        if (data.server_time) clockOffset = Date.parse(data.server_time) - Date.now();
        if (data.config !== fingerprint || Date.now() - loadedAt > RELOAD_AFTER_MS) mustReload = true;
        if (Array.isArray(data.refused_ack) && data.refused_ack.length) {
          saveRefused(
            loadRefused().filter(function (entry) {
              return data.refused_ack.indexOf(entry.id) < 0;
            })
          );
        }
        failures = 0;
        flush();
      })
      .catch(function () {});
  }

  function reloadIfOnline() {
    if (current === "start" && navigator.onLine !== false && !sending) window.location.reload();
  }

  // --- Officer shown / chosen (counter sessions; docs/counter-sessions.md) -----------
  // The start screen shows who is serving at the desk. One officer: a rating credits
  // them. Several: each is a button and the rating credits the one the citizen tapped;
  // "Start rating" without a choice credits nobody. The officer goes into the rating
  // when it starts, so a queued rating keeps the officer shown at that moment. Each card
  // carries its session's deadline (closing time), after which it is removed even
  // when the kiosk cannot reach the server. The staff corner signs officers in by PIN.

  var officersBox = document.getElementById("officers");
  var staffScreen = document.getElementById("screen-staff");
  var staffPick = null;
  if (staffScreen) screens.staff = staffScreen;

  function officerFor(target) {
    if (target && target.hasAttribute("data-staff")) return Number(target.getAttribute("data-staff"));
    var single = officersBox && officersBox.querySelector(".officer[data-staff]:not(.officer-choice)");
    return single ? Number(single.getAttribute("data-staff")) : null;
  }

  function expireOfficers() {
    if (!officersBox) return;
    var at = Date.parse(now());
    officersBox.querySelectorAll("[data-until]").forEach(function (card) {
      if (Date.parse(card.getAttribute("data-until")) <= at) card.remove();
    });
    if (!officersBox.querySelector("[data-staff]")) officersBox.textContent = "";
  }

  function staffMessage(key) {
    document.getElementById("staff-message").textContent = key ? t(key) : "";
  }

  function officerAction(target, action) {
    if (action === "staff-open" && staffScreen) {
      staffPick = null;
      document.getElementById("staff-pin").value = "";
      staffScreen.querySelectorAll("[data-staff-pick]").forEach(function (b) {
        b.setAttribute("aria-pressed", "false");
      });
      staffMessage("");
      show("staff");
      return true;
    }
    if (action === "staff-pick") {
      staffPick = Number(target.getAttribute("data-staff-pick"));
      staffScreen.querySelectorAll("[data-staff-pick]").forEach(function (b) {
        b.setAttribute("aria-pressed", String(b === target));
      });
      document.getElementById("staff-pin").focus();
      return true;
    }
    if (action === "staff-submit") {
      var pin = document.getElementById("staff-pin").value;
      if (!staffPick || !pin) return true;
      var body = { staff: staffPick, pin: pin, action: target.getAttribute("data-mode") };
      post(staffScreen.getAttribute("data-session-url"), body).then(
        function (response) {
          if (response.ok) return window.location.reload();
          document.getElementById("staff-pin").value = "";
          staffMessage("staff_wrong_pin");
        },
        function () {
          staffMessage("staff_offline");
        }
      );
      return true;
    }
    return false;
  }

  setInterval(function () {
    if (current === "start") expireOfficers();
    var idleMs = Math.max(2, config.idle_seconds) * 1000;
    if (current === "staff" && Date.now() - lastTouch > idleMs) reset();
  }, 1000);
  expireOfficers();

  // --- Wiring ---------------------------------------------------------------------

  root.addEventListener("click", function (event) {
    var target = event.target.closest("[data-action], [data-lang]");
    if (!target) return;
    var action = target.getAttribute("data-action");
    if (target.hasAttribute("data-lang")) setLanguage(target.getAttribute("data-lang"));
    else if (action === "start") start(target);
    else if (action === "done") done();
    else if (officerAction(target, action)) return;
    else if (action === "back") back();
    else if (action === "skip") skip();
    else if (action === "next") next();
    else if (action === "restart") reset();
  });

  ["pointerdown", "keydown", "input"].forEach(function (type) {
    document.addEventListener(
      type,
      function () {
        lastTouch = Date.now();
      },
      { passive: true, capture: true }
    );
  });

  setInterval(function () {
    var idleMs = Math.max(2, config.idle_seconds) * 1000;
    var quiet = Date.now() - lastTouch;
    if (current === "thanks" && Date.now() - shownAt > Math.min(THANKS_SECONDS * 1000, idleMs)) {
      reset();
    } else if (current === "question" && quiet > idleMs) {
      // reset() closes the rating: the answers given so far are sent.
      reset();
    } else if (current === "start" && language !== DEFAULT_LANGUAGE && quiet > idleMs) {
      setLanguage(DEFAULT_LANGUAGE);
    } else if (current === "start" && mustReload && quiet > 5000) {
      reloadIfOnline();
    }
  }, 1000);

  window.addEventListener("online", function () {
    failures = 0;
    clearTimeout(retryTimer);
    flush();
    heartbeat();
  });

  function registerServiceWorker() {
    if (preview || !("serviceWorker" in navigator)) return;
    navigator.serviceWorker
      .register(root.getAttribute("data-sw-url"))
      .then(function () {
        return navigator.serviceWorker.ready;
      })
      .then(function (registration) {
        if (registration.active) registration.active.postMessage({ type: "page", html: pageHtml });
      })
      .catch(function () {}); // without it the kiosk still works, only not after an offline restart
  }

  renderStart();
  registerServiceWorker();
  if (!preview) closeLeftDrafts();
  updatePending();
  if (!preview) {
    flush();
    heartbeat();
    setInterval(heartbeat, HEARTBEAT_MS);
  }
})();
