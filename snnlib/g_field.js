// Draws snnlib.interactive.g_field_html: the map g as arrows, with sliders for omega and tau.
// __ID__ is replaced by the element id; the data sit in the element's application/json script.
(function (ID) {
  const root = document.getElementById(ID), data = JSON.parse(root.querySelector("script[type='application/json']").textContent);
  const svg = root.querySelector("svg"), ns = "http://www.w3.org/2000/svg";
  const W = 560, H = 440, L = 62, R = 16, T = 14, B = 52;
  const xs = [-0.45, 0.45], ys = [0.55, 1.65];
  const X = (m) => L + (m - xs[0]) / (xs[1] - xs[0]) * (W - L - R);
  const Y = (v) => H - B - (v - ys[0]) / (ys[1] - ys[0]) * (H - T - B);
  const el = (tag, attrs, text) => { const e = document.createElementNS(ns, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]); if (text !== undefined) e.textContent = text; svg.appendChild(e); return e; };
  const om = root.querySelector("input[name='omega']"), ta = root.querySelector("input[name='tau']");
  function draw() {
    const i = +om.value, j = +ta.value, f = data.frames[i][j];
    root.querySelector(".omega-value").textContent = data.omegas[i].toFixed(2);
    root.querySelector(".tau-value").textContent = data.taus[j].toFixed(2);
    while (svg.lastChild) svg.removeChild(svg.lastChild);
    const defs = el("defs", {}), mk = document.createElementNS(ns, "marker");
    for (const [k, v] of Object.entries({id: ID + "-head", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 6, markerHeight: 6, orient: "auto-start-reverse"})) mk.setAttribute(k, v);
    const p = document.createElementNS(ns, "path"); p.setAttribute("d", "M0,0 L10,5 L0,10 z"); p.setAttribute("fill", "#7F7F7F");
    mk.appendChild(p); defs.appendChild(mk);
    const clip = document.createElementNS(ns, "clipPath"); clip.setAttribute("id", ID + "-clip");
    const box = document.createElementNS(ns, "rect");
    for (const [k, v] of Object.entries({x: L, y: T, width: W - L - R, height: H - T - B})) box.setAttribute(k, v);
    clip.appendChild(box); defs.appendChild(clip);
    el("rect", {x: 0, y: 0, width: W, height: H, fill: "white"});
    for (const m of [-0.4, -0.2, 0, 0.2, 0.4]) { el("line", {x1: X(m), x2: X(m), y1: T, y2: H - B, stroke: "#e5e5e5"});
      el("text", {x: X(m), y: H - B + 18, "text-anchor": "middle", "font-size": 13}, m.toFixed(1)); }
    for (const v of [0.6, 0.8, 1.0, 1.2, 1.4, 1.6]) { el("line", {x1: L, x2: W - R, y1: Y(v), y2: Y(v), stroke: "#e5e5e5"});
      el("text", {x: L - 8, y: Y(v) + 4, "text-anchor": "end", "font-size": 13}, v.toFixed(1)); }
    el("text", {x: (L + W - R) / 2, y: H - 10, "text-anchor": "middle", "font-size": 15}, "mean \u03bc");
    el("text", {x: 16, y: (T + H - B) / 2, "text-anchor": "middle", "font-size": 15, transform: `rotate(-90 16 ${(T + H - B) / 2})`}, "variance \u03bd");
    data.nu.forEach((v, a) => data.mu.forEach((m, b) => {
      const dm = f.dmu[a][b], dv = f.dnu[a][b];
      el("line", {x1: X(m), y1: Y(v), x2: X(m + __SCALE__ * dm), y2: Y(v + __SCALE__ * dv), stroke: "#7F7F7F", "stroke-width": 1.3, "marker-end": `url(#${ID}-head)`});
    }));
    const c = {"clip-path": `url(#${ID}-clip)`};
    el("polyline", {...c, points: f.path.map(([m, v]) => `${X(m)},${Y(v)}`).join(" "), fill: "none", stroke: "#0072B2", "stroke-width": 2});
    f.path.forEach(([m, v]) => el("circle", {...c, cx: X(m), cy: Y(v), r: 3, fill: "#0072B2"}));
    el("circle", {cx: X(f.fixed[0]), cy: Y(f.fixed[1]), r: 7, fill: "#D55E00"});
    root.querySelector(".fixed-value").textContent = `(${f.fixed[0].toFixed(4)}, ${f.fixed[1].toFixed(4)})`;
  }
  om.addEventListener("input", draw); ta.addEventListener("input", draw); draw();
})(__ID__);
