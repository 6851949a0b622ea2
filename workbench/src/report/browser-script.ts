/**
 * The script report.html runs in the browser: it reads the chart data embedded in the page (a JSON script
 * element) and draws every `<figure data-plot="...">` with Observable Plot, which is inlined in the page with
 * d3 (assets.ts). Plot renders plain SVG synchronously: one `<circle>` per scatter point, each with a `<title>`
 * (the browser's own tooltip: the image key), so the page needs no event code and the test can count marks.
 * A figure that drew sets data-rendered="true"; one that failed logs a console error (the browser test fails).
 *
 * Kept as plain ES2019 text (no imports, no build step): it is pasted into the page as it is.
 */
export const BROWSER_SCRIPT = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var pct = function (x) { return (100 * x).toFixed(1) + '%'; };
  var k = data.variance.k;
  var bars = data.variance.ratios.map(function (r, i) { return { pc: i + 1, ratio: r, kept: i + 1 <= k ? 'kept (1..k)' : 'dropped' }; });
  var cumulative = data.variance.cumulative.map(function (c, i) { return { pc: i + 1, cumulative: c }; });
  var atK = cumulative[k - 1];
  // Labels for k go on the side of the marker with room: left of it when k is in the right half of the axis.
  var right = k > bars.length / 2;
  var side = { textAnchor: right ? 'end' : 'start', dx: right ? -6 : 6 };

  // One distinct colour per class: Tableau 10, then Dark2 (18 in all), then an even spread for more classes.
  var labels = data.classes.map(function (c) { return c.label; });
  var palette = labels.length <= 10 ? d3.schemeTableau10
    : labels.length <= 18 ? d3.schemeTableau10.concat(d3.schemeDark2)
    : d3.quantize(d3.interpolateTurbo, labels.length);

  function scatter(y) {
    return function () {
      return Plot.plot({
        width: 560, height: 420, grid: true, inset: 8,
        x: { label: 'PC1' }, y: { label: y.toUpperCase() },
        color: { legend: true, type: 'categorical', domain: labels, range: palette },
        marks: [
          Plot.dot(data.scatter, {
            x: 'pc1', y: y, fill: 'label', r: 3.5, fillOpacity: 0.8,
            title: function (d) { return d.key + '\n' + d.label; }
          })
        ]
      });
    };
  }

  var charts = {
    'variance-bars': function () {
      return Plot.plot({
        width: 560, height: 300,
        x: { label: 'principal component', domain: [0.5, bars.length + 0.5] },
        y: { label: 'explained variance ratio', grid: true },
        color: { legend: true, domain: ['kept (1..k)', 'dropped'], range: ['#4e79a7', '#bab0ac'] },
        marks: [
          Plot.rectY(bars, { x1: function (d) { return d.pc - 0.45; }, x2: function (d) { return d.pc + 0.45; }, y: 'ratio', fill: 'kept',
            title: function (d) { return 'PC' + d.pc + ': ' + pct(d.ratio); } }),
          Plot.ruleX([k + 0.5], { stroke: '#e15759', strokeDasharray: '4,3' }),
          Plot.text([k + 0.5], { x: function (d) { return d; }, frameAnchor: 'top', dx: side.dx, textAnchor: side.textAnchor, text: function () { return 'k = ' + k; }, fill: '#e15759' }),
          Plot.ruleY([0])
        ]
      });
    },
    'variance-cumulative': function () {
      var marks = [
        Plot.lineY(cumulative, { x: 'pc', y: 'cumulative', stroke: '#4e79a7' }),
        Plot.ruleX([k], { stroke: '#e15759', strokeDasharray: '4,3' }),
        Plot.dot(atK ? [atK] : [], { x: 'pc', y: 'cumulative', fill: '#e15759', r: 4 }),
        Plot.text(atK ? [atK] : [], { x: 'pc', y: 'cumulative', dx: side.dx, dy: 14, textAnchor: side.textAnchor, fill: '#e15759',
          text: function (d) { return 'k = ' + k + ': ' + pct(d.cumulative); } })
      ];
      if (data.variance.threshold !== null) {
        marks.push(Plot.ruleY([data.variance.threshold], { stroke: '#59a14f', strokeDasharray: '6,3' }));
        marks.push(Plot.text([data.variance.threshold], { y: function (d) { return d; }, frameAnchor: 'right', dy: -6, textAnchor: 'end', fill: '#59a14f',
          text: function () { return 'threshold ' + pct(data.variance.threshold); } }));
      }
      return Plot.plot({
        width: 560, height: 300,
        x: { label: 'number of components', domain: [1, cumulative.length] },
        y: { label: 'cumulative explained variance', domain: [0, 1], grid: true, tickFormat: '%' },
        marks: marks
      });
    },
    'scatter-pc1-pc2': scatter('pc2'),
    'scatter-pc1-pc3': scatter('pc3'),
    'classes': function () {
      var rows = [];
      data.classes.forEach(function (c) {
        rows.push({ label: c.label, status: 'featurized', n: c.images });
        if (c.errors > 0) rows.push({ label: c.label, status: 'error', n: c.errors });
      });
      return Plot.plot({
        width: 560, height: Math.max(120, 26 * data.classes.length + 60), marginLeft: 110,
        x: { label: 'images', grid: true }, y: { label: null },
        color: { legend: true, domain: ['featurized', 'error'], range: ['#4e79a7', '#e15759'] },
        marks: [Plot.barX(rows, { y: 'label', x: 'n', fill: 'status', title: function (d) { return d.label + ': ' + d.n + ' ' + d.status; } }), Plot.ruleX([0])]
      });
    },
    'timings': function () {
      return Plot.plot({
        width: 560, height: Math.max(120, 30 * data.timings.length + 50), marginLeft: 90, marginRight: 60,
        x: { label: 'seconds', grid: true }, y: { label: null, domain: data.timings.map(function (t) { return t.stage; }) },
        marks: [
          Plot.barX(data.timings, { y: 'stage', x: 'seconds', fill: '#4e79a7' }),
          Plot.text(data.timings, { y: 'stage', x: 'seconds', dx: 4, textAnchor: 'start', text: function (d) { return d.seconds.toFixed(1) + ' s'; } }),
          Plot.ruleX([0])
        ]
      });
    }
  };

  document.querySelectorAll('figure[data-plot]').forEach(function (figure) {
    var name = figure.getAttribute('data-plot');
    try {
      var chart = charts[name]();
      figure.querySelector('.chart').appendChild(chart);
      figure.setAttribute('data-rendered', 'true');
    } catch (err) {
      figure.setAttribute('data-rendered', 'false');
      console.error('report: could not draw ' + name + ': ' + (err && err.message ? err.message : err));
    }
  });
  document.body.setAttribute('data-report-ready', 'true');
})();
`;
