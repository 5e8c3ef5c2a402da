/*
 * convbp backward-pass explorer (the book's appendix "explorer").
 *
 * Plain JavaScript + inline SVG, no dependencies, no network: it works from file://.
 * Jupyter Book adds every *.js file under _static/ to EVERY page, so this script does
 * nothing at all unless the page holds an element with id="convbp-explorer".
 *
 * Geometry, per spatial axis (rows = axis 0, columns = axis 1), as in convbp.geometry:
 *   e = d(k-1) + 1                      extent of one dilated window
 *   O = floor((n + p_lo + p_hi - e)/s) + 1
 *   r = (n + p_lo + p_hi - e) mod s     leftover padded rows no window reaches
 *   (P_lo, P_hi) = (d(k-1) - p_lo, d(k-1) - p_hi + r)   padding of the dilated delta
 * Forward: Y[o] = sum_m W[m] X[s o + d m - p_lo]. Input gradient: dX[a] collects
 * delta[o] W[m] for every (o, m) with s o + d m - p_lo = a. Weight gradient: dW[m]
 * collects delta[o] X[s o + d m - p_lo] for every o whose position is inside X.
 *
 * Scripting interface (indices 0-based, as in convbp):
 *   convbpExplorer.set({input: [H, W], kernel: [kh, kw], stride: [sh, sw],
 *                       padding: [[lo, hi], [lo, hi]], dilation: [dh, dw]})
 *   convbpExplorer.geometry() -> {output: [Oh, Ow], remainder: [rh, rw],
 *                                 dxPadding: [[Plo, Phi], [Plo, Phi]]}
 *   convbpExplorer.inputGradientTerms([i, j])  -> [[[delta row, delta col], [tap row, tap col]], ...]
 *   convbpExplorer.weightGradientTerms([m, n]) -> [[[delta row, delta col], [input row, input col]], ...]
 * URL: ?input=7x6&kernel=3x2&stride=2x3&padding=1,0x2,1&dilation=1x2&view=dx&select=3,2
 *   (padding: "lo,hi" per axis joined by "x"; "1x2" = symmetric per axis; "1" = everywhere).
 */
(function () {
  "use strict";

  var ROOT_ID = "convbp-explorer";
  var SVGNS = "http://www.w3.org/2000/svg";
  var LIMITS = {input: [1, 16], kernel: [1, 7], stride: [1, 4], padding: [0, 4], dilation: [1, 3]};
  var KEYS = ["input", "kernel", "stride", "padding", "dilation"];
  var AXIS = ["rows", "columns"];
  var AXIS1 = ["row", "column"];
  var DT = "\u03b4\u0303";   // delta tilde: dilated delta
  var DH = "\u03b4\u0302";   // delta hat: dilated and padded delta
  var XB = "X\u0304";        // X bar: padded input
  var VIEWS = ["fwd", "dx", "dw"];
  var PRESETS = [
    {label: "Stride 2: a leftover row", spec: {input: [8, 8], kernel: [3, 3], stride: [2, 2],
      padding: [[0, 0], [0, 0]], dilation: [1, 1]}},
    {label: "Stride 3 > kernel 2: skipped rows", spec: {input: [9, 9], kernel: [2, 2],
      stride: [3, 3], padding: [[0, 0], [0, 0]], dilation: [1, 1]}},
    {label: "Dilation 2", spec: {input: [9, 9], kernel: [3, 3], stride: [2, 1],
      padding: [[0, 0], [0, 0]], dilation: [2, 2]}},
    {label: "Asymmetric padding", spec: {input: [7, 7], kernel: [3, 3], stride: [2, 2],
      padding: [[1, 0], [0, 2]], dilation: [1, 1]}},
    {label: "Padding > d(k\u22121): crop", spec: {input: [6, 6], kernel: [2, 2], stride: [1, 2],
      padding: [[2, 2], [2, 0]], dilation: [1, 1]}},
  ];
  var DEFAULT = {input: [8, 7], kernel: [3, 2], stride: [2, 3], padding: [[0, 0], [0, 0]],
    dilation: [1, 1]};

  // ---------------------------------------------------------------- geometry (pure)

  function axisGeometry(n, k, s, lo, hi, d) {
    var e = d * (k - 1) + 1, N = n + lo + hi;
    var g = {n: n, k: k, s: s, lo: lo, hi: hi, d: d, e: e, N: N, fits: e <= N};
    if (!g.fits) return g;
    g.O = Math.floor((N - e) / s) + 1;
    g.r = (N - e) % s;
    g.Plo = d * (k - 1) - lo;
    g.Phi = d * (k - 1) - hi + g.r;
    // status of every padded row q: read by some window, leftover (last r), or skipped
    var read = [];
    for (var q = 0; q < N; q++) read.push(false);
    for (var o = 0; o < g.O; o++) {
      for (var m = 0; m < k; m++) read[s * o + d * m] = true;
    }
    g.status = read.map(function (isRead, q) {
      return isRead ? "read" : (q >= N - g.r ? "leftover" : "skipped");
    });
    return g;
  }

  function geometryOf(st) {
    return [0, 1].map(function (ax) {
      return axisGeometry(st.input[ax], st.kernel[ax], st.stride[ax], st.padding[ax][0],
                          st.padding[ax][1], st.dilation[ax]);
    });
  }

  // (o, m) pairs of one axis with s*o + d*m - p_lo = a
  function axisInputTerms(g, a) {
    var out = [];
    for (var o = 0; o < g.O; o++) {
      var t = a + g.lo - g.s * o;
      if (t >= 0 && t % g.d === 0 && t / g.d < g.k) out.push([o, t / g.d]);
    }
    return out;
  }

  // (o, a) pairs of one axis for tap m, a = s*o + d*m - p_lo inside the input
  function axisWeightTerms(g, m) {
    var out = [];
    for (var o = 0; o < g.O; o++) {
      var a = g.s * o + g.d * m - g.lo;
      if (a >= 0 && a < g.n) out.push([o, a]);
    }
    return out;
  }

  function product(rows, cols) {
    var out = [];
    rows.forEach(function (u) {
      cols.forEach(function (v) { out.push([[u[0], v[0]], [u[1], v[1]]]); });
    });
    return out;
  }

  function fitError(geo) {
    for (var ax = 0; ax < 2; ax++) {
      var g = geo[ax];
      if (!g.fits) {
        return "The kernel does not fit along the " + AXIS[ax] + ": with k = " + g.k +
          " and d = " + g.d + " one window spans e = d(k\u22121)+1 = " + g.e + " " + AXIS[ax] +
          ", but the padded input has only n + p_lo + p_hi = " + g.n + " + " + g.lo + " + " +
          g.hi + " = " + g.N + ". There is no output. Enlarge the input or the padding, or " +
          "shrink the kernel or the dilation.";
      }
    }
    return null;
  }

  // ---------------------------------------------------------------- validation, URL

  function isInt(v) { return typeof v === "number" && Math.floor(v) === v && isFinite(v); }

  function checkSpec(spec, where) {
    if (spec === null || typeof spec !== "object" || Array.isArray(spec)) {
      throw new TypeError(where + ": expected an object such as {stride: [2, 2]}, got " +
                          JSON.stringify(spec));
    }
    var out = {};
    Object.keys(spec).forEach(function (key) {
      if (KEYS.indexOf(key) < 0) {
        throw new TypeError(where + ": unknown parameter " + JSON.stringify(key) +
                            " (known: " + KEYS.join(", ") + ")");
      }
      var v = spec[key], lim = LIMITS[key];
      var want = key === "padding" ?
        "two [lo, hi] pairs of integers in " + lim[0] + ".." + lim[1] :
        "two integers in " + lim[0] + ".." + lim[1];
      var bad = function (Err) {
        return new Err(where + ": " + key + " must be " + want + " (rows, columns), got " +
                       JSON.stringify(v));
      };
      if (!Array.isArray(v) || v.length !== 2) throw bad(TypeError);
      var flat = key === "padding" ? [] : v;
      if (key === "padding") {
        v.forEach(function (p) {
          if (!Array.isArray(p) || p.length !== 2) throw bad(TypeError);
          flat = flat.concat(p);
        });
      }
      flat.forEach(function (x) {
        if (!isInt(x)) throw bad(TypeError);
        if (x < lim[0] || x > lim[1]) throw bad(RangeError);
      });
      out[key] = key === "padding" ? [[v[0][0], v[0][1]], [v[1][0], v[1][1]]] : [v[0], v[1]];
    });
    return out;
  }

  function parseInts(text) {
    var parts = text.split(",");
    var out = [];
    for (var i = 0; i < parts.length; i++) {
      if (!/^\s*\d+\s*$/.test(parts[i])) return null;
      out.push(parseInt(parts[i], 10));
    }
    return out;
  }

  // "7x6" -> [7, 6]; "7" -> [7, 7]; padding "1,0x2,1" -> [[1,0],[2,1]], "1x2" -> [[1,1],[2,2]]
  function parseParam(key, text) {
    var axes = text.trim().toLowerCase().split("x");
    if (axes.length === 1) axes = [axes[0], axes[0]];
    if (axes.length !== 2) return null;
    var v = [];
    for (var ax = 0; ax < 2; ax++) {
      var ints = parseInts(axes[ax]);
      if (!ints) return null;
      if (key === "padding") {
        if (ints.length === 1) ints = [ints[0], ints[0]];
        if (ints.length !== 2) return null;
        v.push(ints);
      } else {
        if (ints.length !== 1) return null;
        v.push(ints[0]);
      }
    }
    return v;
  }

  function formatParam(key, v) {
    if (key === "padding") return v[0].join(",") + "x" + v[1].join(",");
    return v[0] + "x" + v[1];
  }

  function readUrl(search) {
    var params = new URLSearchParams(search);
    var spec = {}, problems = [], extra = {};
    KEYS.forEach(function (key) {
      if (!params.has(key)) return;
      var text = params.get(key);
      var v = parseParam(key, text);
      try {
        if (v === null) throw new TypeError("unreadable");
        var one = {};
        one[key] = v;
        spec[key] = checkSpec(one, "URL")[key];
      } catch (err) {
        var lim = LIMITS[key];
        problems.push(key + "=" + text + " (expected " +
          (key === "padding" ? "lo,hi x lo,hi, e.g. padding=1,0x2,1" : "rows x columns, e.g. " +
           key + "=" + lim[1] + "x" + lim[0]) + ", values " + lim[0] + "\u2013" + lim[1] + ")");
      }
    });
    if (params.has("view")) {
      var view = params.get("view");
      if (VIEWS.indexOf(view) >= 0) extra.view = view;
      else problems.push("view=" + view + " (expected fwd, dx or dw)");
    }
    if (params.has("select")) {
      var sel = parseInts(params.get("select"));
      if (sel && sel.length === 2) extra.select = sel;
      else problems.push("select=" + params.get("select") + " (expected i,j)");
    }
    return {spec: spec, problems: problems, extra: extra};
  }

  // ---------------------------------------------------------------- DOM helpers

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    setAttrs(node, attrs);
    append(node, children);
    return node;
  }

  function sv(tag, attrs, children) {
    var node = document.createElementNS(SVGNS, tag);
    setAttrs(node, attrs);
    append(node, children);
    return node;
  }

  function setAttrs(node, attrs) {
    if (!attrs) return;
    Object.keys(attrs).forEach(function (k) {
      if (attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) {
        node.setAttribute(k, attrs[k]);
      }
    });
  }

  function append(node, children) {
    if (children === null || children === undefined) return;
    if (!Array.isArray(children)) children = [children];
    children.forEach(function (c) {
      if (c === null || c === undefined || c === false) return;
      if (Array.isArray(c)) { append(node, c); return; }
      node.appendChild(typeof c === "string" || typeof c === "number" ?
                       document.createTextNode(String(c)) : c);
    });
  }

  function sub(base, s) { return [base, el("sub", null, s)]; }

  // "P_lo", "dil_s", "\u22c6_1,d": the part after "_" becomes a subscript
  function rich(text) {
    if (Array.isArray(text)) return text.map(function (t) { return typeof t === "string" ? rich(t) : t; });
    if (typeof text !== "string") return text;
    var out = [], re = /_(lo|hi|s|1,d|d,1)(?![A-Za-z0-9])/g, last = 0, mt;
    while ((mt = re.exec(text)) !== null) {
      out.push(text.slice(last, mt.index), el("sub", null, mt[1]));
      last = re.lastIndex;
    }
    out.push(text.slice(last));
    return out;
  }

  function idx(v) { return "[" + v.join(",") + "]"; }

  // Rewrite every "x_lo"-style text node under node (outside SVG and form controls).
  function richify(node) {
    var walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT, {
      acceptNode: function (t) {
        if (!/_(lo|hi|s|1,d|d,1)(?![A-Za-z0-9])/.test(t.nodeValue)) return NodeFilter.FILTER_SKIP;
        return t.parentNode.closest("svg, select, option, code") ?
          NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT;
      }});
    var found = [];
    while (walker.nextNode()) found.push(walker.currentNode);
    found.forEach(function (t) {
      var frag = document.createDocumentFragment();
      append(frag, rich(t.nodeValue));
      t.parentNode.replaceChild(frag, t);
    });
  }

  var svgCount = 0;

  /*
   * One grid of cells as an SVG. o: {name, rows, cols, title, rowLabel(i), colLabel(j),
   * rowMark(i), colMark(j) ("leftover" | "skipped" | ""), cls(i, j), text(i, j),
   * unread(i, j), aria(i, j), onSelect(i, j) (makes the cells buttons), selected [i, j],
   * outlines [{i, j, h, w, cls}]}.
   */
  function esc(v) {
    return String(v).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;");
  }

  function tag(name, attrs, content) {
    var out = "<" + name;
    Object.keys(attrs).forEach(function (k) {
      if (attrs[k] !== null && attrs[k] !== undefined) out += " " + k + '="' + esc(attrs[k]) + '"';
    });
    return out + (content === undefined ? "/>" : ">" + esc(content) + "</" + name + ">");
  }

  function grid(o) {
    // built as one SVG string and parsed once: much faster than node by node
    var c = 26, lw = 22, mw = 11, th = 16;
    var left = lw + mw + 2, top = th + mw + 2;
    var W = left + o.cols * c + 2, H = top + o.rows * c + 2;
    var pid = "cbx-hatch-" + (++svgCount);
    var mid = {"text-anchor": "middle", "dominant-baseline": "central"};
    var parts = [];
    function add(name, attrs, content) {
      if (attrs.center) { delete attrs.center; Object.keys(mid).forEach(function (k) { attrs[k] = mid[k]; }); }
      parts.push(tag(name, attrs, content));
    }
    parts.push('<defs><pattern id="' + pid + '" width="6" height="6" ' +
      'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">' +
      '<rect width="6" height="6" class="cbx-hatch-bg"/>' +
      '<line x1="1" y1="0" x2="1" y2="6" class="cbx-hatch-line"/></pattern></defs>');
    var i, j;
    for (i = 0; i < o.rows; i++) {
      var y = top + i * c;
      var rl = o.rowLabel ? o.rowLabel(i) : String(i);
      if (rl !== "") {
        add("text", {x: lw - 3, y: y + c / 2, "class": "cbx-axis", "text-anchor": "end",
          "dominant-baseline": "central"}, rl);
      }
      var rm = o.rowMark ? o.rowMark(i) : "";
      if (rm) {
        add("rect", {x: lw, y: y + 1, width: mw, height: c - 2,
          "class": "cbx-mark cbx-mark-" + rm, "data-mark": rm, "data-mark-axis": 0,
          "data-index": i});
        add("text", {x: lw + mw / 2, y: y + c / 2, "class": "cbx-mark-text", center: 1},
            rm[0].toUpperCase());
      }
    }
    for (j = 0; j < o.cols; j++) {
      var x = left + j * c;
      var cl = o.colLabel ? o.colLabel(j) : String(j);
      if (cl !== "") {
        add("text", {x: x + c / 2, y: th - 4, "class": "cbx-axis", "text-anchor": "middle"}, cl);
      }
      var cm = o.colMark ? o.colMark(j) : "";
      if (cm) {
        add("rect", {x: x + 1, y: th, width: c - 2, height: mw,
          "class": "cbx-mark cbx-mark-" + cm, "data-mark": cm, "data-mark-axis": 1,
          "data-index": j});
        add("text", {x: x + c / 2, y: th + mw / 2, "class": "cbx-mark-text", center: 1},
            cm[0].toUpperCase());
      }
    }
    var sel = o.selected;
    var stop = sel || [0, 0];
    for (i = 0; i < o.rows; i++) {
      for (j = 0; j < o.cols; j++) {
        var isSel = sel && sel[0] === i && sel[1] === j;
        var cls = "cbx-cell " + (o.cls ? o.cls(i, j) : "") + (isSel ? " is-sel" : "");
        var attrs = {x: left + j * c + 1, y: top + i * c + 1, width: c - 2, height: c - 2,
          rx: 2, "class": cls, "data-i": i, "data-j": j};
        if (o.unread && o.unread(i, j) && !isSel && cls.indexOf("is-term") < 0 &&
            cls.indexOf("is-window") < 0) {
          attrs.style = "fill:url(#" + pid + ")";
          attrs["class"] += " is-unread";
        }
        if (o.onSelect) {
          attrs.role = "button";
          attrs.tabindex = (stop[0] === i && stop[1] === j) ? 0 : -1;
          attrs["aria-pressed"] = isSel ? "true" : "false";
          attrs["aria-label"] = o.aria ? o.aria(i, j) : (i + "," + j);
        }
        var term = o.term ? o.term(i, j) : null;
        if (term !== null && term !== undefined) attrs["data-term"] = term;
        add("rect", attrs);
        var t = o.text ? o.text(i, j) : "";
        if (t !== "" && t !== null && t !== undefined) {
          add("text", {x: left + j * c + c / 2, y: top + i * c + c / 2, center: 1,
            "class": "cbx-cell-text" + (String(t).length > 2 ? " is-small" : "")}, String(t));
        }
      }
    }
    (o.outlines || []).forEach(function (b) {
      add("rect", {x: left + b.j * c - 0.5, y: top + b.i * c - 0.5, width: b.w * c + 1,
        height: b.h * c + 1, rx: 3, "class": "cbx-outline " + (b.cls || "")});
    });
    var holder = document.createElement("div");
    holder.innerHTML = tag("svg", {xmlns: SVGNS, viewBox: "0 0 " + W + " " + H, width: W,
      height: H, "class": "cbx-svg", "data-grid": o.name, role: o.onSelect ? "group" : "img",
      "aria-label": o.title}, "").replace("></svg>", ">" + parts.join("") + "</svg>");
    var svg = holder.firstChild;
    if (o.onSelect) {
      svg.addEventListener("click", function (ev) {
        var t = ev.target.closest("[data-i]");
        if (t) o.onSelect(+t.getAttribute("data-i"), +t.getAttribute("data-j"));
      });
      svg.addEventListener("keydown", function (ev) {
        var t = ev.target;
        if (!t.hasAttribute || !t.hasAttribute("data-i")) return;
        var i0 = +t.getAttribute("data-i"), j0 = +t.getAttribute("data-j"), ni = i0, nj = j0;
        switch (ev.key) {
          case "ArrowUp": ni--; break;
          case "ArrowDown": ni++; break;
          case "ArrowLeft": nj--; break;
          case "ArrowRight": nj++; break;
          case "Home": nj = 0; break;
          case "End": nj = o.cols - 1; break;
          case "Enter": case " ": case "Spacebar":
            ev.preventDefault();
            o.onSelect(i0, j0);
            return;
          default: return;
        }
        ev.preventDefault();
        ni = Math.max(0, Math.min(o.rows - 1, ni));
        nj = Math.max(0, Math.min(o.cols - 1, nj));
        var next = svg.querySelector('[data-i="' + ni + '"][data-j="' + nj + '"]');
        if (next && next !== t) {
          t.setAttribute("tabindex", -1);
          next.setAttribute("tabindex", 0);
          next.focus();
        }
      });
    }
    return svg;
  }

  function panel(title, svg, note) {
    return el("figure", {"class": "cbx-panel"}, [
      el("figcaption", {"class": "cbx-panel-title"}, rich(title)), svg,
      note ? el("p", {"class": "cbx-panel-note"}, rich(note)) : null]);
  }

  function termBadge(n) { return el("span", {"class": "cbx-badge"}, String(n)); }

  // ---------------------------------------------------------------- the explorer

  function start() {
    var root = document.getElementById(ROOT_ID);
    if (!root || root.getAttribute("data-cbx-ready")) return;
    root.setAttribute("data-cbx-ready", "1");
    root.classList.add("cbx-root");
    root.innerHTML = "";

    var state = JSON.parse(JSON.stringify(DEFAULT));
    state.view = "dx";
    state.sel = {fwd: null, dx: null, dw: null};
    var geo = geometryOf(state);
    var urlProblems = [];

    var url = readUrl(window.location.search);
    Object.keys(url.spec).forEach(function (k) { state[k] = url.spec[k]; });
    urlProblems = url.problems;
    if (url.extra.view) state.view = url.extra.view;
    geo = geometryOf(state);
    if (url.extra.select) state.sel[state.view] = url.extra.select;

    // ---- static skeleton: controls, presets, readout, tabs, view
    var selects = {};
    function makeSelect(key, ax, side) {
      var lim = LIMITS[key], opts = [];
      for (var v = lim[0]; v <= lim[1]; v++) opts.push(el("option", {value: v}, String(v)));
      var name = key + (side === null ? "" : side === 0 ? " low" : " high") + ", " + AXIS[ax];
      var s = el("select", {"class": "cbx-select", "aria-label": name,
        "data-key": key, "data-axis": ax, "data-side": side === null ? "" : side}, opts);
      s.addEventListener("change", function () {
        var spec = {};
        var v2 = JSON.parse(JSON.stringify(state[key]));
        if (side === null) v2[ax] = +s.value; else v2[ax][side] = +s.value;
        spec[key] = v2;
        update(spec, false);
      });
      selects[key + ax + (side === null ? "" : side)] = s;
      return s;
    }
    var rowsSpec = [
      ["input", null, ["input size ", el("i", null, "n")]],
      ["kernel", null, ["kernel size ", el("i", null, "k")]],
      ["stride", null, ["stride ", el("i", null, "s")]],
      ["padding", 0, ["padding ", sub(el("i", null, "p"), "lo")]],
      ["padding", 1, ["padding ", sub(el("i", null, "p"), "hi")]],
      ["dilation", null, ["dilation ", el("i", null, "d")]],
    ];
    var controls = el("table", {"class": "cbx-controls"}, [
      el("thead", null, el("tr", null, [el("th", null, ""), el("th", {scope: "col"}, "rows"),
                                        el("th", {scope: "col"}, "columns")])),
      el("tbody", null, rowsSpec.map(function (r) {
        return el("tr", null, [el("th", {scope: "row"}, r[2]),
          el("td", null, makeSelect(r[0], 0, r[1])), el("td", null, makeSelect(r[0], 1, r[1]))]);
      }))]);
    var presets = el("div", {"class": "cbx-presets", role: "group", "aria-label": "examples"},
      [el("span", {"class": "cbx-presets-label"}, "Examples:")].concat(
        PRESETS.map(function (p) {
          var b = el("button", {type: "button", "class": "cbx-button"}, p.label);
          b.addEventListener("click", function () { update(p.spec, true); });
          return b;
        })));
    var message = el("div", {"class": "cbx-message", role: "alert", "aria-live": "polite"});
    var readout = el("div", {"class": "cbx-readout", "aria-live": "polite"});
    var share = el("a", {"class": "cbx-share", href: "#"}, "Link to this geometry");
    var tabs = el("div", {"class": "cbx-tabs", role: "tablist", "aria-label": "views"});
    var tabButtons = {};
    [["fwd", "Forward windows"], ["dx", "Input gradient \u2202L/\u2202X"],
     ["dw", "Weight gradient \u2202L/\u2202W"]].forEach(function (t) {
      var b = el("button", {type: "button", role: "tab", "class": "cbx-tab", "data-view": t[0],
                            id: "cbx-tab-" + t[0], "aria-controls": "cbx-view"}, t[1]);
      b.addEventListener("click", function () { state.view = t[0]; render(); });
      b.addEventListener("keydown", function (ev) {
        var i = VIEWS.indexOf(t[0]);
        if (ev.key === "ArrowRight" || ev.key === "ArrowLeft") {
          ev.preventDefault();
          var nv = VIEWS[(i + (ev.key === "ArrowRight" ? 1 : 2)) % 3];
          state.view = nv;
          render();
          tabButtons[nv].focus();
        }
      });
      tabButtons[t[0]] = b;
      tabs.appendChild(b);
    });
    var view = el("div", {"class": "cbx-view", id: "cbx-view", role: "tabpanel"});
    append(root, [
      el("div", {"class": "cbx-top"}, [
        el("div", {"class": "cbx-controls-box"}, [controls]),
        el("div", {"class": "cbx-readout-box"}, [readout, share])]),
      presets, message, tabs, view]);

    // ---- state changes

    function centre(dims) { return [Math.floor((dims[0] - 1) / 2), Math.floor((dims[1] - 1) / 2)]; }

    function dimsOf(v) {
      if (v === "fwd") return [geo[0].O, geo[1].O];
      if (v === "dx") return [state.input[0], state.input[1]];
      return [state.kernel[0], state.kernel[1]];
    }

    function fixSelections() {
      if (fitError(geo)) return;
      VIEWS.forEach(function (v) {
        var dims = dimsOf(v), s = state.sel[v];
        if (!s || s[0] >= dims[0] || s[1] >= dims[1] || s[0] < 0 || s[1] < 0) {
          state.sel[v] = centre(dims);
        }
      });
    }

    function update(spec, fromPreset, later) {
      var checked = checkSpec(spec, "convbpExplorer.set");
      Object.keys(checked).forEach(function (k) { state[k] = checked[k]; });
      geo = geometryOf(state);
      if (fromPreset) state.sel = {fwd: null, dx: null, dw: null};
      urlProblems = [];
      fixSelections();
      if (later) renderSoon(); else render();
    }

    function query() {
      var parts = KEYS.map(function (k) { return k + "=" + formatParam(k, state[k]); });
      parts.push("view=" + state.view);
      var s = state.sel[state.view];
      if (s && !fitError(geo)) parts.push("select=" + s.join(","));
      return "?" + parts.join("&");
    }

    // ---- rendering

    var lastFocus = null, urlTimer = null, pending = false;

    // convbpExplorer.set() redraws on the next frame, so a script that sets many
    // geometries in a row pays for one drawing; clicks and controls redraw at once.
    function renderSoon() {
      if (pending) return;
      pending = true;
      var flush = function () { if (pending) render(); };
      window.requestAnimationFrame(flush);
      window.setTimeout(flush, 100);
    }

    function render() {
      pending = false;
      fixSelections();
      var active = document.activeElement;
      lastFocus = null;
      if (active && root.contains(active) && active.hasAttribute("data-i")) {
        var svg = active.closest("svg");
        lastFocus = {grid: svg.getAttribute("data-grid"), i: active.getAttribute("data-i"),
                     j: active.getAttribute("data-j")};
      }
      Object.keys(selects).forEach(function (key) {
        var s = selects[key], k = s.getAttribute("data-key"), ax = +s.getAttribute("data-axis");
        var side = s.getAttribute("data-side");
        s.value = String(side === "" ? state[k][ax] : state[k][ax][+side]);
      });
      VIEWS.forEach(function (v) {
        tabButtons[v].setAttribute("aria-selected", v === state.view ? "true" : "false");
        tabButtons[v].setAttribute("tabindex", v === state.view ? 0 : -1);
      });
      view.setAttribute("aria-labelledby", "cbx-tab-" + state.view);
      var q = query();
      share.setAttribute("href", q + "#" + ROOT_ID);
      // the address follows the geometry (after a pause: browsers throttle replaceState)
      window.clearTimeout(urlTimer);
      urlTimer = window.setTimeout(function () {
        try {
          window.history.replaceState(null, "", q + window.location.hash);
        } catch (err) { /* some browsers refuse on file://; the link above still works */ }
      }, 250);
      renderReadout();
      var err = fitError(geo);
      message.innerHTML = "";
      if (urlProblems.length) {
        append(message, el("p", {"class": "cbx-warn"}, "Ignored URL parameters: " +
          urlProblems.join("; ") + "."));
      }
      if (err) append(message, el("p", {"class": "cbx-error"}, err));
      message.style.display = message.firstChild ? "" : "none";
      view.innerHTML = "";
      tabs.style.display = err ? "none" : "";
      view.style.display = err ? "none" : "";
      if (!err) {
        if (state.view === "fwd") renderForward();
        else if (state.view === "dx") renderInputGradient();
        else renderWeightGradient();
      }
      richify(root);
      if (lastFocus) {
        var again = root.querySelector('svg[data-grid="' + lastFocus.grid + '"] [data-i="' +
          lastFocus.i + '"][data-j="' + lastFocus.j + '"]');
        if (again) {
          var old = again.closest("svg").querySelector('[tabindex="0"]');
          if (old) old.setAttribute("tabindex", -1);
          again.setAttribute("tabindex", 0);
          again.focus();
        }
      }
    }

    function unreadList(g) {
      var lists = {leftover: [], skipped: []};
      if (!g.fits) return lists;
      g.status.forEach(function (st, q) {
        if (st === "read") return;
        var a = q - g.lo;
        lists[st].push(a >= 0 && a < g.n ? String(a) : "pad");
      });
      return lists;
    }

    function describeRows(list, g) {
      if (!g.fits) return "\u2014";
      if (!list.length) return "none";
      var real = list.filter(function (x) { return x !== "pad"; });
      var pads = list.length - real.length;
      var parts = [];
      if (real.length) parts.push(real.join(", "));
      if (pads) parts.push(pads + " padding");
      return parts.join(" + ");
    }

    function renderReadout() {
      readout.innerHTML = "";
      var rows = [
        ["e = d(k\u22121)+1", "window extent", function (g) { return g.e; }],
        ["O", "outputs", function (g) { return g.fits ? g.O : "\u2014"; }],
        ["r", "leftover padded rows", function (g) { return g.fits ? g.r : "\u2014"; }],
        [["(", sub("P", "lo"), ", ", sub("P", "hi"), ")"], "padding of " + DT + " for \u2202L/\u2202X",
          function (g) { return g.fits ? "(" + g.Plo + ", " + g.Phi + ")" : "\u2014"; }],
        ["leftover", "input rows never read, at the end",
          function (g) { return describeRows(unreadList(g).leftover, g); }],
        ["skipped", "input rows never read, between taps or windows",
          function (g) { return describeRows(unreadList(g).skipped, g); }],
      ];
      var table = el("table", {"class": "cbx-geometry"}, [
        el("thead", null, el("tr", null, [el("th", null, ""), el("th", {scope: "col"}, "rows"),
                                          el("th", {scope: "col"}, "columns")])),
        el("tbody", null, rows.map(function (r) {
          return el("tr", {"data-quantity": typeof r[0] === "string" ? r[0].split(" ")[0] : "P"}, [
            el("th", {scope: "row", title: r[1]}, r[0]),
            el("td", {"data-axis": 0}, String(r[2](geo[0]))),
            el("td", {"data-axis": 1}, String(r[2](geo[1])))]);
        }))]);
      var how = el("details", {"class": "cbx-how"}, [
        el("summary", null, "How these are computed"),
        el("ul", null, [0, 1].map(function (ax) {
          var g = geo[ax];
          if (!g.fits) return el("li", null, AXIS[ax] + ": the window does not fit.");
          var sum = g.n + "+" + g.lo + "+" + g.hi + "\u2212" + g.e;
          return el("li", null, AXIS[ax] + ": e = " + g.d + "\u00b7(" + g.k + "\u22121)+1 = " +
            g.e + "; O = \u230a(" + sum + ")/" + g.s + "\u230b+1 = " + g.O + "; r = (" + sum +
            ") mod " + g.s + " = " + g.r + "; (P_lo, P_hi) = (" + (g.e - 1) + "\u2212" + g.lo +
            ", " + (g.e - 1) + "\u2212" + g.hi + "+" + g.r + ") = (" + g.Plo + ", " + g.Phi + ")");
        }))]);
      append(readout, [table, how]);
    }

    function legend(items) {
      var has = function (kind) {
        return geo.some(function (g) { return g.status.indexOf(kind) >= 0; });
      };
      var hasPad = geo.some(function (g) { return g.lo + g.hi > 0; });
      items = items.filter(function (k) {
        if (k === "unread") return has("leftover") || has("skipped");
        if (k === "leftover" || k === "skipped") return has(k);
        if (k === "pad") return hasPad || state.view === "dx";
        if (k === "zero") return geo.some(function (g) { return g.s > 1; });
        return true;
      });
      var all = {
        pad: ["cbx-sw is-pad", "padding (zeros)"],
        sel: ["cbx-sw is-sel", "selected"],
        window: ["cbx-sw is-window", "taps of the window"],
        term: ["cbx-sw is-term", "meets the selected cell (numbered)"],
        padterm: ["cbx-sw is-padterm", "lands on padding: no term"],
        delta: ["cbx-sw is-delta", "an entry of \u03b4"],
        zero: ["cbx-sw is-zero", "inserted zero"],
        cropped: ["cbx-sw is-cropped", "cropped away"],
        unread: ["cbx-sw is-unread-sw", "never read by the forward pass: gradient 0"],
        leftover: ["cbx-sw cbx-mark-leftover", "L: leftover (last r rows)"],
        skipped: ["cbx-sw cbx-mark-skipped", "S: skipped (between taps or windows)"],
      };
      return el("ul", {"class": "cbx-legend"}, items.map(function (k) {
        return el("li", null, [el("span", {"class": all[k][0], "aria-hidden": "true"}),
                               all[k][1]]);
      }));
    }

    function select(v) {
      return function (i, j) { state.sel[v] = [i, j]; render(); };
    }

    function paddedMark(ax) { return function (q) {
      var st = geo[ax].status[q]; return st === "read" ? "" : st; }; }
    function inputMark(ax) { return function (a) {
      var st = geo[ax].status[a + geo[ax].lo]; return st === "read" ? "" : st; }; }
    function isPadQ(ax, q) { return q < geo[ax].lo || q >= geo[ax].lo + geo[ax].n; }
    function paddedLabel(ax) { return function (q) {
      return isPadQ(ax, q) ? "" : String(q - geo[ax].lo); }; }

    // -- forward windows
    function renderForward() {
      var g0 = geo[0], g1 = geo[1], sel = state.sel.fwd;
      var taps = {};
      var terms = [], padTaps = 0;
      for (var m0 = 0; m0 < g0.k; m0++) {
        for (var m1 = 0; m1 < g1.k; m1++) {
          var q0 = g0.s * sel[0] + g0.d * m0, q1 = g1.s * sel[1] + g1.d * m1;
          taps[q0 + "," + q1] = [m0, m1];
          if (isPadQ(0, q0) || isPadQ(1, q1)) padTaps++;
          else terms.push("W" + idx([m0, m1]) + "\u00b7X" + idx([q0 - g0.lo, q1 - g1.lo]));
        }
      }
      var padded = grid({name: "fwd-input", rows: g0.N, cols: g1.N,
        title: "padded input " + XB + ", " + g0.N + " by " + g1.N,
        rowLabel: paddedLabel(0), colLabel: paddedLabel(1),
        rowMark: paddedMark(0), colMark: paddedMark(1),
        unread: function (i, j) { return g0.status[i] !== "read" || g1.status[j] !== "read"; },
        cls: function (i, j) {
          var pad = isPadQ(0, i) || isPadQ(1, j), t = taps[i + "," + j];
          return (pad ? "is-pad" : "") + (t ? (pad ? " is-window is-padterm" : " is-window") : "");
        },
        text: function (i, j) { var t = taps[i + "," + j]; return t ? t.join(",") : ""; },
        term: function (i, j) { var t = taps[i + "," + j]; return t ? t.join(",") : null; },
        outlines: [{i: g0.s * sel[0], j: g1.s * sel[1], h: g0.e, w: g1.e, cls: "is-window"}]});
      var out = grid({name: "fwd-output", rows: g0.O, cols: g1.O,
        title: "output Y, " + g0.O + " by " + g1.O + "; choose an output",
        selected: sel, onSelect: select("fwd"),
        aria: function (i, j) { return "output Y" + idx([i, j]); }});
      append(view, [
        el("p", {"class": "cbx-hint"}, "Click (or Tab to, then Enter) an output of Y to see " +
          "the window of the padded input it reads. Cell labels in the window are kernel taps m."),
        el("div", {"class": "cbx-panels"}, [
          panel(["Y, ", g0.O, " \u00d7 ", g1.O], out),
          panel(["padded input " + XB + ", " + g0.N + " \u00d7 " + g1.N], padded)]),
        el("p", {"class": "cbx-sum", "data-role": "forward-sum"}, [
          "Y" + idx(sel) + " = " + (terms.length ? terms.join(" + ") : "0"),
          padTaps ? el("span", {"class": "cbx-muted"}, "  (" + padTaps + " of " +
            (g0.k * g1.k) + " taps read padding zeros)") : null]),
        el("p", {"class": "cbx-note"}, "The window starts at padded position (s\u00b7o) = (" +
          (g0.s * sel[0]) + ", " + (g1.s * sel[1]) + ") and spans e = " + g0.e + " \u00d7 " +
          g1.e + "; its taps are d = " + g0.d + ", " + g1.d + " apart. Rows and columns no " +
          "window reads are hatched and marked L (leftover) or S (skipped)."),
        legend(["sel", "window", "pad", "unread", "leftover", "skipped"])]);
    }

    // -- input gradient
    function inputTerms(a) { return product(axisInputTerms(geo[0], a[0]), axisInputTerms(geo[1], a[1])); }

    function whyZero(a) {
      var reasons = [];
      [0, 1].forEach(function (ax) {
        var g = geo[ax], st = g.status[a[ax] + g.lo];
        if (st === "leftover") {
          reasons.push(AXIS1[ax] + " " + a[ax] + " is a leftover " + AXIS1[ax] + " (one of the " +
            "last r = " + g.r + " padded " + AXIS[ax] + ", which no window reaches)");
        } else if (st === "skipped") {
          reasons.push(AXIS1[ax] + " " + a[ax] + " is skipped (it falls between the taps or " +
            "the windows: stride s = " + g.s + ", dilation d = " + g.d + ")");
        }
      });
      return reasons.join(" and ");
    }

    function renderInputGradient() {
      var g0 = geo[0], g1 = geo[1], a = state.sel.dx;
      var terms = inputTerms(a);
      var byDelta = {}, byTap = {};
      terms.forEach(function (t, n) { byDelta[t[0].join(",")] = n + 1; byTap[t[1].join(",")] = n + 1; });
      var unread = function (i, j) {
        return g0.status[i + g0.lo] !== "read" || g1.status[j + g1.lo] !== "read";
      };
      var xg = grid({name: "dx-input", rows: g0.n, cols: g1.n,
        title: "input X, " + g0.n + " by " + g1.n + "; choose a pixel",
        rowMark: inputMark(0), colMark: inputMark(1), unread: unread,
        selected: a, onSelect: select("dx"),
        aria: function (i, j) { return "input pixel X" + idx([i, j]); }});
      var dg = grid({name: "dx-delta", rows: g0.O, cols: g1.O, title: "delta",
        cls: function (i, j) { return byDelta[i + "," + j] ? "is-delta is-term" : "is-delta"; },
        text: function (i, j) { return byDelta[i + "," + j] || ""; },
        term: function (i, j) { return byDelta[i + "," + j] || null; }});
      var wg = grid({name: "dx-kernel", rows: g0.k, cols: g1.k, title: "kernel W",
        cls: function (i, j) { return byTap[i + "," + j] ? "is-term" : ""; },
        text: function (i, j) { return byTap[i + "," + j] || ""; },
        term: function (i, j) { return byTap[i + "," + j] || null; }});
      var sum = el("p", {"class": "cbx-sum", "data-role": "dx-sum"},
        ["\u2202L/\u2202X" + idx(a) + " = "]);
      if (terms.length) {
        terms.forEach(function (t, n) {
          if (n) append(sum, " + ");
          append(sum, el("span", {"class": "cbx-term"}, [termBadge(n + 1),
            "\u03b4" + idx(t[0]) + "\u00b7W" + idx(t[1])]));
        });
      } else {
        append(sum, ["0", el("span", {"class": "cbx-muted"}, ": " + whyZero(a) + ".")]);
      }
      append(view, [
        el("p", {"class": "cbx-hint"}, "Click (or Tab to, then Enter) an input pixel. " +
          "Numbered cells of \u03b4 and W meet at that pixel: each \u03b4[o] stamps a copy of W " +
          "at input position s\u00b7o \u2212 p_lo."),
        el("div", {"class": "cbx-panels"}, [
          panel(["input X, ", g0.n, " \u00d7 ", g1.n], xg),
          panel(["\u03b4 = \u2202L/\u2202Y, ", g0.O, " \u00d7 ", g1.O], dg),
          panel(["kernel W, ", g0.k, " \u00d7 ", g1.k], wg)]),
        sum,
        legend(["sel", "term", "delta", "unread", "leftover", "skipped"]),
        renderRecipe(a, terms)]);
    }

    function renderRecipe(a, terms) {
      var g0 = geo[0], g1 = geo[1];
      var dil = [g0.s * (g0.O - 1) + 1, g1.s * (g1.O - 1) + 1];
      var hat = [g0.n + g0.d * (g0.k - 1), g1.n + g1.d * (g1.k - 1)];
      var byDelta = {};
      terms.forEach(function (t, n) { byDelta[t[0].join(",")] = n + 1; });
      // delta tilde: position t holds delta[t/s] when t is a multiple of s
      function tildeCell(ax, t) {
        var g = geo[ax];
        if (t < 0 || t >= dil[ax]) return null;
        return t % g.s === 0 ? t / g.s : -1;      // -1 = inserted zero
      }
      function croppedT(ax, t) { return t < -geo[ax].Plo || t >= dil[ax] + geo[ax].Phi; }
      var tg = grid({name: "dx-dilated", rows: dil[0], cols: dil[1], title: "dilated delta",
        cls: function (i, j) {
          var u = tildeCell(0, i), v = tildeCell(1, j), c = "";
          if (u >= 0 && v >= 0) c = byDelta[u + "," + v] ? "is-delta is-term" : "is-delta";
          else c = "is-zero";
          if (croppedT(0, i) || croppedT(1, j)) c += " is-cropped";
          return c;
        },
        text: function (i, j) {
          var u = tildeCell(0, i), v = tildeCell(1, j);
          if (u >= 0 && v >= 0 && byDelta[u + "," + v]) return byDelta[u + "," + v];
          return croppedT(0, i) || croppedT(1, j) ? "\u00d7" : "";
        },
        term: function (i, j) {
          var u = tildeCell(0, i), v = tildeCell(1, j);
          return u >= 0 && v >= 0 && byDelta[u + "," + v] ? byDelta[u + "," + v] : null;
        }});
      // delta hat: position q holds delta tilde at q - P_lo
      function hatKind(ax, q) {
        var t = q - geo[ax].Plo;
        if (t < 0 || t >= dil[ax]) return "pad";
        var u = tildeCell(ax, t);
        return u >= 0 ? u : "zero";
      }
      var win = {};
      for (var m0 = 0; m0 < g0.k; m0++) {
        for (var m1 = 0; m1 < g1.k; m1++) {
          win[(a[0] + g0.d * m0) + "," + (a[1] + g1.d * m1)] = [m0, m1];
        }
      }
      function hatGrid(name, withWindow) {
        return grid({name: name, rows: hat[0], cols: hat[1], title: "dilated and padded delta",
          cls: function (i, j) {
            var u = hatKind(0, i), v = hatKind(1, j), c;
            if (u === "pad" || v === "pad") c = "is-pad";
            else if (u === "zero" || v === "zero") c = "is-zero";
            else c = "is-delta" + (byDelta[u + "," + v] ? " is-term" : "");
            if (withWindow && win[i + "," + j] && c.indexOf("is-term") < 0) c += " is-window";
            return c;
          },
          text: function (i, j) {
            var u = hatKind(0, i), v = hatKind(1, j);
            return typeof u === "number" && typeof v === "number" ? byDelta[u + "," + v] || "" : "";
          },
          term: function (i, j) {
            var u = hatKind(0, i), v = hatKind(1, j);
            return typeof u === "number" && typeof v === "number" ? byDelta[u + "," + v] || null : null;
          },
          outlines: withWindow ? [{i: a[0], j: a[1], h: g0.e, w: g1.e, cls: "is-window"}] : []});
      }
      var byFlip = {};
      terms.forEach(function (t, n) {
        byFlip[(g0.k - 1 - t[1][0]) + "," + (g1.k - 1 - t[1][1])] = n + 1;
      });
      var fg = grid({name: "dx-flipped", rows: g0.k, cols: g1.k, title: "flipped kernel",
        cls: function (i, j) { return byFlip[i + "," + j] ? "is-term" : ""; },
        text: function (i, j) { return byFlip[i + "," + j] || ""; },
        term: function (i, j) { return byFlip[i + "," + j] || null; }});
      var og = grid({name: "dx-result", rows: g0.n, cols: g1.n, title: "input gradient",
        rowMark: inputMark(0), colMark: inputMark(1),
        unread: function (i, j) {
          return g0.status[i + g0.lo] !== "read" || g1.status[j + g1.lo] !== "read";
        },
        selected: a});
      function cropNote() {
        var notes = [];
        [0, 1].forEach(function (ax) {
          var g = geo[ax];
          var many = function (v) { return v + " " + (v === 1 ? AXIS1[ax] : AXIS[ax]); };
          if (g.Plo < 0) notes.push("P_lo = " + g.Plo + " < 0: crop " + many(-g.Plo) +
            " at the start");
          if (g.Phi < 0) notes.push("P_hi = " + g.Phi + " < 0: crop " + many(-g.Phi) +
            " at the end");
        });
        return notes.length ? notes.join("; ") + " (marked \u00d7 in " + DT + ")." : null;
      }
      var hits = terms.length, total = g0.k * g1.k;
      return el("section", {"class": "cbx-recipe", "aria-label": "the recipe, stage by stage"}, [
        el("h4", {"class": "cbx-recipe-title"}, rich("The same pixel in the recipe " +
          "\u2202L/\u2202X = " + DH + " \u22c6_1,d flip(W)")),
        el("ol", {"class": "cbx-stages"}, [
          el("li", null, panel(["dilate: ", DT, " = dil_s(\u03b4), ", dil[0], " \u00d7 ",
            dil[1]], tg, "s \u2212 1 = (" + (g0.s - 1) + ", " + (g1.s - 1) +
            ") zeros between neighbouring entries (rows, columns).")),
          el("li", null, panel(["pad: ", DH, " = pad(", DT, ", (P_lo, P_hi)), ", hat[0], " \u00d7 ",
            hat[1]], hatGrid("dx-padded", false), "(P_lo, P_hi) = (" + g0.Plo + ", " + g0.Phi +
            ") rows, (" + g1.Plo + ", " + g1.Phi + ") columns. " + (cropNote() || ""))),
          el("li", null, panel(["flip: flip(W), ", g0.k, " \u00d7 ", g1.k], fg,
            "tap m of W sits at k \u2212 1 \u2212 m.")),
          el("li", null, panel(["correlate: window of ", DH, " at ", idx(a)],
            hatGrid("dx-correlate", true), "The window starts at " + DH + idx(a) +
            ", taps d = " + g0.d + ", " + g1.d + " apart; " + hits + " of " + total +
            " taps land on entries of \u03b4, the rest on zeros.")),
          el("li", null, panel(["result: \u2202L/\u2202X, ", g0.n, " \u00d7 ", g1.n], og,
            "Hatched pixels get 0 in every recipe: no window read them.")),
        ]),
        legend(["term", "window", "delta", "zero", "pad"].concat(
          g0.Plo < 0 || g0.Phi < 0 || g1.Plo < 0 || g1.Phi < 0 ? ["cropped"] : []))]);
    }

    // -- weight gradient
    function weightTerms(m) {
      return product(axisWeightTerms(geo[0], m[0]), axisWeightTerms(geo[1], m[1]));
    }

    function renderWeightGradient() {
      var g0 = geo[0], g1 = geo[1], m = state.sel.dw;
      var terms = weightTerms(m);
      var byDelta = {}, byPos = {}, padPos = {}, nPad = 0;
      terms.forEach(function (t, n) {
        byDelta[t[0].join(",")] = n + 1;
        byPos[(t[1][0] + g0.lo) + "," + (t[1][1] + g1.lo)] = n + 1;
      });
      for (var o0 = 0; o0 < g0.O; o0++) {
        for (var o1 = 0; o1 < g1.O; o1++) {
          var q = [g0.s * o0 + g0.d * m[0], g1.s * o1 + g1.d * m[1]];
          if (!byPos[q.join(",")]) { padPos[q.join(",")] = true; nPad++; }
        }
      }
      var wg = grid({name: "dw-kernel", rows: g0.k, cols: g1.k,
        title: "kernel W, " + g0.k + " by " + g1.k + "; choose a tap",
        selected: m, onSelect: select("dw"),
        aria: function (i, j) { return "kernel tap W" + idx([i, j]); }});
      var xg = grid({name: "dw-input", rows: g0.N, cols: g1.N, title: "padded input",
        rowLabel: paddedLabel(0), colLabel: paddedLabel(1),
        rowMark: paddedMark(0), colMark: paddedMark(1),
        unread: function (i, j) { return g0.status[i] !== "read" || g1.status[j] !== "read"; },
        cls: function (i, j) {
          var pad = isPadQ(0, i) || isPadQ(1, j), k = i + "," + j;
          return (pad ? "is-pad" : "") + (byPos[k] ? " is-term" : padPos[k] ? " is-padterm" : "");
        },
        text: function (i, j) { return byPos[i + "," + j] || ""; },
        term: function (i, j) { return byPos[i + "," + j] || null; }});
      var dg = grid({name: "dw-delta", rows: g0.O, cols: g1.O, title: "delta",
        cls: function (i, j) { return byDelta[i + "," + j] ? "is-delta is-term" : "is-delta is-padterm"; },
        text: function (i, j) { return byDelta[i + "," + j] || ""; },
        term: function (i, j) { return byDelta[i + "," + j] || null; }});
      var sum = el("p", {"class": "cbx-sum", "data-role": "dw-sum"},
        ["\u2202L/\u2202W" + idx(m) + " = "]);
      if (terms.length) {
        terms.forEach(function (t, n) {
          if (n) append(sum, " + ");
          append(sum, el("span", {"class": "cbx-term"}, [termBadge(n + 1),
            "\u03b4" + idx(t[0]) + "\u00b7X" + idx(t[1])]));
        });
      } else {
        append(sum, ["0", el("span", {"class": "cbx-muted"}, ": every position this tap " +
          "reads is padding.")]);
      }
      var hi = [g0.hi - g0.r, g1.hi - g1.r];
      append(view, [
        el("p", {"class": "cbx-hint"}, "Click (or Tab to, then Enter) a kernel tap. It meets " +
          "every \u03b4[o], paired with the input the tap read in window o."),
        el("div", {"class": "cbx-panels"}, [
          panel(["kernel W, ", g0.k, " \u00d7 ", g1.k], wg),
          panel(["\u03b4 = \u2202L/\u2202Y, ", g0.O, " \u00d7 ", g1.O], dg),
          panel(["padded input " + XB + ", " + g0.N + " \u00d7 " + g1.N], xg)]),
        sum,
        nPad ? el("p", {"class": "cbx-note"}, nPad + " of " + (g0.O * g1.O) + " entries of " +
          "\u03b4 pair with padding for this tap and give no term.") : null,
        el("p", {"class": "cbx-note"}, ["The marked input pixels are ", DT, " = dil_s(\u03b4) " +
          "laid on the padded input from position d\u00b7m = (" + (g0.d * m[0]) + ", " +
          (g1.d * m[1]) + "): \u2202L/\u2202W = pad(X, (p_lo, p_hi \u2212 r)) \u22c6_d,1 ", DT,
          ", with (p_lo, p_hi \u2212 r) = (" + g0.lo + ", " + hi[0] + ") rows, (" + g1.lo +
          ", " + hi[1] + ") columns (a negative value crops)."]),
        legend(["sel", "term", "padterm", "pad", "unread", "leftover", "skipped"])]);
    }

    // ---- public interface

    function needFit(where) {
      var err = fitError(geo);
      if (err) throw new Error(where + ": " + err);
    }

    function checkIndex(where, v, dims, what) {
      if (!Array.isArray(v) || v.length !== 2 || !isInt(v[0]) || !isInt(v[1]) ||
          v[0] < 0 || v[1] < 0 || v[0] >= dims[0] || v[1] >= dims[1]) {
        throw new RangeError(where + ": " + what + " must be [i, j] with 0 <= i < " + dims[0] +
                             " and 0 <= j < " + dims[1] + ", got " + JSON.stringify(v));
      }
    }

    window.convbpExplorer = {
      set: function (spec) {
        update(spec, false, true);
        return this.geometry();
      },
      geometry: function () {
        var err = fitError(geo);
        if (err) return {output: null, remainder: null, dxPadding: null, error: err};
        return {output: [geo[0].O, geo[1].O], remainder: [geo[0].r, geo[1].r],
                dxPadding: [[geo[0].Plo, geo[0].Phi], [geo[1].Plo, geo[1].Phi]]};
      },
      inputGradientTerms: function (pixel) {
        needFit("inputGradientTerms");
        checkIndex("inputGradientTerms", pixel, state.input, "the input pixel");
        return inputTerms(pixel);
      },
      weightGradientTerms: function (tap) {
        needFit("weightGradientTerms");
        checkIndex("weightGradientTerms", tap, state.kernel, "the kernel tap");
        return weightTerms(tap);
      },
    };

    render();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
