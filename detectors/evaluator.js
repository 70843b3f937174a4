// Baton Pass in-page detector. Shared verbatim by the Python and Node SDKs: each SDK calls this function in
// every frame of the page, in one evaluate per frame, as `(evaluator)(signatures, args)` where `signatures` is
// detectors/signatures.json and `args` = {response: {status, headers} | null}.
//
// It only reads the page: specific querySelectorAll selectors (never `*`), visibility from checkVisibility()
// and getBoundingClientRect(), text only from candidate containers, capped. It returns the names of the
// features that fired in this frame plus what the SDK needs to act on the page (OTP inputs, dialog buttons);
// summing weights, `unless`, precedence and thresholds happen in the SDK, across frames.
(signatures, args) => {
  const started = performance.now();
  const isTop = window === window.top;
  const patterns = signatures.patterns || {};
  const compiled = new Map();
  const rx = (source) => {
    const text = typeof source === "string" && source.startsWith("@") ? patterns[source.slice(1)] : source;
    let re = compiled.get(text);
    if (!re) {
      re = new RegExp(text, "i");
      compiled.set(text, re);
    }
    return re;
  };
  const vw = window.innerWidth || document.documentElement.clientWidth || 0;
  const vh = window.innerHeight || document.documentElement.clientHeight || 0;

  // An invalid selector throws: the feature using it is reported in `errors`, never silently off.
  const all = (selector, root) => Array.from((root || document).querySelectorAll(selector));

  const visible = (el) => {
    if (!el || !el.isConnected) return false;
    if (typeof el.checkVisibility === "function") {
      const options = { checkOpacity: true, checkVisibilityCSS: true, opacityProperty: true, visibilityProperty: true };
      if (!el.checkVisibility(options)) return false;
    }
    const r = el.getBoundingClientRect();
    if (r.width <= 0 || r.height <= 0) return false;
    // Parked far outside the document (e.g. top: -10000px), as closed challenge frames are.
    if (r.bottom + window.scrollY <= 0 || r.right + window.scrollX <= 0) return false;
    return true;
  };

  const enabled = (el) => !el.disabled && !el.readOnly && el.getAttribute("aria-disabled") !== "true";

  const label = (el) => {
    const tag = el.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") return String(el.value || "");
    const text = (el.innerText || el.textContent || "").replace(/\s+/g, " ").trim();
    return text || el.getAttribute("aria-label") || el.getAttribute("title") || "";
  };

  const attrsMatch = (el, attrs, negated) => {
    for (const [name, source] of Object.entries(attrs || {})) {
      const value = el.getAttribute(name);
      const hit = rx(source).test(value === null ? "" : value);
      if (negated ? hit : !hit) return false;
    }
    return true;
  };

  const elementMatches = (el, spec) => {
    if (spec.visible !== false && !visible(el)) return false;
    if (spec.enabled && !enabled(el)) return false;
    if (spec.min_width || spec.min_height) {
      const r = el.getBoundingClientRect();
      if (r.width < (spec.min_width || 0) || r.height < (spec.min_height || 0)) return false;
    }
    if (!attrsMatch(el, spec.attrs, false) || !attrsMatch(el, spec.not_attrs, true)) return false;
    if (spec.empty && String(el.value || "") !== "") return false;
    if (spec.text && !rx(spec.text).test(label(el))) return false;
    if (spec.min_font_px && parseFloat(getComputedStyle(el).fontSize || "0") < spec.min_font_px) return false;
    return true;
  };

  const findElements = (spec) => all(spec.selector).filter((el) => elementMatches(el, spec));

  // --- text, read once per frame, from candidate containers only ---------------------------------------
  let textCache = null;
  const texts = () => {
    if (textCache) return textCache;
    const config = signatures.text || {};
    const max = config.max_chars || 4096;
    let prose = "";
    const seen = new Set();
    outer: for (const group of config.prose || []) {
      for (const el of all(group)) {
        if (seen.has(el) || !visible(el)) continue;
        seen.add(el);
        const text = label(el);
        if (!text) continue;
        prose += text.slice(0, max) + "\n";
        if (prose.length >= max) break outer;
      }
    }
    let script = "";
    const scriptMax = config.script_max_chars || 20000;
    for (const el of all("script:not([src])")) {
      script += (el.textContent || "").slice(0, scriptMax) + "\n";
      if (script.length >= scriptMax) break;
    }
    textCache = { title: document.title || "", prose: prose.slice(0, max), script: script.slice(0, scriptMax) };
    return textCache;
  };

  // --- dialogs --------------------------------------------------------------------------------------------
  const dialogConfig = signatures.dialogs || {};
  let dialogCache = null;
  const overBackdrop = (dialog) => {
    const probes = [[2, 2], [vw - 3, vh - 3]];
    return probes.every(([x, y]) => {
      const el = document.elementFromPoint(x, y);
      if (!el || dialog.contains(el) || el === document.body || el === document.documentElement) return false;
      const style = getComputedStyle(el);
      if (style.position !== "fixed" && style.position !== "absolute") return false;
      const r = el.getBoundingClientRect();
      return r.width * r.height >= 0.9 * vw * vh;
    });
  };
  const dialogs = () => {
    if (dialogCache) return dialogCache;
    dialogCache = all(dialogConfig.selector || "[role=alertdialog], dialog[open]")
      .filter((el) => visible(el))
      .map((el) => {
        const r = el.getBoundingClientRect();
        const cover = vw && vh ? (Math.min(r.width, vw) * Math.min(r.height, vh)) / (vw * vh) : 0;
        let modal = cover >= (dialogConfig.min_cover || 0.15);
        try {
          modal = modal || el.matches(":modal");
        } catch (error) {
          // :modal unsupported: fall back to the backdrop probe
        }
        modal = modal || overBackdrop(el);
        const buttons = all(dialogConfig.buttons || "button", el).filter((b) => visible(b));
        return { el, modal, buttons, text: label(el).slice(0, 4096) };
      });
    return dialogCache;
  };
  const dialogButton = (dialog, source) => dialog.buttons.find((b) => rx(source).test(label(b)));
  const dialogMatches = (dialog, spec) => {
    if (spec.modal && !dialog.modal) return false;
    if (spec.confirm && !dialogButton(dialog, spec.confirm)) return false;
    if (spec.cancel && !dialogButton(dialog, spec.cancel)) return false;
    if (spec.text && !rx(spec.text).test(dialog.text)) return false;
    if (spec.attrs && !attrsMatch(dialog.el, spec.attrs, false)) return false;
    if (spec.contains && !(dialog.el.matches(spec.contains) || all(spec.contains, dialog.el).length > 0)) return false;
    return true;
  };

  // --- split one-character inputs on one line --------------------------------------------------------------
  const splitGroup = (spec) => {
    const boxes = all(spec.selector || "input[maxlength='1']").filter(
      (el) => visible(el) && enabled(el) && rx("@textlike_type").test(el.getAttribute("type") || ""),
    );
    const tolerance = spec.tolerance_px || 4;
    const rows = [];
    for (const el of boxes) {
      const r = el.getBoundingClientRect();
      const row = rows.find((candidate) => Math.abs(candidate.top - r.top) <= tolerance);
      if (row) row.items.push({ el, left: r.left });
      else rows.push({ top: r.top, items: [{ el, left: r.left }] });
    }
    const min = spec.min || 4;
    const max = spec.max || 8;
    for (const row of rows) {
      if (row.items.length >= min && row.items.length <= max) {
        return row.items.sort((a, b) => a.left - b.left).map((item) => item.el);
      }
    }
    // Siblings or cousins (each box wrapped in its own cell), whatever the layout draws.
    const containers = new Map();
    for (const el of boxes) {
      let key = el.parentElement;
      if (key && key.parentElement && all("input", key).length === 1) key = key.parentElement;
      if (!containers.has(key)) containers.set(key, []);
      containers.get(key).push(el);
    }
    for (const items of containers.values()) {
      if (items.length >= min && items.length <= max) return items;
    }
    return null;
  };

  // --- the matchers ------------------------------------------------------------------------------------------
  const location = window.location;
  const urlPart = (part) => {
    if (part === "host") return location.hostname || "";
    if (part === "path") return (location.pathname || "") + (location.search || "");
    return location.href || "";
  };
  const response = (args && args.response) || null;

  const match = (m) => {
    if (m.all) return m.all.every(match);
    if (m.any) return m.any.some(match);
    if (m.element) return findElements(m.element).length > 0;
    if (m.text) return (m.text.in || ["prose"]).some((source) => rx(m.text.pattern).test(texts()[source] || ""));
    if (m.url) return rx(m.url.pattern).test(urlPart(m.url.part));
    if (m.global) {
      try {
        return typeof window[m.global] !== "undefined";
      } catch (error) {
        return false;
      }
    }
    if (m.frame) {
      return (
        !isTop &&
        rx(m.frame.host).test(location.hostname || "") &&
        vw >= (m.frame.min_width || 0) &&
        vh >= (m.frame.min_height || 0)
      );
    }
    if (m.response) {
      if (!isTop || !response) return false;
      if (m.response.status && !m.response.status.includes(response.status)) return false;
      const headers = response.headers || {};
      return Object.entries(m.response.headers || {}).every(([name, source]) =>
        rx(source).test(String(headers[name.toLowerCase()] || "")),
      );
    }
    if (m.split_inputs) return splitGroup(m.split_inputs) !== null;
    if (m.dialog) return dialogs().some((dialog) => dialogMatches(dialog, m.dialog));
    return false;
  };

  const hits = [];
  const errors = [];
  const categories = new Set();
  for (const feature of signatures.features) {
    if (feature.top_only && !isTop) continue;
    let fired = false;
    try {
      fired = match(feature.match);
    } catch (error) {
      errors.push(feature.name + ": " + String(error));
    }
    if (fired) {
      hits.push(feature.name);
      categories.add(feature.category);
    }
  }

  // --- what the SDK needs to act: stable paths to the elements, plus their centres --------------------------
  const cssPath = (el) => {
    const parts = [];
    let node = el;
    while (node && node.nodeType === 1 && node !== document.documentElement) {
      if (node.id) {
        const selector = "#" + CSS.escape(node.id);
        if (all(selector).length === 1) {
          parts.unshift(selector);
          return parts.join(" > ");
        }
      }
      let index = 1;
      for (let sibling = node.previousElementSibling; sibling; sibling = sibling.previousElementSibling) {
        if (sibling.tagName === node.tagName) index += 1;
      }
      parts.unshift(node.tagName.toLowerCase() + ":nth-of-type(" + index + ")");
      node = node.parentElement;
    }
    return ["html", ...parts].join(" > ");
  };
  const target = (el) => {
    const r = el.getBoundingClientRect();
    return { path: cssPath(el), label: label(el).slice(0, 80), x: r.left + r.width / 2, y: r.top + r.height / 2 };
  };

  let otp = null;
  let dialog = null;
  try {
    otp = categories.has("twofa") ? otpTargets() : null;
    dialog = categories.has("approval") ? dialogTargets() : null;
  } catch (error) {
    errors.push("targets: " + String(error));
  }

  return {
    href: location.href,
    top: isTop,
    hits,
    errors,
    otp,
    dialog,
    viewport: { width: vw, height: vh },
    ms: performance.now() - started,
  };

  function otpTargets() {
    const targets = signatures.targets || {};
    for (const spec of targets.otp || []) {
      let inputs = null;
      if (spec.split_inputs) inputs = splitGroup(spec.split_inputs);
      else if (spec.element) {
        const found = findElements(spec.element);
        inputs = found.length ? [found[0]] : null;
      }
      if (!inputs) continue;
      const first = inputs[0];
      const maxLength = parseInt(first.getAttribute("maxlength") || "", 10);
      const pattern = /\{(\d)\}/.exec(first.getAttribute("pattern") || "");
      let length = inputs.length > 1 ? inputs.length : null;
      if (length === null && maxLength >= 4 && maxLength <= 8) length = maxLength;
      if (length === null && pattern) length = parseInt(pattern[1], 10);
      const scope = first.form || document;
      let submit = all(targets.submit || "button[type=submit]", scope).find((b) => visible(b) && enabled(b));
      if (!submit && targets.submit_label) {
        submit = all("button, [role=button], input[type=submit], input[type=button]").find(
          (b) => visible(b) && enabled(b) && rx(targets.submit_label).test(label(b)),
        );
      }
      return { inputs: inputs.map(target), length, submit: submit ? target(submit) : null };
    }
    return null;
  }

  function dialogTargets() {
    const confirm = patterns.confirm_label ? "@confirm_label" : "^(confirm|approve)";
    const cancel = patterns.cancel_label ? "@cancel_label" : "^(cancel|deny)";
    const best = dialogs().find((d) => dialogButton(d, confirm) && dialogButton(d, cancel)) || dialogs()[0];
    if (!best) return null;
    const yes = dialogButton(best, confirm);
    const no = dialogButton(best, cancel);
    return { path: cssPath(best.el), confirm: yes ? target(yes) : null, cancel: no ? target(no) : null };
  }
}
