// chainrule's step-through page. Plain JavaScript, no network, no eval.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("chainrule-data").textContent);
  var steps = data.steps, nodes = data.nodes;
  var svg = document.querySelector("#graph svg");
  var panel = document.getElementById("panel");
  var exBox = document.getElementById("exercise");
  var counter = document.getElementById("counter");
  var tbody = document.querySelector("#steps tbody");
  var cur = -1;                       // -1: before the first step; steps.length: the end
  var nodeStep = {};                  // node index -> its forward step
  var answers = {};                   // step index -> {local: state, contribution: state}

  // ---- the expression reader: the formula language's grammar (numbers, names, + - * /
  // ** with Python's precedence, unary signs, parentheses, calls); never eval ----------
  var FUNCS = {
    sin: Math.sin, cos: Math.cos, tan: Math.tan, exp: Math.exp, log: Math.log,
    sqrt: Math.sqrt, tanh: Math.tanh, abs: Math.abs,
    sigmoid: function (x) { return 1 / (1 + Math.exp(-x)); },
    relu: function (x) { return x > 0 ? x : 0; },
    maximum: Math.max, minimum: Math.min, max: Math.max, min: Math.min, sign: Math.sign
  };
  // how many arguments each takes: Math.log(x, 10) would drop the 10 without a word
  var ARITY = { maximum: [2, 2], minimum: [2, 2], max: [1, 2], min: [1, 2] };
  var CONSTS = { pi: Math.PI, e: Math.E, inf: Infinity };

  function tokenize(text) {
    var out = [], i = 0, m;
    var re = /\s*(?:(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(\*\*|[-+*\/(),^]))/y;
    while (i < text.length) {
      re.lastIndex = i;
      m = re.exec(text);
      if (!m) {
        if (/^\s*$/.test(text.slice(i))) break;
        throw new Error("cannot read '" + text.slice(i).trim()[0] + "' at position " + (i + 1));
      }
      if (m[1] !== undefined) out.push({ t: "num", v: parseFloat(m[1]) });
      else if (m[2] !== undefined) out.push({ t: "name", v: m[2] });
      else out.push({ t: "op", v: m[3] });
      i = re.lastIndex;
    }
    return out;
  }

  function evaluate(text, vars) {
    var toks = tokenize(text), pos = 0;
    function peek(v) { return pos < toks.length && toks[pos].t === "op" && toks[pos].v === v; }
    function take(v) { if (!peek(v)) throw new Error("expected '" + v + "'"); pos++; }
    function expr() {
      var v = term();
      while (peek("+") || peek("-")) { var op = toks[pos++].v; var r = term(); v = op === "+" ? v + r : v - r; }
      return v;
    }
    function term() {
      var v = unary();
      while (peek("*") || peek("/")) { var op = toks[pos++].v; var r = unary(); v = op === "*" ? v * r : v / r; }
      return v;
    }
    function unary() {
      if (peek("-")) { pos++; return -unary(); }
      if (peek("+")) { pos++; return unary(); }
      return power();
    }
    function power() {
      var v = atom();
      if (peek("^")) throw new Error("write powers as ** (x**2), as in the formula language");
      if (peek("**")) { pos++; return Math.pow(v, unary()); }
      return v;
    }
    function atom() {
      if (pos >= toks.length) throw new Error("the answer ends too early");
      var tok = toks[pos++];
      if (tok.t === "num") return tok.v;
      if (tok.t === "op" && tok.v === "(") { var v = expr(); take(")"); return v; }
      if (tok.t === "name") {
        if (peek("(")) {
          if (!Object.prototype.hasOwnProperty.call(FUNCS, tok.v)) throw new Error("unknown function " + tok.v);
          pos++;
          var args = [expr()];
          while (peek(",")) { pos++; args.push(expr()); }
          take(")");
          var arity = ARITY[tok.v] || [1, 1];
          if (args.length < arity[0] || args.length > arity[1])
            throw new Error(tok.v + " takes " + (arity[0] === arity[1] ? arity[0] : arity[0] + " or " + arity[1]) +
                            " argument" + (arity[1] > 1 ? "s" : "") + ", got " + args.length);
          return FUNCS[tok.v].apply(null, args);
        }
        if (Object.prototype.hasOwnProperty.call(vars, tok.v)) return vars[tok.v];
        if (Object.prototype.hasOwnProperty.call(CONSTS, tok.v)) return CONSTS[tok.v];
        var known = Object.keys(vars).join(", ");
        throw new Error("unknown name " + tok.v + (known ? " (this gate's names: " + known + ")" : ""));
      }
      throw new Error("unexpected '" + tok.v + "'");
    }
    var v = expr();
    if (pos < toks.length) throw new Error("unexpected '" + toks[pos].v + "' after the answer");
    return v;
  }

  function close(a, b) {
    if (!isFinite(b)) return a === b;
    return Math.abs(a - b) <= 1e-3 * Math.abs(b) + 1e-9;
  }
  function flat(v) { return Array.isArray(v) ? v.reduce(function (a, x) { return a.concat(flat(x)); }, []) : [v]; }

  // check one typed answer: a number or formula (scalars), or a list of numbers (arrays)
  function check(text, want, vars) {
    text = text.trim();
    if (!text) return { ok: false, msg: "type an answer first" };
    try {
      if (Array.isArray(want)) {
        var w = flat(want);
        var parts = text.replace(/[\[\]()]/g, " ").split(/[\s,;]+/).filter(Boolean);
        if (parts.length !== w.length) return { ok: false, msg: "wrong: expected " + w.length + " numbers, got " + parts.length };
        var good = parts.every(function (p, k) { return close(evaluate(p, {}), w[k]); });
        return { ok: good, msg: good ? "right" : "wrong" };
      }
      var got = evaluate(text, vars || {});
      var ok = close(got, want);
      return { ok: ok, msg: ok ? "right" : "wrong (your answer is " + fmtNum(got) + ")" };
    } catch (err) {
      return { ok: false, msg: "wrong: " + err.message };
    }
  }
  function fmtNum(x) { return isFinite(x) ? Number(x.toPrecision(6)).toString() : String(x); }

  // ---- the graph: hide values, gradients and local gradients until their step -----------
  var labels = {};   // node index -> {value: [el, text], grad: [el, text]}
  var edgeLabels = {};
  nodes.forEach(function (n, k) {
    var g = svg.getElementById ? svg.getElementById(n.id) : document.getElementById(n.id);
    var rec = { g: g };
    if (g) g.querySelectorAll("text").forEach(function (t) {
      var s = t.textContent;
      if (s.indexOf("value = ") === 0) rec.value = [t, s];
      else if (s.indexOf("grad = ") === 0) rec.grad = [t, s];
    });
    labels[k] = rec;
  });
  steps.forEach(function (s, i) {
    if (s.kind === "forward") nodeStep[s.node] = i;
    if (s.kind === "edge") {
      var g = document.getElementById(s.edge);
      edgeLabels[i] = g ? Array.prototype.slice.call(g.querySelectorAll("text")) : [];
      if (data.exercise) answers[i] = questions(s);
    }
  });

  function questions(s) {
    var q = {};
    if (data.scalar && s.local_value !== null && s.local_value !== undefined) q.local = "open";
    if (s.contribution_value !== null && s.contribution_value !== undefined) q.contribution = "open";
    return q;
  }
  function resolved(i) {
    var q = answers[i];
    if (!q) return true;
    return Object.keys(q).every(function (k) { return q[k] !== "open"; });
  }

  // ---- the step table --------------------------------------------------------------------
  var rows = steps.map(function (s, i) {
    var tr = document.createElement("tr");
    var pass = s.kind === "forward" ? "forward" : "backward";
    var who = s.kind === "edge" ? s.output + " \u2192 " + s.input : nodes[s.node].name;
    [String(i + 1), pass, who].forEach(function (c) {
      var td = document.createElement("td"); td.textContent = c; tr.appendChild(td);
    });
    // the step's text is there from the start, hidden (not removed) until its step: a
    // step then changes what is painted, never the table's layout
    var td = document.createElement("td"), text = document.createElement("span");
    var turn = document.createElement("span");
    text.className = "text"; turn.className = "turn";
    text.textContent = data.exercise && s.kind === "edge" ? "" : s.text;
    turn.textContent = "your turn";
    td.appendChild(text); td.appendChild(turn); tr.appendChild(td);
    tr.addEventListener("click", function () { go(i); });
    tbody.appendChild(tr);
    return tr;
  });

  // ---- showing one state --------------------------------------------------------------
  function shown(i) { return i < cur || (i === cur && (!data.exercise || resolved(i))); }

  function render() {
    var grads = {};
    steps.forEach(function (s, i) {
      if (i > cur) return;
      if (s.kind === "seed") grads[s.node] = s.grad;
      if (s.kind === "edge" && shown(i)) grads[s.parent] = s.accumulated;
    });
    nodes.forEach(function (n, k) {
      var rec = labels[k];
      var on = nodeStep[k] <= cur;
      if (rec.value) setText(rec.value[0], on ? rec.value[1] : "value = ?");
      if (rec.grad) setText(rec.grad[0], grads[k] !== undefined ? "grad = " + grads[k] : "grad = ?");
      if (rec.g) setClass(rec.g, on ? "node" : "node pending");
    });
    Object.keys(edgeLabels).forEach(function (i) {
      i = +i;
      var g = document.getElementById(steps[i].edge);
      if (g) setClass(g, "edge");
      var vis = shown(i) ? "visible" : "hidden";
      edgeLabels[i].forEach(function (t) { if (t.style.visibility !== vis) t.style.visibility = vis; });
    });
    rows.forEach(function (tr, i) {
      var on = shown(i);
      setClass(tr, (i === cur ? "cur " : "") + (on ? "done" : i === cur ? "turn" : "future"));
      if (on && data.exercise) setText(tr.lastChild.firstChild, steps[i].text);
    });
    var s = steps[cur];
    exBox.hidden = true;
    if (cur < 0) {
      counter.textContent = "before step 1 of " + steps.length;
      panel.innerHTML = "";
      line("Press Next (or ArrowRight) to run the forward pass node by node, then the " +
           "backward pass edge by edge. Back (ArrowLeft) undoes a step.", "lead");
      if (data.exercise) line("Exercise mode: at each backward edge, type the local gradient (a number, or a formula in the gate's inputs) and the contribution; the page says right or wrong.", "lead");
      if (data.note) line(data.note, "note");
      return;
    }
    if (cur >= steps.length) {
      summary();   // the summary is taller than a step: keep the last step's row in view
      if (rows.length) rows[rows.length - 1].scrollIntoView({ block: "nearest" });
      return;
    }
    counter.textContent = "step " + (cur + 1) + " of " + steps.length;
    panel.innerHTML = "";
    var n = nodes[s.node];
    if (labels[s.node].g) labels[s.node].g.classList.add("cur");
    if (s.kind === "forward") {
      line("Forward pass: " + n.name + (n.shape ? "  (shape (" + n.shape.join(", ") + (n.shape.length === 1 ? "," : "") + "))" : ""), "head");
      line(s.text, "math");
    } else if (s.kind === "seed") {
      line("Backward pass begins at the output", "head");
      line(s.text, "math");
    } else {
      var eg = document.getElementById(s.edge);
      if (eg) eg.classList.add("cur");
      if (labels[s.parent].g) labels[s.parent].g.classList.add("target");
      line("Backward pass: edge " + s.output + " \u2192 " + s.input, "head");
      if (shown(cur)) {
        line(s.text, "math");
        if (s.fanout) line(s.input + " is used more than once: its contributions add up: " + s.input + ".grad = " + s.accumulated, "fanout");
      } else {
        exercise(s);
      }
    }
    follow(s);
    rows[cur].scrollIntoView({ block: "nearest" });
  }

  // DOM writes only where something changed: a 500-node page steps without re-layout
  function setText(el, text) { if (el.textContent !== text) el.textContent = text; }
  function setClass(el, cls) {
    var now = el.getAttribute("class") || "";
    if (now !== cls) el.setAttribute("class", cls);
  }

  function line(text, cls) {
    var p = document.createElement("p");
    p.className = cls; p.textContent = text; panel.appendChild(p);
    return p;
  }

  function exercise(s) {
    var q = answers[cur];
    var local = data.scalar ? "local ?" : s.vjp;
    line("upstream " + s.upstream + " x " + local + " -> contribution ?, added into " + s.input + ".grad", "math");
    exBox.hidden = false;
    exBox.innerHTML = "";
    if (q.local) ask("local", "local gradient d" + s.output + "/d" + s.input +
                     " (a number, or a formula in " + Object.keys(s.variables).join(", ") + ")",
                     s.local_value, s.variables, s.local_formula + " = " + s.local);
    var count = flat(s.contribution_value).length;   // a 0-d value (shape []) is one number
    if (q.contribution) ask("contribution", "contribution (upstream x local" +
                            (s.shape && s.shape.length ? ", " + count + (count === 1 ? " number" : " numbers") : "") + ")",
                            s.contribution_value, {}, s.contribution);
    var reveal = button("Reveal", "Reveal the engine's values", function () {
      Object.keys(q).forEach(function (k) { if (q[k] === "open") q[k] = "revealed"; });
      render(); document.getElementById("next").focus();
    });
    exBox.appendChild(reveal);
  }

  function ask(key, label, want, vars, answer) {
    var q = answers[cur], id = "answer-" + key;
    var row = document.createElement("div");
    row.className = "question";
    var lab = document.createElement("label");
    lab.htmlFor = id; lab.textContent = label;
    var input = document.createElement("input");
    input.id = id; input.type = "text"; input.autocomplete = "off"; input.spellcheck = false;
    var verdict = document.createElement("output");
    verdict.id = "verdict-" + key; verdict.setAttribute("aria-live", "polite");
    verdict.htmlFor = id;
    var go = button("Check", "Check the " + key, function () {
      var r = check(input.value, want, vars);
      verdict.textContent = r.msg;
      verdict.className = r.ok ? "right" : "wrong";
      if (r.ok) {
        q[key] = "right";
        if (resolved(cur)) { render(); document.getElementById("next").focus(); }
      }
    });
    input.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter") { ev.preventDefault(); go.click(); }
    });
    if (q[key] !== "open") { input.value = answer; input.disabled = true; verdict.textContent = q[key]; }
    row.appendChild(lab); row.appendChild(input); row.appendChild(go); row.appendChild(verdict);
    exBox.appendChild(row);
  }

  function button(text, name, fn) {
    var b = document.createElement("button");
    b.type = "button"; b.textContent = text; b.setAttribute("aria-label", name);
    b.addEventListener("click", fn);
    return b;
  }

  function summary() {
    counter.textContent = "done: " + steps.length + " steps";
    panel.innerHTML = "";
    line("Done: every node computed, every edge's contribution added in.", "head");
    nodes.forEach(function (n) {
      if (n.op === "input" || n.kind === "input") line(n.name + ".grad = " + n.grad, "math");
    });
    if (data.exercise) {
      var total = 0, right = 0;
      Object.keys(answers).forEach(function (i) {
        var q = answers[i];
        Object.keys(q).forEach(function (k) { total++; if (q[k] === "right") right++; });
      });
      line("Score: " + right + " of " + total + " right", "score").id = "score";
    }
  }

  function go(i) {
    cur = Math.max(-1, Math.min(steps.length, i));
    render();
  }

  // ---- zoom and pan ---------------------------------------------------------------------
  var box = document.getElementById("graph");
  var vb0 = svg.viewBox.baseVal;
  var full = { x: vb0.x, y: vb0.y, w: vb0.width, h: vb0.height };
  var view = { x: full.x, y: full.y, w: full.w, h: full.h };
  svg.removeAttribute("width"); svg.removeAttribute("height");
  function setView() { svg.setAttribute("viewBox", view.x + " " + view.y + " " + view.w + " " + view.h); }
  function zoom(f, cx, cy) {
    if (cx === undefined) { cx = view.x + view.w / 2; cy = view.y + view.h / 2; }
    var w = Math.min(full.w * 4, Math.max(40, view.w * f)), k = w / view.w;
    view.x = cx - (cx - view.x) * k; view.y = cy - (cy - view.y) * k;
    view.w = w; view.h = view.h * k; setView();
  }
  function fit() { view = { x: full.x, y: full.y, w: full.w, h: full.h }; setView(); }
  function toUser(ev) {
    var p = svg.createSVGPoint(); p.x = ev.clientX; p.y = ev.clientY;
    return p.matrixTransform(svg.getScreenCTM().inverse());
  }
  box.addEventListener("wheel", function (ev) {
    ev.preventDefault();
    var p = toUser(ev); zoom(ev.deltaY > 0 ? 1.2 : 1 / 1.2, p.x, p.y);
  }, { passive: false });
  var drag = null;
  box.addEventListener("pointerdown", function (ev) { drag = { x: ev.clientX, y: ev.clientY }; });
  window.addEventListener("pointerup", function () { drag = null; });
  box.addEventListener("pointermove", function (ev) {
    if (!drag) return;
    var r = svg.getBoundingClientRect(), s = Math.max(view.w / r.width, view.h / r.height);
    view.x -= (ev.clientX - drag.x) * s; view.y -= (ev.clientY - drag.y) * s;
    drag = { x: ev.clientX, y: ev.clientY }; setView();
  });
  // keep the current node in view (large graphs start zoomed in, following the steps)
  function follow(s) {
    var g = labels[s.node].g;
    if (!g) return;
    var r = g.getBoundingClientRect(), b = svg.getBoundingClientRect();
    if (r.left >= b.left && r.right <= b.right && r.top >= b.top && r.bottom <= b.bottom) return;
    var c = toUser({ clientX: (r.left + r.right) / 2, clientY: (r.top + r.bottom) / 2 });
    view.x = c.x - view.w / 2; view.y = c.y - view.h / 2; setView();
  }
  document.getElementById("zoom-in").addEventListener("click", function () { zoom(1 / 1.4); });
  document.getElementById("zoom-out").addEventListener("click", function () { zoom(1.4); });
  document.getElementById("zoom-fit").addEventListener("click", fit);
  // a graph that would be drawn at under a third of its size starts zoomed in
  var bw = box.getBoundingClientRect().width || 800, bh = box.getBoundingClientRect().height || 600;
  var tiny = Math.min(bw / full.w, bh / full.h) < 0.33;
  if (tiny) { view.w = bw * 1.25; view.h = bh * 1.25; }
  setView();

  // ---- controls -------------------------------------------------------------------------
  document.getElementById("next").addEventListener("click", function () { go(cur + 1); });
  document.getElementById("back").addEventListener("click", function () { go(cur - 1); });
  document.addEventListener("keydown", function (ev) {
    var t = ev.target;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA")) return;
    if (ev.key === "ArrowRight") { ev.preventDefault(); go(cur + 1); }
    else if (ev.key === "ArrowLeft") { ev.preventDefault(); go(cur - 1); }
  });
  window.chainrulePage = { go: go, state: function () { return cur; }, evaluate: evaluate,
                          check: check, size: function () { return full; } };
  render();
  if (tiny && steps.length) follow(steps[0]);
})();
